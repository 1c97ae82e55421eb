import re

import pytest
from django.test import Client
from django.utils import timezone

from comments.models import Comment
from conftest import make_comment, make_form_timestamp, make_post

pytestmark = pytest.mark.django_db

REPLY = {"name": "Ada", "email": "ada@example.com", "url": "", "body": "Lovely record."}
REPLY["ts"] = make_form_timestamp()  # a page rendered a minute ago (moderation rule)


def make_thread(post, size):
    """size comments: every third one a reply to the one before."""
    previous = None
    for number in range(size):
        parent = previous if number % 3 == 2 else None
        previous = make_comment(post, parent=parent, name=f"reader {number}")


# --- Home page ------------------------------------------------------------------


def test_home_lists_posts_newest_first_with_approved_response_counts(client):
    older = make_post(title="Older - Album (1960)", published_at=timezone.now() - timezone.timedelta(days=9))
    newer = make_post(title="Newer - Album (1970)", excerpt="A short excerpt.")
    make_comment(newer)
    make_comment(newer)
    make_comment(newer, status="pending")
    make_post(title="Future - Album (2030)", published_at=timezone.now() + timezone.timedelta(days=1))

    response = client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Newer - Album") < html.index("Older - Album")
    assert "Future - Album" not in html
    assert "2 Responses" in html and "0 Responses" in html
    assert "A short excerpt." in html
    assert older.get_absolute_url() in html


def test_home_is_paginated(client, settings):
    settings.POSTS_PER_PAGE = 2
    for number in range(5):
        make_post(title=f"Post {number}", published_at=timezone.now() - timezone.timedelta(days=number + 1))

    first = client.get("/").content.decode()
    last = client.get("/?page=3").content.decode()

    assert "Post 0" in first and "Post 2" not in first and 'rel="next" href="?page=2"' in first
    assert "Post 4" in last and 'rel="prev"' in last
    # Nonsense and missing page numbers are "Not found", never an error (and never a cache entry).
    for page in ["abc", "-1", "99999999999999999999", "1e3", "\x00", "4"]:
        assert client.get("/", {"page": page}).status_code == 404


@pytest.mark.parametrize("size", [0, 3, 40])
def test_home_query_count_does_not_grow(client, django_assert_num_queries, size):
    for _ in range(3):
        make_thread(make_post(), size)
    # 1. the site version (the cache key), 2. count posts and sum their
    # responses (the archive's size, also the paginator's count: the side
    # column replaced the count query), 3. the recent responses (the side
    # column's one new query), 4. the page of posts with their response
    # counts, 5. the header's archive years (none held yet; the version is
    # the page's). posts/tests/test_browse.py checks this with many rows.
    with django_assert_num_queries(5):
        assert client.get("/").status_code == 200
    # Cached: only the site version.
    with django_assert_num_queries(1):
        assert client.get("/").status_code == 200


# --- Post page --------------------------------------------------------------------


def test_post_page_shows_the_thread_numbered_and_nested(client):
    post = make_post(title="Miles Davis - Ascenseur pour l'échafaud (1958)")
    first = make_comment(post, name="first", url="https://first.example/")
    reply = make_comment(post, parent=first, name="reply", body="line one\nline two")
    make_comment(post, name="held back", status="pending")
    make_comment(post, name="spammer", status="spam")
    second = make_comment(post, name="second", email="secret@example.com")

    response = client.get(post.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert "3 Responses so far to “Miles Davis - Ascenseur pour l&#x27;échafaud (1958)”" in html
    assert '<a href="https://first.example/" rel="nofollow ugc">first</a>' in html
    assert "held back" not in html and "spammer" not in html
    assert "secret@example.com" not in html
    assert "<p>line one<br>line two</p>" in html
    numbers = re.findall(r'id="comment-(\d+)".*?comment-number">(\d+)\.', html, re.S)
    assert numbers == [(str(first.pk), "1"), (str(reply.pk), "2"), (str(second.pk), "3")]
    # The reply sits in a nested list inside its parent's item.
    first_item = html[html.index(f'id="comment-{first.pk}"') : html.index(f'id="comment-{second.pk}"')]
    assert '<ol class="children">' in first_item and f'id="comment-{reply.pk}"' in first_item
    assert f'href="?replytocom={reply.pk}#respond"' in html


def test_the_thread_goes_in_its_place_whatever_the_post_holds(client):
    # posts/post_page.py puts the thread's HTML into the rendered page at a marker.
    marker = "<!--wflm:thread-->"
    post = make_post(title=f"A {marker} title", body=f"<p>Before {marker} after</p>", excerpt=marker)
    comment = make_comment(post, name=marker, body=f"A reply {marker}")

    html = client.get(post.get_absolute_url()).content.decode()

    assert marker not in html
    assert html.count(f'<li id="comment-{comment.pk}"') == 1
    thread_at = html.index('<div class="thread"><ol class="commentlist">')
    assert html.index("<h1") < html.index('<div class="post-body"') < thread_at < html.index('id="respond"')
    assert "A &lt;!--wflm:thread--&gt; title" in html


def test_one_response_is_singular(client, post):
    make_comment(post)
    assert "1 Response so far" in client.get(post.get_absolute_url()).content.decode()


def test_non_ascii_slug_resolves_both_encoded_and_raw(client):
    post = make_post(title="L'échafaud", published_at=timezone.now() - timezone.timedelta(days=40))
    assert client.get(post.get_absolute_url()).status_code == 200
    published = timezone.localtime(post.published_at)
    raw = f"/{published.year}/{published.month:02d}/{post.slug}/"
    assert client.get(raw).status_code == 200


def test_wrong_date_or_unknown_slug_is_404(client, post):
    published = timezone.localtime(post.published_at)
    other_year = published.year - 1
    assert client.get(f"/{other_year}/{published.month:02d}/{post.slug}/").status_code == 404
    assert client.get(f"/{published.year}/13/{post.slug}/").status_code == 404
    assert client.get(f"/{published.year}/{published.month:02d}/nope/").status_code == 404


def test_future_post_is_404(client):
    post = make_post(published_at=timezone.now() + timezone.timedelta(days=3))
    assert client.get(post.get_absolute_url()).status_code == 404


def test_deep_replies_show_at_display_depth_with_in_reply_to(client, post, settings):
    settings.COMMENTS_DISPLAY_DEPTH = 2
    top = make_comment(post, name="top")
    second = make_comment(post, parent=top, name="second")
    third = make_comment(post, parent=second, name="third")

    html = client.get(post.get_absolute_url()).content.decode()

    assert f'id="comment-{third.pk}" class="comment depth-2"' in html
    assert f'in reply to <a href="#comment-{second.pk}">second</a>' in html
    assert html.count('<ol class="children">') == 1


def test_a_reply_to_a_hidden_comment_hangs_under_the_nearest_shown_ancestor(client, post):
    top = make_comment(post, name="top")
    removed = make_comment(post, parent=top, name="removed", status="removed")
    orphan = make_comment(post, parent=removed, name="orphan")

    html = client.get(post.get_absolute_url()).content.decode()

    assert f'id="comment-{orphan.pk}" class="comment depth-2"' in html
    assert len(re.findall("<li[ >]", html)) == html.count("</li>") == 2


def test_closed_post_shows_no_form(client):
    post = make_post(comments_open=False)
    html = client.get(post.get_absolute_url()).content.decode()
    assert "Comments are closed." in html and 'id="commentform"' not in html


@pytest.mark.parametrize("size", [3, 300])
def test_post_page_query_count_does_not_grow(client, django_assert_num_queries, size):
    post = make_post()
    make_thread(post, size)
    # 1. the post's versions (the cache key), 2. the post, 3. the thread's
    # top-level comment ids, 4. the page's comments in thread order, with
    # the post's pingbacks; the header's archive years: 5. the site version,
    # 6. the counts (none held yet)
    with django_assert_num_queries(6):
        response = client.get(post.get_absolute_url())
    # 300 comments make 200 top-level ones: the first 50 with their replies.
    assert response.content.decode().count('class="comment depth-') == min(size, 75)
    # Cached: only the post's versions.
    with django_assert_num_queries(1):
        assert client.get(post.get_absolute_url()).status_code == 200


def test_replytocom_turns_the_form_into_a_reply(client, post, django_assert_num_queries):
    parent = make_comment(post, name="poetichigh")
    # The versions, whether the comment can be replied to (the cache key),
    # then on a miss the post, top-level ids, the page's comments and
    # pingbacks, and the header's 2 (site version, archive years).
    with django_assert_num_queries(7):
        html = client.get(post.get_absolute_url(), {"replytocom": parent.pk}).content.decode()
    assert 'Leave a Reply to <span class="reply-to-name">poetichigh</span>' in html
    assert f'name="parent" value="{parent.pk}"' in html
    assert 'id="cancel-comment-reply" href="' in html and "hidden>Cancel reply" not in html


@pytest.mark.parametrize("value", ["abc", "-1", "999999999999999999999999", "", "0"])
def test_replytocom_nonsense_shows_the_plain_form(client, post, value):
    response = client.get(post.get_absolute_url(), {"replytocom": value})
    assert response.status_code == 200
    assert 'name="parent" value=' not in response.content.decode()


# --- Leaving a reply ----------------------------------------------------------------


def test_posting_a_reply_redirects_to_its_anchor_where_it_shows(client, post):
    parent = make_comment(post)
    response = client.post(
        post.get_absolute_url(),
        REPLY | {"parent": parent.pk},
        HTTP_USER_AGENT="Mozilla/5.0 (test)",
        REMOTE_ADDR="192.0.2.55",
    )

    comment = Comment.objects.get(name="Ada")
    assert response.status_code == 302
    assert response["Location"] == f"{post.get_absolute_url()}#comment-{comment.pk}"
    assert comment.get_absolute_url() == f"/comments/{comment.pk}/"
    assert (comment.parent, comment.ip_address, comment.user_agent) == (
        parent,
        "192.0.2.55",
        "Mozilla/5.0 (test)",
    )
    html = client.get(response["Location"]).content.decode()
    assert f'id="comment-{comment.pk}"' in html
    assert "192.0.2.55" not in html and "Mozilla/5.0 (test)" not in html


def test_posting_a_reply_takes_a_fixed_number_of_queries(client, post, django_assert_num_queries):
    parent = make_comment(post)
    make_thread(post, 30)
    # 1. the post, 2. savepoint, 3. the parent's post and status, 4. the
    # per-IP flood lock, 5. the IP's and author's history (flood, duplicate,
    # previously approved), 6. insert, 7. release savepoint, 8. the new
    # comment's thread page
    with django_assert_num_queries(8):
        response = client.post(post.get_absolute_url(), REPLY | {"parent": parent.pk})
    assert response.status_code == 302


def test_invalid_reply_keeps_everything_typed(client, post):
    response = client.post(post.get_absolute_url(), REPLY | {"email": "nope", "url": "https://ada.example/"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Please enter a valid email address." in html
    assert 'value="nope"' in html and 'value="https://ada.example/"' in html
    assert "Lovely record.</textarea>" in html
    assert not Comment.objects.exists()


def test_reply_to_a_vanished_parent_keeps_the_text(client, post):
    parent = make_comment(post, status="removed")
    response = client.post(post.get_absolute_url(), REPLY | {"parent": parent.pk})
    html = response.content.decode()
    assert response.status_code == 400
    assert "no longer available" in html and "Lovely record.</textarea>" in html


def test_reply_on_a_closed_post_is_refused_with_the_text_kept(client):
    post = make_post(comments_open=False)
    response = client.post(post.get_absolute_url(), REPLY)
    assert response.status_code == 403
    assert "Comments are closed on this post" in response.content.decode()
    assert "Lovely record.</textarea>" in response.content.decode()
    assert not Comment.objects.exists()


def test_nul_bytes_never_reach_the_database(client, post):
    response = client.post(post.get_absolute_url(), REPLY | {"name": "A\x00da", "body": "x\x00y"})
    assert response.status_code == 400
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_ORIGIN": "null"},
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_SEC_FETCH_SITE": "same-site", "HTTP_ORIGIN": "http://blog.testserver"},
        {"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_ORIGIN": "http://testserver"},
    ],
)
def test_a_cross_site_reply_is_refused_and_the_text_survives(post, headers):
    client = Client(enforce_csrf_checks=True)
    response = client.post(post.get_absolute_url(), REPLY | {"body": "My long reply"}, **headers)
    html = response.content.decode()
    assert response.status_code == 403
    assert response["Cache-Control"] == "private, no-store"
    assert not Comment.objects.exists()
    assert "sent from another site" in html and "My long reply</textarea>" in html
    # Sent again from the page itself, it is taken.
    response = client.post(
        post.get_absolute_url(), REPLY, HTTP_ORIGIN="http://testserver", HTTP_SEC_FETCH_SITE="same-origin"
    )
    assert response.status_code == 302
    assert Comment.objects.count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},  # not a browser: nothing to ride on
        {"HTTP_ORIGIN": "http://testserver"},
        {"HTTP_SEC_FETCH_SITE": "same-origin"},
        {"HTTP_SEC_FETCH_SITE": "none"},
    ],
)
def test_an_anonymous_reply_from_this_site_needs_no_token(post, headers):
    response = Client(enforce_csrf_checks=True).post(post.get_absolute_url(), REPLY, **headers)
    assert response.status_code == 302 and Comment.objects.count() == 1


def test_signed_in_users_still_need_the_csrf_token_and_keep_their_text(admin_user, post):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    same_origin = {"HTTP_ORIGIN": "http://testserver", "HTTP_SEC_FETCH_SITE": "same-origin"}
    response = client.post(post.get_absolute_url(), REPLY | {"body": "My long reply"}, **same_origin)
    html = response.content.decode()
    assert response.status_code == 403 and not Comment.objects.exists()
    assert "Your form had expired" in html and "My long reply</textarea>" in html
    # The re-rendered form carries a token that works.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
    response = client.post(post.get_absolute_url(), REPLY | {"csrfmiddlewaretoken": token}, **same_origin)
    assert response.status_code == 302
    assert Comment.objects.count() == 1


def test_csrf_failure_elsewhere_is_a_plain_403(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/")
    assert response.status_code in (403, 405)


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_refused(client, post, method):
    assert getattr(client, method)(post.get_absolute_url()).status_code == 405


def test_pingbacks_and_trackbacks_are_listed_apart(client, post):
    make_comment(post, name="A reader")
    make_comment(post, kind="pingback", name="Some Blog &raquo; A post", url="https://blog.example/p/1")
    make_comment(post, kind="trackback", name="Another Blog", url="https://other.example/")
    make_comment(post, kind="pingback", name="Held Ping", status="pending")

    html = client.get(post.get_absolute_url()).content.decode()

    assert "1 Response so far" in html
    assert "2 Pingbacks &amp; Trackbacks" in html
    pings = html[html.index('id="pingbacks"') :]
    assert '<a href="https://blog.example/p/1" rel="nofollow ugc">Some Blog &amp;raquo; A post</a>' in pings
    assert "Trackback," in pings and "Held Ping" not in html
    thread = html[html.index('id="comments"') : html.index('id="pingbacks"')]
    assert "Another Blog" not in thread


def test_home_page_redirects_an_imported_blogs_query_links(client):
    from archive.models import PostSource

    post = make_post()
    PostSource.objects.create(
        post=post, site="old.example", key="123", original_id="123", original_url="/?p=123"
    )
    response = client.get("/", {"p": "123"})
    assert response.status_code == 301 and response["Location"] == post.get_absolute_url()
    assert client.get("/", {"p": "999"}).status_code == 200
