import pytest

from comments.forms import CommentForm
from conftest import make_comment, make_form_timestamp, make_post

pytestmark = pytest.mark.django_db

VALID = {"name": "Ada", "email": "ada@example.com", "url": "", "body": "Lovely record.", "parent": ""}
VALID["ts"] = make_form_timestamp()  # a page rendered a minute ago (moderation rule)


def form_for(post, **changes):
    return CommentForm(post, data=VALID | changes, ip_address="192.0.2.7", user_agent="pytest")


def test_a_valid_reply_is_saved_with_moderation_details(post):
    form = form_for(post)
    assert form.is_valid(), form.errors
    comment = form.save()
    assert (comment.name, comment.ip_address, comment.user_agent) == ("Ada", "192.0.2.7", "pytest")
    assert comment.parent is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Please enter your name."),
        ("name", "x" * 101, "at most 100 characters"),
        ("email", "", "Please enter your email address."),
        ("email", "not-an-email", "Please enter a valid email address."),
        ("email", "a" * 250 + "@example.com", "at most 254 characters"),
        ("url", "ftp://example.com/", "starting with http:// or https://"),
        ("url", "javascript:alert(1)", "starting with http:// or https://"),
        ("url", "https://example.com/" + "a" * 200, "at most 200 characters"),
        ("body", "", "Please type your comment."),
        ("body", "   \n\t  ", "Please type your comment."),
        ("body", "x" * 10_001, "Your comment is 10,001 characters long and the limit is 10,000"),
        ("body", "nul \x00 byte", "Null characters are not allowed."),
        ("body", "bell \x07", "control character (U+0007)"),
        ("name", "esc\x1b[31m", "control character (U+001B)"),
        ("url", "https://exa\x0bmple.com/", "control character"),
        ("email", "ada\x00@example.com", "Null characters are not allowed."),
    ],
)
def test_limits_are_enforced_with_clear_messages(post, field, value, message):
    form = form_for(post, **{field: value})
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])


def test_body_length_counts_after_trimming_and_keeps_newlines(post):
    form = form_for(post, body="  " + "x" * 10_000 + "\r\n ")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["body"] == "x" * 10_000
    form = form_for(post, body="line one\r\nline two\ttabbed")
    assert form.is_valid()
    assert form.cleaned_data["body"] == "line one\nline two\ttabbed"


def test_website_without_scheme_gets_https(post):
    form = form_for(post, url="example.com")
    assert form.is_valid()
    assert form.cleaned_data["url"] == "https://example.com"


def test_reply_to_an_approved_comment_on_the_same_post(post):
    parent = make_comment(post)
    form = form_for(post, parent=str(parent.pk))
    assert form.is_valid(), form.errors
    assert form.save().parent == parent


@pytest.mark.parametrize("status", ["pending", "spam", "removed"])
def test_reply_to_a_hidden_comment_is_refused(post, status):
    parent = make_comment(post, status=status)
    form = form_for(post, parent=str(parent.pk))
    assert not form.is_valid()
    assert "no longer available" in form.errors["parent"][0]


@pytest.mark.parametrize("parent", ["999999999", "0", "-4", "abc", "9" * 30, "1.5"])
def test_reply_to_a_missing_or_malformed_parent_is_refused(post, parent):
    form = form_for(post, parent=parent)
    assert not form.is_valid()
    assert "parent" in form.errors
    assert form["body"].value() == "Lovely record."


def test_reply_to_a_comment_on_another_post_is_refused(post):
    parent = make_comment(make_post())
    form = form_for(post, parent=str(parent.pk))
    assert not form.is_valid()
    assert "belongs to another post" in form.errors["parent"][0]


def test_closed_post_refuses_comments(db):
    post = make_post(comments_open=False)
    form = form_for(post)
    assert not form.is_valid()
    assert "Comments are closed" in form.non_field_errors()[0]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Eve\r\nBcc: everyone@example.com", "must be on one line"),
        ("Eve\nX-Spam: no", "must be on one line"),
        ("Eve\u2028Bcc", "must be on one line"),
        ("\u202enimda", "text-direction character (U+202E)"),
        ("Ada\u202a", "text-direction character (U+202A)"),
        ("\u2066Ada\u2069", "text-direction character (U+2066)"),
        ("\u2069", "text-direction character (U+2069)"),
    ],
)
def test_names_are_one_line_in_one_direction(post, name, message):
    form = form_for(post, name=name, body="My typed reply.")
    assert not form.is_valid()
    assert message in " ".join(form.errors["name"])
    # The reader's text comes back with the message.
    assert form["body"].value() == "My typed reply."


@pytest.mark.parametrize("name", ["محمد", "אבי", "Zoë", "李小龙", "Ada\u200fLovelace"])
def test_names_in_any_script_are_fine(post, name):
    assert form_for(post, name=name).is_valid()
