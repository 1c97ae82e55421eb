"""The anonymous page cache: fast, never stale, never shared where personal."""

import gzip
import re

import pytest
from django.test import Client

from comments.models import Comment
from comments.moderation import form_age
from conftest import make_comment, make_form_timestamp, make_post
from posts.models import Post, SiteVersion

pytestmark = pytest.mark.django_db

REPLY = {"name": "Ada", "email": "ada@example.com", "url": "", "body": "Lovely record."}


def test_a_post_page_is_served_from_the_cache(client, post, django_assert_num_queries):
    make_comment(post, name="first reader")
    first = client.get(post.get_absolute_url())
    # The version lookup is all a hit costs.
    with django_assert_num_queries(1):
        second = client.get(post.get_absolute_url())
    assert second.status_code == 200
    assert "first reader" in second.content.decode()
    assert first["ETag"] == second["ETag"]


def test_a_new_approved_reply_shows_at_once(client, post):
    make_comment(post, name="first reader")
    client.get(post.get_absolute_url())
    make_comment(post, name="second reader")
    assert "second reader" in client.get(post.get_absolute_url()).content.decode()


def test_moderation_changes_show_at_once_on_the_post_and_the_lists(client, post):
    comment = make_comment(post, name="soon hidden")
    assert "soon hidden" in client.get(post.get_absolute_url()).content.decode()
    assert "1 Response" in client.get("/").content.decode()
    # A bulk update, as the admin's actions do: no Python signal involved.
    Comment.objects.filter(pk=comment.pk).update(status="spam")
    assert "soon hidden" not in client.get(post.get_absolute_url()).content.decode()
    assert "0 Responses" in client.get("/").content.decode()


def test_every_write_changes_the_versions(post):
    versions = [SiteVersion.current()[0]]
    comment = make_comment(post)
    post.refresh_from_db()
    assert post.thread_version > 0 and post.thread_changed_at is not None
    thread_version = post.thread_version
    versions.append(SiteVersion.current()[0])
    comment.delete()
    post.refresh_from_db()
    assert post.thread_version > thread_version
    versions.append(SiteVersion.current()[0])
    Post.objects.filter(pk=post.pk).delete()
    versions.append(SiteVersion.current()[0])
    assert len(set(versions)) == 4


def test_a_scheduled_post_shows_in_the_list_when_its_time_comes(client, post):
    from datetime import timedelta

    from django.utils import timezone

    later = make_post(title="Scheduled - Post (2030)", published_at=timezone.now() + timedelta(hours=1))
    assert "Scheduled - Post" not in client.get("/").content.decode()
    # Time passes: nothing was written, yet the list must change.
    Post.objects.filter(pk=later.pk).update(published_at=timezone.now() - timedelta(seconds=1))
    assert "Scheduled - Post" in client.get("/").content.decode()


def test_anonymous_readers_get_the_same_bytes_and_can_reply_from_them(post):
    alice, bob = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    alice_page = alice.get(post.get_absolute_url())
    bob_page = bob.get(post.get_absolute_url())  # a cache hit

    assert alice_page.content == bob_page.content
    assert "csrfmiddlewaretoken" not in bob_page.content.decode()
    # Nothing personal in the headers either: no cookie, Vary on the encoding only.
    assert not bob_page.cookies and bob_page["Vary"] == "Accept-Encoding"
    data = REPLY | {"ts": make_form_timestamp()}
    response = bob.post(
        post.get_absolute_url(), data, HTTP_ORIGIN="http://testserver", HTTP_SEC_FETCH_SITE="same-origin"
    )
    assert response.status_code == 302


def test_anonymous_pages_tell_shared_caches_they_may_keep_them(client, post, settings):
    settings.HTTP_CACHE_SHARED_SECONDS, settings.HTTP_CACHE_STALE_SECONDS = 7, 40
    for _ in range(2):  # a miss, then a hit
        response = client.get(post.get_absolute_url())
        assert response["Cache-Control"] == "public, max-age=0, s-maxage=7, stale-while-revalidate=40"
        assert re.fullmatch(r'"[0-9a-f]{24}"', response["ETag"])  # strong


def test_conditional_get_answers_304(client, post):
    first = client.get(post.get_absolute_url())
    assert first["Last-Modified"] and first["Cache-Control"].startswith("public, ")
    again = client.get(post.get_absolute_url(), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and not again.content
    assert again["Cache-Control"] == first["Cache-Control"] and again["ETag"] == first["ETag"]
    make_comment(post)
    changed = client.get(post.get_absolute_url(), HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def test_html_is_compressed_for_clients_that_accept_it(client, post):
    for _ in range(5):
        make_comment(post)
    response = client.get(post.get_absolute_url(), HTTP_ACCEPT_ENCODING="gzip, br")
    assert response["Content-Encoding"] == "gzip"
    assert b"Leave a Reply" in gzip.decompress(response.content)


@pytest.mark.parametrize(
    ("cookie", "query"),
    [("sessionid", ""), ("wflm_pending", ""), ("wflm_commenter", ""), ("", "?utm=x")],
)
def test_personal_pages_bypass_the_cache(client, post, django_assert_num_queries, cookie, query):
    url = post.get_absolute_url() + query
    client.get(url)
    if cookie:
        client.cookies[cookie] = "anything"
    # versions, post, top-level ids, page of comments and pingbacks: rendered
    # anew; and the site version for the header's archive years (their counts
    # are held from the first GET: posts/templatetags/site_nav.py)
    with django_assert_num_queries(5):
        response = client.get(url)
    # Personal to this reader: no shared cache, and not the browser's either.
    assert response["Cache-Control"] == "private, no-store"


def test_errors_are_never_cached(client, post):
    client.post(post.get_absolute_url(), REPLY | {"email": "nope"})
    page = client.get(post.get_absolute_url()).content.decode()
    assert "Please enter a valid email address." not in page and 'value="nope"' not in page


def test_the_form_timestamp_is_fresh_on_a_cached_page(client, post):
    client.get(post.get_absolute_url())
    cached = client.get(post.get_absolute_url()).content.decode()
    value = re.search(r'name="ts" value="([^"]+)"', cached)[1]
    assert "wflm-form-timestamp" not in value
    assert 0 <= form_age(value) < 5


@pytest.mark.parametrize("value", ["a1", "a2", "0", "-1", "1.0", "²", "", "1" * 7])
def test_list_pages_other_than_real_ones_are_404_and_never_cached(client, post, value):
    response = client.get("/", {"page": value})
    assert response.status_code == 404
    assert "ETag" not in response


def test_a_page_number_has_one_cache_entry_and_etag(client, post):
    etags = {client.get(path)["ETag"] for path in ["/", "/?page=1", "/?page=01", "/?page=001"]}
    assert len(etags) == 1
    assert client.get("/?page=2").status_code == 404  # one post: one page
    assert client.get("/2009/?page=1").status_code == 200  # an empty list still has its first page


def test_a_form_with_the_readers_text_is_never_stored(client, post):
    response = client.post(post.get_absolute_url(), REPLY | {"email": "nope"})
    assert response.status_code == 400
    assert response["Cache-Control"] == "private, no-store"


def test_a_signed_in_moderators_page_is_never_stored(admin_client, post):
    for url in [post.get_absolute_url(), "/"]:
        assert admin_client.get(url)["Cache-Control"] == "private, no-store"


def test_reply_pages_are_cached_one_per_comment(client, post, django_assert_num_queries):
    first = make_comment(post, name="First reader")
    second = make_comment(post, name="Second reader")
    url = post.get_absolute_url()
    client.get(f"{url}?replytocom={first.pk}")
    # The versions, and whether the comment can be replied to.
    with django_assert_num_queries(2):
        page = client.get(f"{url}?replytocom={first.pk}").content.decode()
    assert 'Leave a Reply to <span class="reply-to-name">First reader' in page
    other = client.get(f"{url}?replytocom={second.pk}").content.decode()
    assert 'Leave a Reply to <span class="reply-to-name">Second reader' in other
    assert f'name="parent" value="{second.pk}"' in other


@pytest.mark.parametrize("value", ["abc", "²", "0", "999999", "held"])
def test_reply_pages_for_nothing_to_reply_to_are_the_plain_page(client, post, value):
    held = make_comment(post, status="pending")
    value = str(held.pk) if value == "held" else value
    plain = client.get(post.get_absolute_url())
    reply = client.get(post.get_absolute_url(), {"replytocom": value})
    assert reply.status_code == 200
    assert reply["ETag"] == plain["ETag"]
    assert 'Leave a Reply to <span class="reply-to-name">' not in reply.content.decode()
