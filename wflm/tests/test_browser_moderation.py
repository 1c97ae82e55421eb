"""Moderation end to end in Chromium against gunicorn: a first-time commenter
sees their comment "awaiting moderation", a moderator approves it from the
admin's list in one click, and another reader then sees it."""

import re

import pytest
from playwright.sync_api import expect

from comments.models import Comment
from conftest import make_comment, make_post

pytestmark = pytest.mark.browser

NEW_COMMENT_URL = re.compile(r"#comment-\d+$")
PASSWORD = "a moderator's long password"


@pytest.fixture
def moderator(django_user_model, settings):
    # gunicorn checks passwords with the real hashers, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    return django_user_model.objects.create_superuser("moderator", "mod@example.com", PASSWORD)


def test_a_held_comment_is_approved_in_the_admin_and_then_shows_to_everyone(new_page, moderator):
    post = make_post(title="Miles Davis - Ascenseur pour l'échafaud (1958)")
    make_comment(post, name="Old Hand", email="old@example.com", body="Been here before.")

    reader = new_page()
    reader.goto(post.get_absolute_url())
    # A person takes more than 3 seconds to write; a faster form is taken for a bot.
    reader.wait_for_timeout(3200)
    body = "First time here: this record is the night itself."
    reader.get_by_role("textbox", name="Name", exact=True).fill("Newcomer")
    reader.get_by_role("textbox", name="Email", exact=True).fill("new@example.com")
    reader.get_by_role("textbox", name="Comment", exact=True).fill(body)
    reader.get_by_role("button", name="Post Comment").click()
    reader.wait_for_url(NEW_COMMENT_URL)

    comment = Comment.objects.get(body=body)
    assert (comment.status, comment.moderation_rule) == ("pending", "first_time_author")
    held = reader.locator(f"#comment-{comment.pk}")
    expect(held).to_contain_text(body)
    expect(held).to_contain_text("Your comment is awaiting moderation.")
    expect(reader.locator(".comments-title")).to_contain_text("1 Response so far")

    stranger = new_page()
    stranger.goto(post.get_absolute_url())
    expect(stranger.locator(".comments-title")).to_contain_text("1 Response so far")
    expect(stranger.locator(f"#comment-{comment.pk}")).to_have_count(0)

    admin = new_page()
    admin.goto("/admin/login/?next=/admin/comments/comment/%3Fstatus__exact%3Dpending")
    admin.get_by_label("Username").fill("moderator")
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_role("button", name="Log in").click()
    expect(admin).to_have_title(re.compile(r"^Comments \(1 pending\)"))
    row = admin.locator("#result_list tbody tr", has_text="First time here")
    expect(row).to_contain_text("No previously approved comment")

    row.get_by_role("button", name="Approve").click()

    # Done without leaving the list (static/js/admin-queue.js), which says so.
    expect(admin.locator("#queue-live")).to_contain_text("Comment by Newcomer approved.")
    expect(admin.locator(".queue-header-count")).to_have_text("No comments awaiting moderation")
    admin.reload()
    expect(admin).to_have_title(re.compile(r"^Comments \(0 pending\)"))
    comment.refresh_from_db()
    assert comment.status == "approved"
    assert comment.status_changes.get().changed_by == moderator

    stranger.reload()
    shown = stranger.locator(f"#comment-{comment.pk}")
    expect(shown).to_contain_text(body)
    expect(shown).not_to_contain_text("awaiting moderation")
    expect(stranger.locator(".comments-title")).to_contain_text("2 Responses so far")
