import pytest

from comments.models import Comment
from conftest import make_comment, make_post

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/comments/comment/"


@pytest.mark.parametrize(
    ("action", "status"),
    [("approve", "approved"), ("mark_spam", "spam"), ("remove", "removed")],
)
def test_bulk_actions_set_the_status(admin_client, post, action, status):
    comments = [make_comment(post, status="pending"), make_comment(post, status="pending")]
    untouched = make_comment(post, status="pending")

    response = admin_client.post(
        CHANGELIST, {"action": action, "_selected_action": [c.pk for c in comments]}, follow=True
    )

    assert response.status_code == 200
    assert "2 comments" in response.content.decode()
    assert set(Comment.objects.filter(pk__in=[c.pk for c in comments]).values_list("status", flat=True)) == {
        status
    }
    untouched.refresh_from_db()
    assert untouched.status == "pending"


def test_changelist_filters_and_searches(admin_client):
    post, other = make_post(title="Wanted - Post (1960)"), make_post(title="Other - Post (1961)")
    make_comment(
        post, name="Findable Person", email="find@example.com", ip_address="192.0.2.44", status="spam"
    )
    make_comment(other, name="Someone Else", body="nothing to see")

    assert "Findable Person" in admin_client.get(CHANGELIST, {"status__exact": "spam"}).content.decode()
    assert "Someone Else" not in admin_client.get(CHANGELIST, {"status__exact": "spam"}).content.decode()
    assert "Someone Else" not in admin_client.get(CHANGELIST, {"post__id__exact": post.pk}).content.decode()
    for term in ["Findable", "find@example", "192.0.2.4", "nothing to"]:
        html = admin_client.get(CHANGELIST, {"q": term}).content.decode()
        expected = "Someone Else" if term == "nothing to" else "Findable Person"
        assert expected in html, term


@pytest.mark.parametrize("size", [3, 60])
def test_changelist_query_count_does_not_grow(admin_client, django_assert_num_queries, size):
    post = make_post()
    for _ in range(size):
        make_comment(post)
    # 1. session, 2. user, 3. the pending count (header, title and status
    # filter: one), 4. the moderator's keyboard-shortcut preference,
    # 5. count (filtered), 6. the page of comments with posts and parents
    with django_assert_num_queries(6):
        assert admin_client.get(CHANGELIST).status_code == 200


def test_post_admin_shows_comments_inline(admin_client, post):
    make_comment(post, name="Inline Reader")
    response = admin_client.get(f"/admin/posts/post/{post.pk}/change/")
    assert response.status_code == 200
    assert "Inline Reader" in response.content.decode()


def test_outsiders_cannot_moderate(client, post):
    comment = make_comment(post, status="pending")
    response = client.post(CHANGELIST, {"action": "approve", "_selected_action": [comment.pk]})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    comment.refresh_from_db()
    assert comment.status == "pending"


def test_a_moderator_can_add_a_comment_in_the_admin(admin_client, post):
    add = "/admin/comments/comment/add/"
    assert admin_client.get(add).status_code == 200
    response = admin_client.post(
        add,
        {
            "post": post.pk,
            "name": "Site",
            "email": "site@example.com",
            "body": "Welcome.",
            "url": "",
            "status_changes-TOTAL_FORMS": "0",
            "status_changes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    comment = post.comments.get()
    assert (comment.name, comment.depth, comment.path) == ("Site", 1, [comment.pk])
