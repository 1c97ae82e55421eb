"""The moderation queue in the admin: counts, filters, one-click buttons, actions and the log."""

import re

import pytest
from django.contrib.auth.models import Permission

from comments.models import Comment, StatusChange
from conftest import make_comment, make_post

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/comments/comment/"


def moderate_url(comment, name):
    return f"{CHANGELIST}{comment.pk}/moderate/{name}/"


def act(client, action, comments, **extra):
    return client.post(CHANGELIST, {"action": action, "_selected_action": [c.pk for c in comments], **extra})


def statuses(*comments):
    return [Comment.objects.get(pk=comment.pk).status for comment in comments]


# --- The queue ----------------------------------------------------------------------------------------


def test_the_pending_count_shows_in_the_index_and_titles(admin_client, post):
    held = [make_comment(post, status="pending") for _ in range(3)]
    make_comment(post)

    index = admin_client.get("/admin/").content.decode()
    assert "<title>(3 pending)" in index
    assert "3 comments awaiting moderation" in index and f"{CHANGELIST}?status__exact=pending" in index
    changelist = admin_client.get(CHANGELIST).content.decode()
    assert "<title>Comments (3 pending)" in changelist
    change = admin_client.get(f"{CHANGELIST}{held[0].pk}/change/").content.decode()
    assert "(3 pending)" in re.search(r"<title>(.*?)</title>", change, re.S)[1]


def test_each_row_shows_excerpt_post_parent_and_site_link(admin_client):
    post = make_post(title="Miles - Ascenseur (1958)")
    parent = make_comment(post, name="Parent Person")
    reply = make_comment(
        post,
        parent=parent,
        status="pending",
        body=" ".join(f"word{n}" for n in range(30)),
        moderation_rule="max_links",
    )

    html = admin_client.get(CHANGELIST).content.decode()

    # The first ~140 characters, the whole text behind <details>.
    summary = re.search(r'<summary class="queue-excerpt">(.*?)</summary>', html, re.S)[1]
    assert summary.startswith("word0 word1") and "word29" not in summary and len(summary) <= 140
    assert "word29" in html
    assert "Miles - Ascenseur (1958)" in html
    assert f'<a href="{CHANGELIST}{parent.pk}/change/">Parent Person</a>' in html
    assert f'<a href="/comments/{reply.pk}/">View</a>' in html
    assert "Too many links" in html


def test_filters_by_status_post_date_and_rule_and_search(admin_client, post):
    other = make_post()
    make_comment(post, name="Linky", status="pending", moderation_rule="max_links", ip_address="192.0.2.9")
    make_comment(other, name="Firsttimer", status="pending", moderation_rule="first_time_author")

    def names(**query):
        html = admin_client.get(CHANGELIST, query).content.decode()
        return {name for name in ("Linky", "Firsttimer") if name in html}

    assert names(moderation_rule__exact="max_links") == {"Linky"}
    assert names(status__exact="pending") == {"Linky", "Firsttimer"}
    assert names(post__id__exact=other.pk) == {"Firsttimer"}
    assert names(q="192.0.2.9") == {"Linky"}
    assert "created_at__gte" in admin_client.get(CHANGELIST).content.decode()  # the date filter


@pytest.mark.parametrize("size", [1, 40])
def test_the_queue_query_count_does_not_grow(admin_client, django_assert_num_queries, size):
    post = make_post()
    parent = make_comment(post)
    for _ in range(size):
        make_comment(post, parent=parent, status="pending")
    # 1. session, 2. user, 3. the pending count (header, title and status
    # filter: one), 4. the moderator's keyboard-shortcut preference,
    # 5. count (filtered), 6. the page of comments with posts and parents
    with django_assert_num_queries(6):
        assert admin_client.get(CHANGELIST, {"status__exact": "pending"}).status_code == 200


# --- One click per comment ---------------------------------------------------------------------------------


def test_a_held_comment_is_approved_in_one_click_from_the_list(admin_client, post):
    held = make_comment(post, status="pending")
    html = admin_client.get(CHANGELIST).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
    button = f'formaction="{moderate_url(held, "approve")}" formmethod="post">Approve</button>'
    assert button in html
    assert 'id="changelist-form"' in html  # the button submits the list's own form

    # What the browser sends for that click: the list's form, to the button's URL.
    response = admin_client.post(
        moderate_url(held, "approve"),
        {"csrfmiddlewaretoken": token, "action": "", "index": "0"},
        HTTP_REFERER=f"http://testserver{CHANGELIST}?status__exact=pending",
    )

    assert response.status_code == 302 and response["Location"].endswith(
        f"{CHANGELIST}?status__exact=pending"
    )
    assert statuses(held) == ["approved"]


def test_spam_in_one_click_and_the_right_buttons_per_status(admin_client, post):
    held = make_comment(post, status="pending")
    spam = make_comment(post, status="spam")
    html = admin_client.get(CHANGELIST, {"status__exact": "all"}).content.decode()
    assert f'formaction="{moderate_url(held, "spam")}"' in html
    assert f'formaction="{moderate_url(spam, "not_spam")}"' in html
    assert f'formaction="{moderate_url(spam, "spam")}"' not in html
    admin_client.post(moderate_url(held, "spam"))
    assert statuses(held) == ["spam"]


def test_moderation_links_confirm_on_get(admin_client, post):
    held = make_comment(post, status="pending", body="Check me.")
    page = admin_client.get(moderate_url(held, "remove")).content.decode()
    assert "You are about to <strong>remove</strong>" in page and "Check me." in page
    assert statuses(held) == ["pending"]


@pytest.mark.parametrize("name", ["delete", "approve-all", "%00"])
def test_unknown_moderation_steps_are_404(admin_client, post, name):
    held = make_comment(post, status="pending")
    assert admin_client.post(f"{CHANGELIST}{held.pk}/moderate/{name}/").status_code == 404
    assert admin_client.post(f"{CHANGELIST}999999/moderate/approve/").status_code == 404


def test_an_offsite_next_is_ignored(admin_client, post):
    held = make_comment(post, status="pending")
    response = admin_client.post(moderate_url(held, "approve"), {"next": "https://evil.example/"})
    assert response["Location"] == CHANGELIST


def test_outsiders_and_viewers_cannot_moderate(client, post, django_user_model):
    held = make_comment(post, status="pending")
    assert "/admin/login/" in client.post(moderate_url(held, "approve"))["Location"]
    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_comment"))
    client.force_login(viewer)
    assert client.post(moderate_url(held, "approve")).status_code == 403
    assert act(client, "approve", [held]).status_code in (200, 302, 403)
    assert statuses(held) == ["pending"]


# --- Bulk actions and the log ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "before", "after"),
    [
        ("approve", "pending", "approved"),
        ("unapprove", "approved", "pending"),
        ("mark_spam", "approved", "spam"),
        ("not_spam", "spam", "approved"),
        ("remove", "pending", "removed"),
    ],
)
def test_bulk_actions_change_and_log(admin_client, post, action, before, after):
    comments = [make_comment(post, status=before), make_comment(post, status=before)]
    untouched = make_comment(post, status=before)

    response = act(admin_client, action, comments)

    assert response.status_code == 302
    assert statuses(*comments, untouched) == [after, after, before]
    log = StatusChange.objects.filter(comment__in=comments)
    assert {(c.from_status, c.to_status, c.changed_by.username) for c in log} == {
        (before, after, "moderator")
    }
    assert log.count() == 2


def test_steps_that_do_not_apply_change_nothing(admin_client, post):
    approved, held = make_comment(post), make_comment(post, status="pending")
    act(admin_client, "not_spam", [approved, held])  # neither is spam
    act(admin_client, "restore", [approved, held])  # neither is removed
    act(admin_client, "approve", [approved])  # already approved
    assert statuses(approved, held) == ["approved", "pending"]
    assert not StatusChange.objects.exists()


def test_restore_puts_back_the_status_before_removal(admin_client, post):
    was_approved, was_spam, imported = (
        make_comment(post),
        make_comment(post, status="spam"),
        make_comment(post),
    )
    act(admin_client, "remove", [was_approved, was_spam])
    Comment.objects.filter(pk=imported.pk).update(status="removed")  # removed before the log existed

    act(admin_client, "restore", [was_approved, was_spam, imported])

    assert statuses(was_approved, was_spam, imported) == ["approved", "spam", "pending"]


def test_the_change_page_shows_the_decision_and_the_history_and_locks_the_status(admin_client, post):
    held = make_comment(
        post, status="pending", moderation_rule="first_time_author", moderation_note="first one"
    )
    admin_client.post(moderate_url(held, "approve"))
    admin_client.post(moderate_url(held, "spam"))

    url = f"{CHANGELIST}{held.pk}/change/"
    html = admin_client.get(url).content.decode()
    assert "No previously approved comment" in html and "first one" in html
    assert "Status changes (who, when, from, to)" in html
    assert html.count("moderator") >= 2
    assert 'name="status"' not in html  # changed by the buttons only, so always logged
    assert f'action="{moderate_url(held, "approve")}"' in html
    # Editing the comment leaves its status alone.
    admin_client.post(
        url,
        {
            "post": post.pk,
            "name": "Edited",
            "email": "reader@example.com",
            "url": "",
            "body": "Edited body.",
            "status": "approved",
            "status_changes-TOTAL_FORMS": "0",
            "status_changes-INITIAL_FORMS": "2",
            "status_changes-MIN_NUM_FORMS": "0",
            "status_changes-MAX_NUM_FORMS": "1000",
        },
    )
    held.refresh_from_db()
    assert (held.name, held.status) == ("Edited", "spam")
