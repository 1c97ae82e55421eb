"""The moderator's desk: the queue's order and default filter, row actions and their undo, replies
as the site, edits with history, keyboard shortcuts per moderator, the header count everywhere."""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from comments.models import Comment, CommentEdit, ModeratorPreference, StatusChange
from conftest import make_comment, make_post

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/comments/comment/"
JSON = {"HTTP_ACCEPT": "application/json"}


def moderate_url(comment, step):
    return f"{CHANGELIST}{comment.pk}/moderate/{step}/"


def undo_url(comment):
    return f"{CHANGELIST}{comment.pk}/undo/"


def reply_url(comment):
    return f"{CHANGELIST}{comment.pk}/reply/"


def status_of(comment):
    return Comment.objects.get(pk=comment.pk).status


def row_ids(html):
    return [int(pk) for pk in re.findall(r'class="queue-comment" id="queue-(\d+)"', html)]


@pytest.fixture
def staff_client(django_user_model):
    """A staff member who may view comments but not change them."""

    def make(*codenames):
        user = django_user_model.objects.create_user("helper", "helper@example.com", "pw", is_staff=True)
        user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
        client = Client()
        client.force_login(user)
        return client

    return make


# --- The list ----------------------------------------------------------------------------------------


def test_newest_first_and_pending_chosen_when_anything_is_pending(admin_client, post):
    now = timezone.now()
    old = make_comment(post, status="pending", created_at=now - timedelta(days=3))
    new = make_comment(post, status="pending", created_at=now - timedelta(hours=1))
    approved = make_comment(post, created_at=now)

    html = admin_client.get(CHANGELIST).content.decode()

    assert row_ids(html) == [new.pk, old.pk]  # pending only, newest first
    assert re.search(
        r'<li class="selected">\s*<a href="\?status__exact=pending"[^>]*>Pending \(2\)</a>', html
    )
    everything = admin_client.get(CHANGELIST, {"status__exact": "all"}).content.decode()
    assert row_ids(everything) == [approved.pk, new.pk, old.pk]


def test_without_pending_comments_the_list_shows_all(admin_client, post):
    first, second = make_comment(post), make_comment(post, status="spam")
    html = admin_client.get(CHANGELIST).content.decode()
    assert row_ids(html) == [second.pk, first.pk]
    assert re.search(r'<li class="selected">\s*<a href="\?status__exact=all"[^>]*>All</a>', html)


def test_a_search_looks_at_every_status_and_at_post_titles(admin_client):
    wanted = make_post(title="Coltrane - Ballads (1963)")
    make_comment(make_post(), status="pending", body="Held elsewhere.")
    found = make_comment(wanted, body="Approved here.")
    html = admin_client.get(CHANGELIST, {"q": "Ballads"}).content.decode()
    assert row_ids(html) == [found.pk]


def test_each_row_is_compact_with_its_actions(admin_client, post):
    parent = make_comment(post, name="Ada")
    held = make_comment(
        post,
        parent=parent,
        status="pending",
        name="Bea",
        email="bea@example.com",
        url="https://bea.example/",
        ip_address="192.0.2.5",
        body="x" * 300,
    )

    html = admin_client.get(CHANGELIST).content.decode()
    row = re.search(rf'<div class="queue-comment" id="queue-{held.pk}".*?</tr>', html, re.S)[0]

    assert '<details class="queue-text"><summary class="queue-excerpt">' + "x" * 139 + "…</summary>" in row
    for step in ("approve", "spam", "remove"):
        assert f'formaction="{moderate_url(held, step)}"' in row
    assert 'formaction="' + moderate_url(held, "unapprove") not in row
    assert f'href="{reply_url(held)}?next=%2Fadmin%2Fcomments%2Fcomment%2F"' in row
    assert f'href="{CHANGELIST}{held.pk}/change/"' in row
    for text in (
        "bea@example.com",
        "https://bea.example/",
        "192.0.2.5",
        post.title,
        "in reply to",
        "Pending",
    ):
        assert text in row
    assert 'class="queue-status status-pending"' in row


@pytest.mark.parametrize("size", [3, 300])
def test_the_list_query_count_is_constant(admin_client, django_assert_num_queries, size):
    post = make_post()
    parent = make_comment(post)
    Comment.objects.bulk_create(
        Comment(post=post, parent=parent, name="R", body="Held.", status="pending") for _ in range(size)
    )
    # 1. session, 2. user, 3. the pending count (header, title and status
    # filter: one), 4. the moderator's keyboard-shortcut preference,
    # 5. count (filtered), 6. the page of comments with posts and parents
    with django_assert_num_queries(6):
        assert admin_client.get(CHANGELIST).status_code == 200


def test_the_header_shows_the_pending_count_on_other_admin_pages(admin_client, post):
    make_comment(post, status="pending")
    make_comment(post, status="pending")
    html = admin_client.get("/admin/auth/user/").content.decode()
    assert (
        '<a class="queue-header-count has-pending" href="/admin/comments/comment/?status__exact=pending">'
        "2 comments awaiting moderation</a>"
    ) in html


def test_the_header_count_is_one_query_and_absent_for_those_who_cannot_see_comments(
    staff_client, post, django_user_model, django_assert_num_queries
):
    make_comment(post, status="pending")
    client = staff_client("view_user")
    html = client.get("/admin/auth/user/").content.decode()
    assert "awaiting moderation" not in html
    viewer = Client()
    viewer.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "pw"))
    # 1. session, 2. user, 3. the pending count
    with django_assert_num_queries(3):
        assert "1 comment awaiting moderation" in viewer.get("/admin/password_change/").content.decode()


# --- Row actions and undo --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "before", "after"),
    [
        ("approve", "pending", "approved"),
        ("unapprove", "approved", "pending"),
        ("spam", "pending", "spam"),
        ("spam", "approved", "spam"),
        ("remove", "pending", "removed"),
        ("not_spam", "spam", "approved"),
        ("restore", "removed", "pending"),
    ],
)
def test_each_row_action_and_its_undo_without_a_script(admin_client, post, step, before, after):
    comment = make_comment(post, status=before, name="Ada")
    here = f"{CHANGELIST}?status__exact={before}&p=1"

    response = admin_client.post(moderate_url(comment, step), {"next": here})

    assert response.status_code == 302 and response["Location"] == here
    assert status_of(comment) == after
    page = admin_client.get(here).content.decode()
    assert f'<form method="post" action="{undo_url(comment)}" class="queue-undo-form">' in page
    assert "Comment by Ada" in page

    undone = admin_client.post(undo_url(comment), {"next": here})

    assert undone.status_code == 302 and undone["Location"] == here
    assert status_of(comment) == before
    log = list(StatusChange.objects.filter(comment=comment).order_by("changed_at", "id"))
    assert [(change.from_status, change.to_status) for change in log] == [(before, after), (after, before)]
    assert {change.changed_by.username for change in log} == {"moderator"}


def test_a_row_action_with_the_script_answers_json(admin_client, post):
    comment = make_comment(post, status="pending", name="Ada")

    answer = admin_client.post(moderate_url(comment, "spam"), {"next": CHANGELIST}, **JSON).json()

    assert answer["ok"] and answer["status"] == "spam" and answer["pending"] == 0
    assert answer["message"] == "Comment by Ada marked as spam."
    assert answer["undo_url"] == undo_url(comment)
    assert "not_spam" in answer["actions_html"] and "status-spam" in answer["state_html"]
    undone = admin_client.post(answer["undo_url"], {"next": CHANGELIST}, **JSON).json()
    assert undone["status"] == "pending" and undone["message"] == "Comment by Ada back to pending."
    assert status_of(comment) == "pending"


def test_undo_after_the_comment_moved_on_changes_nothing(admin_client, post):
    comment = make_comment(post, status="pending")
    admin_client.post(moderate_url(comment, "spam"))
    Comment.objects.filter(pk=comment.pk).update(status="approved")  # another moderator, unlogged
    answer = admin_client.post(undo_url(comment), **JSON).json()
    assert not answer["ok"] and "Nothing to undo" in answer["message"]
    assert status_of(comment) == "approved"


def test_undo_is_post_only(admin_client, post):
    comment = make_comment(post, status="pending")
    assert admin_client.get(undo_url(comment)).status_code == 405


def test_row_actions_need_the_csrf_token(django_user_model, post):
    comment = make_comment(post, status="pending")
    client = Client(enforce_csrf_checks=True)
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "pw"))
    for url in (moderate_url(comment, "approve"), undo_url(comment), reply_url(comment)):
        assert client.post(url, {"body": "Hi."}).status_code == 403
    assert status_of(comment) == "pending" and Comment.objects.count() == 1


def test_a_staff_member_without_change_permission_cannot_act(staff_client, post):
    comment = make_comment(post, status="pending")
    client = staff_client("view_comment")
    assert client.get(CHANGELIST).status_code == 200
    for step in ("approve", "spam", "remove"):
        assert client.post(moderate_url(comment, step)).status_code == 403
    admin_approval = StatusChange.objects.create(comment=comment, from_status="approved", to_status="pending")
    assert client.post(undo_url(comment)).status_code == 403
    assert client.post(reply_url(comment), {"body": "Hi."}).status_code == 403
    assert client.get(reply_url(comment)).status_code == 403
    assert status_of(comment) == "pending" and Comment.objects.count() == 1
    assert list(StatusChange.objects.all()) == [admin_approval]


def test_an_offsite_next_is_ignored(admin_client, post):
    comment = make_comment(post, status="pending")
    response = admin_client.post(undo_url(comment), {"next": "https://evil.example/"})
    assert response["Location"] == CHANGELIST


def test_bulk_actions_report_counts(admin_client, post):
    held = [make_comment(post, status="pending") for _ in range(12)]
    response = admin_client.post(
        CHANGELIST, {"action": "approve", "_selected_action": [c.pk for c in held]}, follow=True
    )
    assert "12 comments approved." in response.content.decode()


# --- Replying as the site ----------------------------------------------------------------------------------


def test_the_reply_page_without_a_script(admin_client, post, django_assert_num_queries):
    parent = make_comment(post, name="Ada", status="pending", body="Is side two missing?")
    url = f"{reply_url(parent)}?next={quote(CHANGELIST + '?status__exact=pending')}"

    # 1. session, 2. user, 3. the comment with its post and parent, 4. the pending count
    with django_assert_num_queries(4):
        page = admin_client.get(url).content.decode()
    assert "Is side two missing?" in page and "Approve and reply" in page

    response = admin_client.post(url, {"body": "It is back.", "next": CHANGELIST + "?status__exact=pending"})

    assert response.status_code == 302 and response["Location"] == CHANGELIST + "?status__exact=pending"
    reply = Comment.objects.get(parent=parent)
    assert reply.by_staff and reply.status == "approved" and reply.name == "moderator"
    assert status_of(parent) == "approved"
    listed = admin_client.get(response["Location"]).content.decode()
    assert f'Reply to Ada posted. <a href="/comments/{reply.pk}/">View it on the site</a>' in listed


def test_a_refused_reply_keeps_the_text(admin_client, post):
    parent = make_comment(post)
    too_long = "y" * 10_001
    response = admin_client.post(reply_url(parent), {"body": too_long})
    assert response.status_code == 400
    html = response.content.decode()
    assert too_long in html and "please shorten it by 1" in html
    assert Comment.objects.count() == 1


def test_the_inline_reply_answers_json(admin_client, post):
    parent = make_comment(post, name="Ada")
    answer = admin_client.post(reply_url(parent), {"body": "Thanks!"}, **JSON).json()
    reply = Comment.objects.get(parent=parent)
    assert answer["ok"] and answer["link"] == {"text": "View it on the site", "url": reply.get_absolute_url()}
    refused = admin_client.post(reply_url(parent), {"body": "  "}, **JSON)
    assert refused.status_code == 400 and refused.json()["ok"] is False


def test_spam_is_not_answered(admin_client, post):
    spam = make_comment(post, status="spam")
    assert "approve it before replying" in admin_client.get(reply_url(spam)).content.decode()
    assert admin_client.post(reply_url(spam), {"body": "No."}).status_code == 400
    assert Comment.objects.count() == 1


def test_the_site_shows_the_author_badge(admin_client, post):
    parent = make_comment(post, name="Ada")
    admin_client.post(reply_url(parent), {"body": "From the site."})
    page = Client().get(post.get_absolute_url()).content.decode()
    reply = Comment.objects.get(parent=parent)
    item = re.search(rf'<li id="comment-{reply.pk}" class="([^"]*)"', page)
    assert "bypostauthor" in item[1]
    assert '<span class="author-badge">author</span>' in page
    assert page.count('class="author-badge"') == 1  # not on Ada's comment


# --- Editing with history ----------------------------------------------------------------------------------


def test_an_edit_in_the_admin_keeps_the_history(admin_client, post):
    comment = make_comment(post, name="Ada", url="", body="Orignal text.", status="approved")
    url = f"{CHANGELIST}{comment.pk}/change/"
    data = {
        "post": post.pk,
        "name": "Ada",
        "email": "reader@example.com",
        "url": "https://ada.example/",
        "body": "Original text, *fixed*.",
        "status_changes-TOTAL_FORMS": "0",
        "status_changes-INITIAL_FORMS": "0",
    }

    response = admin_client.post(url, data)

    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.body == "Original text, *fixed*." and comment.url == "https://ada.example/"
    assert "fixed" in comment.body_html and comment.status == "approved"
    (edit,) = CommentEdit.objects.filter(comment=comment)
    assert (edit.old_body, edit.old_url, edit.edited_by.username) == ("Orignal text.", "", "moderator")
    page = admin_client.get(url).content.decode()
    assert "Edit history" in page and "Orignal text." in page and "moderator" in page


def test_saving_unchanged_text_adds_no_history(admin_client, post):
    comment = make_comment(post, name="Ada", url="", body="Same.")
    data = {
        "post": post.pk,
        "name": "Ada",
        "email": "new@example.com",
        "url": "",
        "body": "Same.",
        "status_changes-TOTAL_FORMS": "0",
        "status_changes-INITIAL_FORMS": "0",
    }
    assert admin_client.post(f"{CHANGELIST}{comment.pk}/change/", data).status_code == 302
    assert Comment.objects.get(pk=comment.pk).email == "new@example.com"
    assert not CommentEdit.objects.exists()


# --- Keyboard shortcuts, per moderator --------------------------------------------------------------------


def test_keyboard_shortcuts_are_a_per_user_setting(admin_client, post, django_user_model):
    make_comment(post, status="pending")
    assert 'data-shortcuts="off"' in admin_client.get(CHANGELIST).content.decode()

    here = f"{CHANGELIST}?status__exact=all"
    response = admin_client.post(f"{CHANGELIST}shortcuts/", {"enabled": "1", "next": here})

    assert response.status_code == 302 and response["Location"] == here
    html = admin_client.get(CHANGELIST).content.decode()
    assert 'data-shortcuts="on"' in html and 'id="queue-help"' in html and "<kbd>j</kbd>" in html
    other = Client()
    other.force_login(django_user_model.objects.create_superuser("other", "o@example.com", "pw"))
    assert 'data-shortcuts="off"' in other.get(CHANGELIST).content.decode()
    admin_client.post(f"{CHANGELIST}shortcuts/", {"enabled": "0"})
    assert ModeratorPreference.objects.get(user__username="moderator").keyboard_shortcuts is False


@pytest.mark.parametrize(
    "url",
    [
        f"{CHANGELIST}99999999999999999999/moderate/approve/",
        f"{CHANGELIST}99999999999999999999/undo/",
        f"{CHANGELIST}99999999999999999999/reply/",
        f"{CHANGELIST}0/undo/",
    ],
)
def test_missing_comments_are_404_not_500(admin_client, url):
    assert admin_client.post(url, {"body": "Hi."}).status_code == 404


def test_odd_input_is_refused_not_500(admin_client, post):
    comment = make_comment(post, status="pending")
    assert admin_client.post(reply_url(comment), {"body": "nul \x00 byte"}).status_code == 400
    assert admin_client.post(reply_url(comment), {}).status_code == 400
    assert admin_client.post(f"{CHANGELIST}shortcuts/", {"enabled": ["1", "x"]}).status_code == 302
    assert admin_client.get(CHANGELIST, {"status__exact": "nonsense"}).status_code == 200
    assert admin_client.get(f"{CHANGELIST}shortcuts/").status_code == 405
    assert status_of(comment) == "pending"


def test_the_post_filter_comes_from_a_rows_post_link(admin_client):
    wanted, other = make_post(title="Wanted - Post (1960)"), make_post()
    mine = make_comment(wanted, status="pending")
    make_comment(other, status="pending")
    html = admin_client.get(CHANGELIST).content.decode()
    link = f"{CHANGELIST}?post__id__exact={wanted.pk}&amp;status__exact=all"
    assert f'<a href="{link}"' in html
    filtered = admin_client.get(CHANGELIST, {"post__id__exact": wanted.pk, "status__exact": "all"})
    assert row_ids(filtered.content.decode()) == [mine.pk]
    assert "Wanted - Post (1960)" in filtered.content.decode()
    for missing in ("999999", "99999999999999999999", "x"):
        page = admin_client.get(CHANGELIST, {"post__id__exact": missing, "status__exact": "all"})
        assert page.status_code == 200 and row_ids(page.content.decode()) == []


def test_an_address_shaped_search_looks_at_addresses_only(admin_client, post):
    by_ip = make_comment(post, ip_address="203.0.113.45", body="No address here.")
    make_comment(post, ip_address="198.51.100.1", body="I wrote from 203.0.113.45 once.")
    by_email = make_comment(post, email="Zed@Example.org", body="Plain.")
    make_comment(post, body="Write to zed@example.org")
    six = make_comment(post, ip_address="2001:db8::1")

    def found(term):
        return row_ids(admin_client.get(CHANGELIST, {"q": term}).content.decode())

    assert found("203.0.113.45") == [by_ip.pk]
    assert found("203.0.113") == [by_ip.pk]  # from the start
    assert found("2001:DB8::1") == [six.pk]
    assert found("zed@example") == [by_email.pk]
