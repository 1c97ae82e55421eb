"""Editing a comment (the old text kept, the new one rendered) and the site's own replies."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from comments.editing import display_name, edit_comment, reply_as_staff
from comments.models import Comment, CommentEdit, StatusChange
from conftest import make_comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(django_user_model):
    return django_user_model.objects.create_user(
        "mod", "mod@example.com", "pw", is_staff=True, first_name="Maud", last_name="Erator"
    )


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def request():
    return RequestFactory().post("/admin/")


# --- edit_comment -------------------------------------------------------------------------------------


def test_an_edit_keeps_the_old_values_and_renders_the_new_text(post, moderator):
    comment = make_comment(post, name="Ada", url="https://ada.example/", body="Old *text* http://old.example")

    edit_comment(
        comment,
        name="Ada L.",
        url="https://new.example/",
        body="New <b>text</b>\r\nline two",
        editor=moderator,
    )

    comment.refresh_from_db()
    assert (comment.name, comment.url) == ("Ada L.", "https://new.example/")
    assert comment.body == "New <b>text</b>\nline two"
    assert "<b>text</b>" in comment.body_html and "<br>" in comment.body_html
    assert "old.example" not in comment.body_html
    (edit,) = comment.edits.all()
    assert (edit.old_name, edit.old_url, edit.old_body) == (
        "Ada",
        "https://ada.example/",
        "Old *text* http://old.example",
    )
    assert edit.edited_by == moderator and edit.by_commenter is False and edit.edited_at is not None


def test_the_oldest_edit_holds_the_original(post, moderator):
    comment = make_comment(post, body="First.")
    edit_comment(comment, name=comment.name, url="", body="Second.", editor=moderator)
    edit_comment(comment, name=comment.name, url="", body="Third.", by_commenter=True)

    history = list(comment.edits.all())  # newest first
    assert [edit.old_body for edit in history] == ["Second.", "First."]
    assert [edit.by_commenter for edit in history] == [True, False]
    assert history[0].edited_by is None
    assert Comment.objects.get(pk=comment.pk).body == "Third."


def test_nothing_is_stored_when_nothing_changed(post, moderator, django_assert_num_queries):
    comment = make_comment(post, name="Ada", url="", body="Same.")
    # SAVEPOINT, SELECT ... FOR UPDATE, RELEASE: no edit, no UPDATE.
    with django_assert_num_queries(3):
        edit_comment(comment, name=" Ada ", url="", body="Same.\n", editor=moderator)
    assert not CommentEdit.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Two\nlines"),
        ("name", "\u202enimda"),
        ("name", ""),
        ("name", "x" * 101),
        ("url", "javascript:alert(1)"),
        ("url", "not a url"),
        ("body", "   "),
        ("body", "x" * 10_001),
        ("body", "nul\x00"),
    ],
)
def test_a_bad_value_changes_nothing(post, moderator, field, value):
    comment = make_comment(post, name="Ada", url="https://ada.example/", body="Kept.")
    values = {"name": "Ada", "url": "https://ada.example/", "body": "Kept."} | {field: value}

    with pytest.raises(ValidationError) as error:
        edit_comment(comment, **values, editor=moderator)

    assert field in error.value.message_dict
    stored = Comment.objects.get(pk=comment.pk)
    assert (stored.name, stored.url, stored.body) == ("Ada", "https://ada.example/", "Kept.")
    assert not CommentEdit.objects.exists()


def test_an_edit_runs_no_moderation_and_keeps_the_status(post, moderator):
    comment = make_comment(post, status="approved")
    links = " ".join(f"https://spam{n}.example/" for n in range(5))
    edit_comment(comment, name=comment.name, url="", body=links, editor=moderator)
    assert Comment.objects.get(pk=comment.pk).status == "approved"
    assert not StatusChange.objects.exists()


# --- reply_as_staff -----------------------------------------------------------------------------------


def test_a_staff_reply_is_approved_signed_and_marked(post, moderator):
    parent = make_comment(post, name="Ada")

    reply = reply_as_staff(parent, user=moderator, body="Thanks, Ada.", request=request())

    reply.refresh_from_db()
    assert reply.status == "approved" and reply.by_staff and reply.user == moderator
    assert (reply.name, reply.email) == ("Maud Erator", "mod@example.com")
    assert reply.parent == parent and reply.post == post and reply.depth == 2
    assert reply.body_html == "<p>Thanks, Ada.</p>"


def test_the_display_name_falls_back_to_the_username(django_user_model):
    assert display_name(django_user_model(username="plainmod")) == "plainmod"


def test_replying_to_a_pending_comment_approves_it_first_and_logs_it(post, moderator):
    parent = make_comment(post, status="pending")

    reply_as_staff(parent, user=moderator, body="Welcome.", request=request())

    assert Comment.objects.get(pk=parent.pk).status == "approved"
    (change,) = StatusChange.objects.filter(comment=parent)
    assert (change.from_status, change.to_status, change.changed_by) == ("pending", "approved", moderator)


@pytest.mark.parametrize("status", ["spam", "removed"])
def test_spam_and_removed_comments_are_not_answered(post, moderator, status):
    parent = make_comment(post, status=status)
    with pytest.raises(ValidationError):
        reply_as_staff(parent, user=moderator, body="No.", request=request())
    assert Comment.objects.count() == 1
    assert Comment.objects.get(pk=parent.pk).status == status


def test_an_empty_reply_is_refused(post, moderator):
    parent = make_comment(post, status="pending")
    with pytest.raises(ValidationError):
        reply_as_staff(parent, user=moderator, body=" \n ", request=request())
    assert Comment.objects.count() == 1
    assert Comment.objects.get(pk=parent.pk).status == "pending"  # not approved for nothing


def test_the_parents_author_hears_about_the_reply_after_commit(
    post, moderator, django_capture_on_commit_callbacks
):
    parent = make_comment(post, name="Ada", email="ada@example.com", notify_replies=True)
    with django_capture_on_commit_callbacks(execute=True):
        reply_as_staff(parent, user=moderator, body="We answered.", request=request())
    (message,) = mail.outbox
    assert message.to == ["ada@example.com"] and "We answered." in message.body


def test_approving_a_pending_reply_by_replying_tells_its_parents_author(
    post, moderator, django_capture_on_commit_callbacks
):
    grandparent = make_comment(post, email="ada@example.com", notify_replies=True)
    pending = make_comment(post, parent=grandparent, email="bea@example.com", status="pending", body="Held.")
    with django_capture_on_commit_callbacks(execute=True):
        reply_as_staff(pending, user=moderator, body="Approved and answered.", request=request())
    assert sorted(message.to[0] for message in mail.outbox) == ["ada@example.com"]
