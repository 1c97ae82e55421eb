"""The reply form in a real Chromium against a real gunicorn: with
JavaScript (the form moves under the comment) and without (?replytocom)."""

import re
import time

import pytest
from django.conf import settings
from playwright.sync_api import expect

from comments.models import Comment
from comments.threads import Thread
from posts.demo import load_demo_archive

# Chromium first: without it, skip (or fail on CI) before starting gunicorn.
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium_executable")]

NEW_COMMENT_URL = re.compile(r"#comment-\d+$")


@pytest.fixture
def demo(gunicorn_server):
    """The demo post's URL and comment 6 (by poetichigh), which already has replies."""
    post = load_demo_archive()
    comment_6 = list(Thread.for_post(post))[5]
    assert (comment_6.number, comment_6.name) == (6, "poetichigh")
    return gunicorn_server + post.get_absolute_url(), comment_6


def comment_item(page, comment_id):
    return page.locator(f"#comment-{comment_id}")


def reply_link(page, comment_id):
    # Comment 6's own link, not those of the replies nested in its li.
    return page.locator(f"#comment-{comment_id} > .comment-body .comment-reply-link")


def field(page, label):
    # By accessible name: each input is labelled (the "*" is hidden from it).
    return page.get_by_role("textbox", name=label, exact=True)


def fill_reply(page, *, name="Nightwalker", email="night@example.com", body):
    field(page, "Name").fill(name)
    field(page, "Email").fill(email)
    field(page, "Comment").fill(body)


def send(page):
    """Click "Post Comment" as a person would: not within the first seconds
    after the page was rendered (the signed "ts" input), which only a bot
    manages and the moderation rules file as spam."""
    rendered = int(page.locator("#commentform [name=ts]").input_value().split(":")[0]) / 1000
    wait = settings.COMMENTS_MIN_SUBMIT_SECONDS + 0.5 - (time.time() - rendered)
    if wait > 0:
        page.wait_for_timeout(wait * 1000)
    page.get_by_role("button", name="Post Comment").click()


def submitted(body):
    return Comment.objects.get(body=body)


def test_reply_with_javascript_moves_the_form_and_nests_the_reply(demo, new_page):
    page_url, comment_6 = demo
    page = new_page()
    page.goto(page_url)
    # Survives only if the page is not reloaded.
    page.evaluate("window.stillTheSamePage = true")
    item = comment_item(page, comment_6.pk)
    expect(item.locator("> .comment-body .comment-number")).to_have_text("6.")
    expect(item.locator("> .comment-body .comment-author")).to_have_text("poetichigh")

    reply_link(page, comment_6.pk).click()

    assert page.url == page_url
    assert page.evaluate("window.stillTheSamePage") is True
    expect(page.locator(f"#comment-{comment_6.pk} > #respond")).to_be_visible()
    expect(page.locator("#reply-title")).to_contain_text("Leave a Reply to poetichigh")
    expect(page.get_by_role("link", name="Cancel reply")).to_be_visible()
    expect(page.locator("#commentform [name=parent]")).to_have_value(str(comment_6.pk))
    expect(field(page, "Comment")).to_be_focused()

    body = "Heard it at night on the Champs-Élysées: it fits."
    fill_reply(page, body=body)
    field(page, "Website").fill("https://example.com/night")
    send(page)
    page.wait_for_url(NEW_COMMENT_URL)

    reply = submitted(body)
    assert reply.parent_id == comment_6.pk
    assert reply.url == "https://example.com/night"
    assert page.url.startswith(page_url)
    assert page.url.endswith(f"#comment-{reply.pk}")
    nested = page.locator(f"#comment-{comment_6.pk} > ol.children > li#comment-{reply.pk}")
    expect(nested).to_contain_text(body)
    expect(nested.locator("> .comment-body .comment-author")).to_have_text("Nightwalker")


def test_reply_without_javascript_uses_replytocom(demo, new_page):
    page_url, comment_6 = demo
    page = new_page(java_script_enabled=False)
    page.goto(page_url)

    reply_link(page, comment_6.pk).click()

    page.wait_for_url(f"{page_url}?replytocom={comment_6.pk}#respond")
    expect(page.locator("#reply-title")).to_contain_text("Leave a Reply to poetichigh")
    expect(page.get_by_role("link", name="Cancel reply")).to_be_visible()
    expect(page.locator("#commentform [name=parent]")).to_have_value(str(comment_6.pk))

    body = "No scripts here, and the reply still lands in the right place."
    fill_reply(page, body=body)
    send(page)
    page.wait_for_url(NEW_COMMENT_URL)

    reply = submitted(body)
    assert reply.parent_id == comment_6.pk
    assert page.url == f"{page_url}#comment-{reply.pk}"
    nested = page.locator(f"#comment-{comment_6.pk} > ol.children > li#comment-{reply.pk}")
    expect(nested).to_contain_text(body)


def test_refused_reply_keeps_the_text_and_says_why(demo, new_page):
    page_url, comment_6 = demo
    page = new_page()
    page.goto(page_url)
    reply_link(page, comment_6.pk).click()
    body = "A long thought\n\nthat I would hate to type twice."
    fill_reply(page, email="", body=body)

    page.get_by_role("button", name="Post Comment").click()

    email = field(page, "Email")
    expect(page.locator(".comment-form-email .field-error")).to_have_text("Please enter your email address.")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(field(page, "Comment")).to_have_value(body)
    expect(field(page, "Name")).to_have_value("Nightwalker")
    # Still a reply to comment 6.
    expect(page.locator("#reply-title")).to_contain_text("Leave a Reply to poetichigh")
    expect(page.locator("#commentform [name=parent]")).to_have_value(str(comment_6.pk))
    assert not Comment.objects.filter(body__contains="hate to type twice").exists()

    # Fixed, the same form goes through as the reply.
    email.fill("thought@example.com")
    send(page)
    page.wait_for_url(NEW_COMMENT_URL)
    reply = submitted(body)
    assert reply.parent_id == comment_6.pk
    expect(page.locator(f"#comment-{comment_6.pk} > ol.children > li#comment-{reply.pk}")).to_be_visible()


def test_cancel_reply_moves_the_form_back_and_clears_the_parent(demo, new_page):
    page_url, comment_6 = demo
    page = new_page()
    page.goto(page_url)
    reply_link(page, comment_6.pk).click()
    expect(page.locator(f"#comment-{comment_6.pk} > #respond")).to_be_visible()

    page.get_by_role("link", name="Cancel reply").click()

    assert page.url == page_url
    expect(page.locator(f"#comment-{comment_6.pk} #respond")).to_have_count(0)
    expect(page.locator("#respond-home + #respond")).to_be_visible()
    expect(page.locator("#reply-title")).to_contain_text("Leave a Reply")
    expect(page.locator("#reply-title")).not_to_contain_text("poetichigh")
    expect(page.get_by_role("link", name="Cancel reply")).to_be_hidden()
    expect(page.locator("#commentform [name=parent]")).to_have_value("")

    body = "A word on the record itself, not an answer to anyone."
    fill_reply(page, body=body)
    send(page)
    page.wait_for_url(NEW_COMMENT_URL)
    comment = submitted(body)
    assert comment.parent_id is None
    expect(page.locator(f"ol.commentlist > li#comment-{comment.pk}")).to_contain_text(body)
