"""A commenter's second chance, in Chromium against gunicorn: post a comment,
see "Edit" on it (only there, only for its author), edit it and see the new
text; without JavaScript, delete it through the confirmation box."""

import re

import pytest
from playwright.sync_api import expect

from comments.models import Comment
from conftest import make_comment, make_post

pytestmark = pytest.mark.browser

NEW_COMMENT_URL = re.compile(r"#comment-\d+$")
TIME_LEFT = re.compile(r"^Edit \((10|9) min left\)$")


def post_a_comment(page, post, body):
    page.goto(post.get_absolute_url())
    # A person takes more than 3 seconds to write; a faster form is taken for a bot.
    page.wait_for_timeout(3200)
    page.get_by_role("textbox", name="Name", exact=True).fill("Ada")
    page.get_by_role("textbox", name="Email", exact=True).fill("ada@example.com")
    page.get_by_role("textbox", name="Comment", exact=True).fill(body)
    page.get_by_role("button", name="Post Comment").click()
    page.wait_for_url(NEW_COMMENT_URL)
    return Comment.objects.get(body=body)


@pytest.fixture
def post(gunicorn_server):
    post = make_post(title="Miles Davis - Ascenseur pour l'échafaud (1958)")
    # Ada wrote here before: her new comments are approved at once.
    make_comment(post, name="Ada", email="ada@example.com", body="Been here before.")
    return post


def test_a_commenter_edits_a_fresh_comment_and_sees_the_new_text(new_page, post):
    author = new_page()
    comment = post_a_comment(author, post, "Frist! The trumpet in the lift.")
    assert comment.status == "approved"

    mine = author.locator(f"#comment-{comment.pk}")
    edit = mine.get_by_role("link", name=TIME_LEFT)
    expect(edit).to_be_visible()
    # "Edit" shows on the author's own new comment only, and to nobody else.
    expect(author.locator(".comment-edit-link")).to_have_count(1)
    stranger = new_page()
    stranger.goto(post.get_absolute_url())
    expect(stranger.locator(f"#comment-{comment.pk}")).to_contain_text("Frist!")
    expect(stranger.locator(".comment-edit-link")).to_have_count(0)

    edit.click()
    expect(author.get_by_role("heading", name="Edit your comment")).to_be_visible()
    expect(author.locator(".edit-time-left")).to_have_text(re.compile(r"^(10|9) min left$"))
    author.get_by_role("textbox", name="Comment").fill("First! The trumpet in the lift.")
    author.get_by_role("button", name="Save changes").click()
    author.wait_for_url(re.compile(rf"#comment-{comment.pk}$"))

    mine = author.locator(f"#comment-{comment.pk}")
    expect(mine).to_contain_text("First! The trumpet in the lift.")
    expect(mine).not_to_contain_text("Frist!")
    comment.refresh_from_db()
    assert comment.status == "approved"
    assert comment.edits.get().old_body == "Frist! The trumpet in the lift."
    stranger.reload()
    expect(stranger.locator(f"#comment-{comment.pk}")).to_contain_text("First! The trumpet")

    # The countdown (static/js/edit-own.js) takes the link away when time is up.
    link = mine.locator(".comment-edit-link")
    link.evaluate("link => link.setAttribute('data-seconds-left', '1')")
    expect(link).to_have_count(0)


def test_without_javascript_a_commenter_deletes_a_fresh_comment(new_page, post):
    author = new_page(java_script_enabled=False)
    comment = post_a_comment(author, post, "Posted in haste, regretted at leisure.")

    author.locator(f"#comment-{comment.pk}").get_by_role("link", name=TIME_LEFT).click()
    author.get_by_role("checkbox", name="Yes, delete my comment").check()
    author.get_by_role("button", name="Delete comment").click()

    expect(author.get_by_role("heading", name="Your comment is deleted")).to_be_visible()
    comment.refresh_from_db()
    assert (comment.status, comment.moderation_note) == ("removed", "Deleted by its commenter.")
    author.get_by_role("link", name=post.title).click()
    expect(author.locator(f"#comment-{comment.pk}")).to_have_count(0)
    expect(author.locator(".comment-edit-link")).to_have_count(0)
