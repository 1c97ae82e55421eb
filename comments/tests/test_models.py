import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from comments.models import Comment
from comments.text import plain_text_to_html
from conftest import make_comment, make_post

pytestmark = pytest.mark.django_db


def test_database_computes_path_and_depth_on_insert(post):
    root = make_comment(post)
    reply = make_comment(post, parent=root)
    reply_to_reply = make_comment(post, parent=reply)

    assert root.path == [root.pk] and root.depth == 1
    assert reply.path == [root.pk, reply.pk] and reply.depth == 2
    # What Python got back from INSERT ... RETURNING is what is stored.
    stored = Comment.objects.get(pk=reply_to_reply.pk)
    assert stored.path == [root.pk, reply.pk, reply_to_reply.pk] and stored.depth == 3


def test_thread_order_lists_replies_under_their_parent():
    post = make_post()
    first = make_comment(post, name="first")
    second = make_comment(post, name="second")
    make_comment(post, parent=first, name="reply to first")

    names = list(Comment.objects.for_post(post).in_thread_order().values_list("name", flat=True))
    assert names == ["first", "reply to first", "second"]
    assert second.depth == 1


def test_database_refuses_a_parent_from_another_post():
    post, other_post = make_post(), make_post()
    parent = make_comment(other_post)
    with pytest.raises(IntegrityError, match="belongs to another post"), transaction.atomic():
        Comment.objects.create(post=post, parent=parent, name="x", body="y")


def test_database_refuses_unknown_status_and_kind(post):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_comment(post, status="published")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_comment(post, kind="tweet")


def test_moving_a_comment_moves_its_replies():
    post = make_post()
    a, b = make_comment(post), make_comment(post)
    child = make_comment(post, parent=a)
    grandchild = make_comment(post, parent=child)

    child.parent = b
    child.save()

    grandchild.refresh_from_db()
    assert grandchild.path == [b.pk, child.pk, grandchild.pk]
    assert grandchild.depth == 3


def test_a_comment_cannot_move_under_its_own_reply(post):
    parent = make_comment(post)
    child = make_comment(post, parent=parent)
    parent.parent = child
    with pytest.raises(IntegrityError, match="cannot reply to itself"), transaction.atomic():
        parent.save()


def test_a_comment_cannot_move_to_another_post(post):
    comment = make_comment(post)
    comment.post = make_post()
    with pytest.raises(IntegrityError, match="cannot move to another post"), transaction.atomic():
        comment.save()


def test_deep_chains_keep_a_bounded_path_and_the_true_depth(post):
    comment = make_comment(post)
    for _ in range(39):
        comment = make_comment(post, parent=comment)
    assert comment.depth == 40
    assert len(comment.path) == 32
    assert comment.path[-1] == comment.pk


def test_model_validation_refuses_parent_from_another_post():
    post, other_post = make_post(), make_post()
    comment = Comment(post=post, parent=make_comment(other_post), name="x", email="x@example.com", body="y")
    with pytest.raises(ValidationError) as error:
        comment.full_clean()
    assert "parent" in error.value.message_dict


def test_model_validation_refuses_control_characters(post):
    comment = Comment(post=post, name="bad\x00name", email="x@example.com", body="fine")
    with pytest.raises(ValidationError) as error:
        comment.full_clean()
    assert "U+0000" in str(error.value.message_dict["name"])


def test_body_html_is_rendered_once_when_saved(post):
    comment = make_comment(post, body="<b>bold?</b>\r\nsee https://example.com/x?a=1&b=2\r\n\r\nbye")
    assert comment.body == "<b>bold?</b>\nsee https://example.com/x?a=1&b=2\n\nbye"
    # <b> is an allowed tag (comments.text.ALLOWED_TAGS): kept as formatting.
    assert comment.body_html.startswith("<p><b>bold?</b><br>")
    assert 'href="https://example.com/x?a=1&amp;b=2"' in comment.body_html
    assert 'rel="nofollow ugc noopener"' in comment.body_html
    assert comment.body_html.endswith("<p>bye</p>")


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "javascript:alert(1)",
        '"><img src=x onerror=alert(1)>',
        "www.example.com/<script>",
    ],
)
def test_plain_text_never_becomes_markup(text):
    html = plain_text_to_html(text)
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html


def test_str_and_absolute_url(post):
    comment = make_comment(post, name="kurt", body="Some exquisite work")
    assert str(comment) == f"kurt on {post.pk}: Some exquisite work"
    assert comment.get_absolute_url() == f"/comments/{comment.pk}/"
