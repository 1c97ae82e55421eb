"""A commenter changing their own comment: from the browser that sent it, for COMMENTS_EDIT_MINUTES."""

import re
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from comments import cookies, edit_window
from comments.edit_window import OWN_COOKIE
from comments.models import Comment, StatusChange
from comments.own_comment import CONFIRM_DELETE, DELETED_NOTE
from conftest import make_comment, make_form_timestamp, make_post
from wflm.tests.test_settings import PRODUCTION, manage

pytestmark = pytest.mark.django_db

REPLY = {"name": "Ada", "email": "ada@example.com", "url": "", "body": "Lovely record."}
EDIT_LINK = re.compile(
    r'<a class="comment-edit-link" href="/comments/(\d+)/edit/" data-seconds-left="(\d+)">'
)


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.COMMENTS_EDIT_MINUTES = 10
    settings.COMMENTS_REQUIRE_PREVIOUSLY_APPROVED = False  # comments are approved unless a rule holds them
    settings.COMMENTS_FLOOD_SECONDS = 0
    settings.MODERATOR_EMAILS = ["mod@example.com"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def own(client, *comments):
    """Give client the wflm_own cookie a browser gets when it posts comments."""
    request = RequestFactory().get("/")
    for comment in comments:
        response = HttpResponse()
        edit_window.grant(response, request, comment)
        request.COOKIES[OWN_COOKIE] = response.cookies[OWN_COOKIE].value
    client.cookies[OWN_COOKIE] = request.COOKIES[OWN_COOKIE]
    return client


def edit_url(comment):
    return f"/comments/{comment.pk}/edit/"


def delete_url(comment):
    return f"/comments/{comment.pk}/delete/"


def typed(**values):
    return {"name": "Ada", "url": "", "body": "Changed my mind."} | values


def age(comment, minutes):
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - timedelta(minutes=minutes))


# --- The cookie -----------------------------------------------------------------------------------


def test_posting_a_comment_gives_this_browser_a_signed_httponly_cookie_for_the_window(client, post):
    response = client.post(post.get_absolute_url(), REPLY | {"ts": make_form_timestamp()})

    comment = Comment.objects.get(name="Ada")
    cookie = response.cookies[OWN_COOKIE]
    assert response.status_code == 302
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]
    assert cookie["max-age"] == 600
    assert signing.loads(cookie.value, salt="comments.edit_window.own") == [comment.pk]


def test_the_cookie_is_secure_over_https_and_keeps_the_latest_ids(post, settings):
    settings.HTTPS = True
    request = RequestFactory().get("/")
    comments = [make_comment(post) for _ in range(edit_window.MAX_OWN_IDS + 2)]
    for comment in comments:
        response = HttpResponse()
        edit_window.grant(response, request, comment)
        request.COOKIES[OWN_COOKIE] = response.cookies[OWN_COOKIE].value
    assert response.cookies[OWN_COOKIE]["secure"]
    assert edit_window.editable_ids(request) == [c.pk for c in comments[-edit_window.MAX_OWN_IDS :]]


@pytest.mark.parametrize(
    ("value", "ids"),
    [
        ("garbage", []),
        (signing.dumps([1, 2], salt="comments.cookies.pending"), []),  # another cookie's value
        (signing.dumps({"id": 1}, salt="comments.edit_window.own"), []),
        (signing.dumps(["1", True, 2], salt="comments.edit_window.own"), [2]),
    ],
)
def test_a_forged_or_odd_cookie_names_nothing_it_should_not(value, ids):
    request = RequestFactory().get("/", HTTP_COOKIE=f"{OWN_COOKIE}={value}")
    assert edit_window.editable_ids(request) == ids


def test_editing_off_gives_no_cookie(client, post, settings):
    settings.COMMENTS_EDIT_MINUTES = 0
    response = client.post(post.get_absolute_url(), REPLY | {"ts": make_form_timestamp()})
    assert response.status_code == 302 and OWN_COOKIE not in response.cookies


@pytest.mark.parametrize(("value", "message"), [("-1", "must be 0 or more"), ("1441", "at most 1440")])
def test_a_bad_edit_window_fails_at_start_up(value, message):
    result = manage("check", **PRODUCTION, COMMENTS_EDIT_MINUTES=value)
    assert result.returncode != 0 and message in result.stderr


# --- "Edit" in the thread -------------------------------------------------------------------------


def test_the_thread_shows_edit_with_the_time_left_on_the_authors_comment_only(client, post):
    other = make_comment(post, name="Someone else")
    mine = make_comment(post, name="Ada")
    age(mine, 1)
    html = own(client, mine).get(post.get_absolute_url()).content.decode()

    links = EDIT_LINK.findall(html)
    assert [int(pk) for pk, _ in links] == [mine.pk]
    assert 530 <= int(links[0][1]) <= 540
    assert 'Edit <span class="edit-time-left">(9 min left)</span></a>' in html
    assert f"/comments/{other.pk}/edit/" not in html
    assert "js/edit-own.js" in html


def test_a_held_comment_shown_to_its_author_offers_edit_but_a_spam_one_does_not(client, post):
    held = make_comment(post, status="pending")
    spam = make_comment(post, status="spam")
    client.cookies["wflm_pending"] = _pending_cookie(held, spam)
    html = own(client, held, spam).get(post.get_absolute_url()).content.decode()
    assert [int(pk) for pk, _ in EDIT_LINK.findall(html)] == [held.pk]


def _pending_cookie(*comments):
    request = RequestFactory().get("/")
    for comment in comments:
        response = HttpResponse()
        cookies.add_pending(response, request, comment)
        request.COOKIES["wflm_pending"] = response.cookies["wflm_pending"].value
    return request.COOKIES["wflm_pending"]


def test_the_page_showing_edit_is_private_and_never_from_the_cache(client, post, django_assert_num_queries):
    mine = make_comment(post)
    stranger = type(client)()
    # The stranger's visit fills the cache (and the header's per-process archive years) ...
    assert "public" in stranger.get(post.get_absolute_url())["Cache-Control"]
    own(client, mine)
    # ... the author's page is rendered for them all the same: 1. the post's
    # versions, 2. the post, 3. top-level ids, 4. the page's comments, 5. the
    # site version (the header's archive years are remembered, not counted again).
    with django_assert_num_queries(5):
        response = client.get(post.get_absolute_url())
    assert response["Cache-Control"] == "private, no-store"
    assert "ETag" not in response
    assert len(EDIT_LINK.findall(response.content.decode())) == 1
    # And the author's page was not stored for the stranger.
    assert not EDIT_LINK.findall(stranger.get(post.get_absolute_url()).content.decode())


def test_after_the_window_the_link_is_gone(client, post):
    mine = make_comment(post)
    own(client, mine)
    age(mine, 11)
    html = client.get(post.get_absolute_url()).content.decode()
    assert f'id="comment-{mine.pk}"' in html and not EDIT_LINK.findall(html)
    assert "js/edit-own.js" not in html


# --- The edit page --------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 120])
def test_the_edit_page_has_the_form_and_the_time_left(client, django_assert_num_queries, size):
    post = make_post()
    for number in range(size - 1):
        make_comment(post, name=f"reader {number}")
    mine = make_comment(post, name="Ada", url="https://ada.example/", body="My <b>first</b> take.")
    own(client, mine)
    # 1. the comment with its post, 2. where it shows (its thread page),
    # the header's archive years: 3. the site version, 4. the counts.
    with django_assert_num_queries(4):
        response = client.get(edit_url(mine))
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert 'value="Ada"' in html and 'value="https://ada.example/"' in html
    assert "My &lt;b&gt;first&lt;/b&gt; take.</textarea>" in html
    assert "10 min left" in html and 'data-seconds-left="' in html
    assert f'action="/comments/{mine.pk}/delete/"' in html
    assert "csrfmiddlewaretoken" not in html  # anonymous pages carry no token (wflm/same_origin.py)
    expected_page = "" if size <= 50 else "comment-page-3/"
    assert f'href="{post.get_absolute_url()}{expected_page}#comment-{mine.pk}"' in html


def test_a_signed_in_commenter_gets_a_token_and_needs_it(client, post, django_user_model):
    user = django_user_model.objects.create_user("reader", "r@example.com", "pw")
    mine = make_comment(post)
    client = type(client)(enforce_csrf_checks=True)
    client.force_login(user)
    own(client, mine)
    html = client.get(edit_url(mine)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    # A stale or missing token: refused, the text handed back.
    response = client.post(edit_url(mine), typed(body="Typed while signed in."))
    assert response.status_code == 403
    assert "Your form had expired" in response.content.decode()
    assert "Typed while signed in.</textarea>" in response.content.decode()
    mine.refresh_from_db()
    assert mine.body == "A response."
    # With the page's token: saved.
    assert client.post(edit_url(mine), typed(csrfmiddlewaretoken=token)).status_code == 302
    mine.refresh_from_db()
    assert mine.body == "Changed my mind."


# --- Editing inside the window --------------------------------------------------------------------


def test_an_edit_inside_the_window_is_saved_with_the_original_kept(client, post, django_assert_num_queries):
    mine = make_comment(post, name="Ada", body="Frist!")
    own(client, mine)
    # 1. the comment and post, 2. savepoint (the edit and any change of
    # status), 3. edit_comment's savepoint, 4. lock the row, 5. the history
    # entry, 6. the update, 7.-8. release both, 9. where it shows. The rules
    # that read what it says need no query.
    with django_assert_num_queries(9):
        response = client.post(
            edit_url(mine), typed(name="Ada L.", url="https://ada.example/", body="First!")
        )

    assert response.status_code == 302
    assert response["Location"] == f"{post.get_absolute_url()}#comment-{mine.pk}"
    mine.refresh_from_db()
    assert (mine.name, mine.url, mine.body, mine.status) == (
        "Ada L.",
        "https://ada.example/",
        "First!",
        "approved",
    )
    assert "First!" in mine.body_html
    (edit,) = mine.edits.all()
    assert (edit.old_name, edit.old_body, edit.by_commenter, edit.edited_by) == ("Ada", "Frist!", True, None)
    assert not StatusChange.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "First!" in page and "Frist!" not in page


def test_adding_three_links_holds_an_approved_comment_and_keeps_the_original(
    client, post, django_capture_on_commit_callbacks
):
    mine = make_comment(post, body="Nice one.")
    own(client, mine)
    links = "See https://a.example https://b.example and https://c.example"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(edit_url(mine), typed(body=links))

    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.status, mine.moderation_rule) == ("pending", "max_links")
    assert mine.moderation_note.startswith("After its commenter's edit: 3 links")
    assert mine.edits.get().old_body == "Nice one."
    change = mine.status_changes.get()
    assert (change.from_status, change.to_status, change.changed_by) == ("approved", "pending", None)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["mod@example.com"]
    # Its author still sees it, awaiting moderation; nobody else does.
    assert "wflm_pending" in response.cookies
    page = client.get(post.get_absolute_url()).content.decode()
    assert "Your comment is awaiting moderation." in page and "c.example" in page
    assert "c.example" not in type(client)().get(post.get_absolute_url()).content.decode()


def test_a_disallowed_word_makes_it_spam(client, post, settings):
    settings.COMMENTS_DISALLOWED_KEYS = ["casino"]
    mine = make_comment(post)
    own(client, mine)
    assert client.post(edit_url(mine), typed(body="Best casino here")).status_code == 302
    mine.refresh_from_db()
    assert (mine.status, mine.moderation_rule) == ("spam", "disallowed_keys")
    assert mine.status_changes.get().to_status == "spam"


def test_a_pending_comment_stays_pending_and_an_approved_one_approved(client, post, settings):
    settings.COMMENTS_MODERATION_KEYS = ["rules"]  # a moderation word holds both alike
    held = make_comment(post, status="pending")
    approved = make_comment(post, body="Fine.")
    own(client, held, approved)
    client.post(edit_url(held), typed(body="Edited while held."))
    client.post(edit_url(approved), typed(body="Edited while shown."))
    held.refresh_from_db()
    approved.refresh_from_db()
    assert (held.status, approved.status) == ("pending", "approved")
    assert not StatusChange.objects.exists()


def test_flood_and_first_time_rules_do_not_apply_to_an_edit(client, post, settings):
    settings.COMMENTS_REQUIRE_PREVIOUSLY_APPROVED = True
    settings.COMMENTS_FLOOD_SECONDS = 3600
    mine = make_comment(post, email="first@example.com", ip_address="127.0.0.1")
    own(client, mine)
    assert client.post(edit_url(mine), typed()).status_code == 302
    mine.refresh_from_db()
    assert (mine.body, mine.status) == ("Changed my mind.", "approved")


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({"body": "   "}, "Please type your comment."),
        ({"body": "x" * 10_005}, "please shorten it by 5"),
        ({"body": "nul \x00 inside"}, "Null characters are not allowed."),
        ({"url": "ftp://ada.example/"}, "Please enter a web address starting with http:// or https://."),
        ({"name": ""}, "Please enter your name."),
    ],
)
def test_a_bad_edit_comes_back_with_the_text_and_saves_nothing(client, post, values, error):
    mine = make_comment(post)
    own(client, mine)
    sent = typed(name="Ada Lovelace", url="https://ada.example/", body="Kept text.") | values
    response = client.post(edit_url(mine), sent)
    html = response.content.decode()
    assert response.status_code == 400
    assert error in html and 'class="field-error"' in html
    assert response["Cache-Control"] == "private, no-store"
    if "name" not in values:
        assert 'value="Ada Lovelace"' in html
    if "body" not in values:
        assert "Kept text.</textarea>" in html
    if len(values.get("body", "")) > 10_000:
        assert "x" * 10_005 + "</textarea>" in html
    mine.refresh_from_db()
    assert mine.body == "A response." and not mine.edits.exists()


# --- Refusals -------------------------------------------------------------------------------------


def test_after_the_window_a_post_is_refused_with_a_message_and_the_text_kept(client, post):
    mine = make_comment(post)
    own(client, mine)
    age(mine, 10.1)
    assert client.get(edit_url(mine)).status_code == 403
    response = client.post(edit_url(mine), typed(body="Too late <b>but</b> typed."))
    html = response.content.decode()
    assert response.status_code == 403
    assert "The time to change this comment is over" in html
    assert "Too late &lt;b&gt;but&lt;/b&gt; typed.</textarea>" in html
    assert client.post(delete_url(mine), {"confirm": "yes"}).status_code == 403
    mine.refresh_from_db()
    assert mine.body == "A response." and mine.status == "approved"


@pytest.mark.parametrize("cookie", ["none", "forged", "another comment's"])
def test_another_browser_is_refused_and_keeps_its_text(client, post, cookie, django_assert_num_queries):
    mine = make_comment(post)
    if cookie == "forged":
        # A real cookie for another comment, its payload swapped for one naming mine.
        own(client, make_comment(post))
        _payload, timestamp, signature = client.cookies[OWN_COOKIE].value.rsplit(":", 2)
        payload = signing.dumps([mine.pk], salt="x").rsplit(":", 2)[0]
        client.cookies[OWN_COOKIE] = f"{payload}:{timestamp}:{signature}"
    elif cookie == "another comment's":
        own(client, make_comment(post))
    assert client.get(edit_url(mine)).status_code == 403
    # 1. the comment and its post, 2. the site version (the header's archive
    # years are remembered since the GET above).
    with django_assert_num_queries(2):
        response = client.post(edit_url(mine), typed(body="Not mine to change."))
    assert response.status_code == 403
    assert "only from the browser that sent it" in response.content.decode()
    assert "Not mine to change.</textarea>" in response.content.decode()
    assert client.post(delete_url(mine), {"confirm": "yes"}).status_code == 403
    mine.refresh_from_db()
    assert (mine.body, mine.status) == ("A response.", "approved")


def test_a_cookie_signed_with_another_key_is_refused(client, post, settings):
    mine = make_comment(post)
    settings.SECRET_KEY = "another key, as a forger would have " + "x" * 20
    own(client, mine)
    settings.SECRET_KEY = "the site's own key " + "y" * 40
    assert client.get(edit_url(mine)).status_code == 403


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [("removed", 410, "This comment was deleted"), ("spam", 403, "set this comment aside")],
)
def test_a_removed_or_spam_comment_cannot_be_changed(client, post, status, code, message):
    mine = make_comment(post, status=status)
    own(client, mine)
    response = client.post(edit_url(mine), typed(body="Let me fix it."))
    assert response.status_code == code
    assert message in response.content.decode() and "Let me fix it.</textarea>" in response.content.decode()


@pytest.mark.parametrize("comment_id", ["999999", "abc", "0", "99999999999999999999999", "١٢"])
def test_an_unknown_id_is_a_404_page(client, comment_id):
    response = client.get(f"/comments/{comment_id}/edit/")
    assert response.status_code == 404 and "There is no comment at this address." in response.content.decode()
    assert client.post(f"/comments/{comment_id}/delete/", {"confirm": "yes"}).status_code == 404


def test_editing_turned_off_refuses_everything(client, post, settings):
    mine = make_comment(post)
    own(client, mine)
    settings.COMMENTS_EDIT_MINUTES = 0
    response = client.post(edit_url(mine), typed())
    assert response.status_code == 403 and "Changed my mind.</textarea>" in response.content.decode()
    assert not EDIT_LINK.findall(client.get(post.get_absolute_url()).content.decode())


def test_a_post_from_another_site_is_refused_with_the_text_kept(client, post):
    mine = make_comment(post)
    own(client, mine)
    response = client.post(
        edit_url(mine), typed(body="Sent from elsewhere."), HTTP_ORIGIN="https://evil.example"
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert "sent from another site" in html and "Sent from elsewhere.</textarea>" in html
    delete = client.post(delete_url(mine), {"confirm": "yes"}, HTTP_SEC_FETCH_SITE="cross-site")
    assert delete.status_code == 403
    mine.refresh_from_db()
    assert (mine.body, mine.status) == ("A response.", "approved")


def test_other_methods_are_refused(client, post):
    mine = make_comment(post)
    own(client, mine)
    assert client.put(edit_url(mine)).status_code == 405
    assert client.get(delete_url(mine)).status_code == 405
    assert client.head(edit_url(mine)).status_code == 200


# --- Deleting -------------------------------------------------------------------------------------


def test_delete_asks_for_the_box_to_be_ticked_first(client, post):
    mine = make_comment(post)
    own(client, mine)
    response = client.post(delete_url(mine))
    assert response.status_code == 400 and CONFIRM_DELETE in response.content.decode()
    mine.refresh_from_db()
    assert mine.status == "approved"


def test_delete_inside_the_window_removes_it_logged_as_the_commenters(
    client, post, django_assert_num_queries
):
    mine = make_comment(post, body="Regrettable.")
    own(client, mine)
    # 1. the comment and post, 2. savepoint (removal and note), 3. moderate's
    # savepoint, 4. lock the row, 5. status, 6. the log, 7. release, 8. the
    # note, 9. release, then the header's 10. site version, 11. archive years.
    with django_assert_num_queries(11):
        response = client.post(delete_url(mine), {"confirm": "yes"})
    assert response.status_code == 200 and "Your comment is deleted" in response.content.decode()
    assert response["Cache-Control"] == "private, no-store"
    mine.refresh_from_db()
    assert (mine.status, mine.moderation_note) == ("removed", DELETED_NOTE)
    change = mine.status_changes.get()
    assert (change.from_status, change.to_status, change.changed_by) == ("approved", "removed", None)
    assert "Regrettable." not in client.get(post.get_absolute_url()).content.decode()
    # Sent again (a reload): the comment is gone, and says so.
    assert client.post(delete_url(mine), {"confirm": "yes"}).status_code == 410
    # A moderator can bring it back (Comment.objects.restore).
    Comment.objects.filter(pk=mine.pk).restore()
    mine.refresh_from_db()
    assert mine.status == "approved"
