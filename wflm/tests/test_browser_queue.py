"""The moderator's desk in Chromium against gunicorn: the queue fits the window, and a moderator
approves, spams, undoes and replies from the list, with the keyboard, without leaving it."""

import re

import pytest
from playwright.sync_api import expect

from comments.models import Comment, ModeratorPreference
from posts.demo import load_demo_archive

pytestmark = pytest.mark.browser

PASSWORD = "a moderator's long password"
CHANGELIST = "/admin/comments/comment/"


@pytest.fixture
def moderator(django_user_model, settings):
    # gunicorn checks passwords with the real hashers, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    return django_user_model.objects.create_superuser("moderator", "mod@example.com", PASSWORD)


@pytest.fixture
def held(db):
    """The demo thread with five of its comments held, as wide as real ones get."""
    post = load_demo_archive()
    comments = list(post.comments.order_by("created_at")[:5])
    for number, comment in enumerate(comments):
        comment.status = Comment.Status.PENDING
        comment.email = (
            f"a.very.long.address.of.someone.who.comments.often.{number}@subdomain.example-mail.com"
        )
        comment.url = "https://www.example.com/a/very/long/path/to/a/blog/page/that/never/breaks/" + "x" * 60
        comment.ip_address = "2001:0db8:85a3:0000:0000:8a2e:0370:7334"
        comment.moderation_rule = Comment.Rule.FIRST_TIME_AUTHOR
        comment.body += " " + "unbrokenwordwithoutanyspaces" * 8
        comment.save()
    return comments


def sign_in(page, moderator):
    page.goto(f"/admin/login/?next={CHANGELIST}")
    page.get_by_label("Username").fill("moderator")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_title(re.compile(r"^Comments \(5 pending\)"))
    page.wait_for_load_state()  # the list's script (deferred) listens from here


def row(page, comment):
    return page.locator("#result_list tbody tr", has=page.locator(f"#queue-{comment.pk}"))


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (1600, 900)])
def test_the_queue_fits_the_window_with_every_action_visible(new_page, moderator, held, width, height):
    page = new_page(viewport={"width": width, "height": height})
    sign_in(page, moderator)

    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    expect(page.locator("#changelist-filter .selected", has_text="Pending (5)")).to_be_visible()
    first = row(page, held[-1])  # newest first
    expect(page.locator("#result_list tbody tr").first).to_contain_text(held[-1].body[:30])
    for name in ("Approve", "Reply", "Edit", "Spam", "Trash"):
        action = first.get_by_role("button", name=name, exact=True).or_(
            first.get_by_role("link", name=name, exact=True)
        )
        expect(action).to_be_visible()
        box = action.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, name
    expect(page.locator(".queue-header-count")).to_have_text("5 comments awaiting moderation")


def test_approve_spam_and_undo_with_the_keyboard(new_page, moderator, held):
    ModeratorPreference.objects.create(user=moderator, keyboard_shortcuts=True)
    page = new_page(viewport={"width": 1280, "height": 800})
    sign_in(page, moderator)
    newest, second = held[-1], held[-2]
    url = page.url

    page.keyboard.press("?")
    expect(page.locator("#queue-help")).to_be_visible()
    page.keyboard.press("?")
    expect(page.locator("#queue-help")).to_be_hidden()

    page.keyboard.press("j")
    expect(row(page, newest)).to_have_class(re.compile("queue-current"))
    page.keyboard.press("a")
    expect(page.locator("#queue-live")).to_have_text(f"Comment by {newest.name} approved.Undo")
    expect(row(page, newest).locator(".queue-status")).to_have_text("Approved")
    expect(page.locator(".queue-header-count")).to_have_text("4 comments awaiting moderation")
    assert Comment.objects.get(pk=newest.pk).status == "approved"

    page.keyboard.press("j")
    page.keyboard.press("s")
    expect(page.locator("#queue-live")).to_have_text(f"Comment by {second.name} marked as spam.Undo")
    expect(row(page, second).locator(".queue-status")).to_have_text("Spam")
    assert Comment.objects.get(pk=second.pk).status == "spam"

    page.keyboard.press("z")
    expect(page.locator("#queue-live")).to_have_text(f"Comment by {second.name} back to pending.")
    expect(row(page, second).locator(".queue-status")).to_have_text("Pending")
    assert Comment.objects.get(pk=second.pk).status == "pending"
    assert list(
        Comment.objects.get(pk=second.pk)
        .status_changes.order_by("changed_at", "id")
        .values_list("from_status", "to_status")
    ) == [("pending", "spam"), ("spam", "pending")]
    assert page.url == url  # never left the list

    page.keyboard.press("x")
    expect(row(page, second).locator(".action-select")).to_be_checked()

    page.keyboard.press("k")
    page.keyboard.press("u")  # the newest, approved above, back to pending
    expect(row(page, newest).locator(".queue-status")).to_have_text("Pending")
    assert Comment.objects.get(pk=newest.pk).status == "pending"

    third = held[-3]
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("d")
    expect(page.locator("#queue-live")).to_have_text(f"Comment by {third.name} moved to the trash.Undo")
    assert Comment.objects.get(pk=third.pk).status == "removed"
    page.keyboard.press("z")
    expect(row(page, third).locator(".queue-status")).to_have_text("Pending")

    page.keyboard.press("r")
    reply_box = page.locator(".queue-reply-row textarea")
    expect(reply_box).to_be_focused()
    page.keyboard.type("jjj")  # typed into the box, not taken as shortcuts
    expect(reply_box).to_have_value("jjj")
    page.keyboard.press("Escape")
    page.keyboard.press("e")
    page.wait_for_url(re.compile(rf"/admin/comments/comment/{third.pk}/change/$"))


def test_one_click_and_undo_button_and_inline_reply(new_page, moderator, held):
    page = new_page(viewport={"width": 1280, "height": 800})
    sign_in(page, moderator)
    newest = held[-1]

    page.keyboard.press("j")  # shortcuts are off for this moderator: nothing happens
    expect(page.locator(".queue-current")).to_have_count(0)

    row(page, newest).get_by_role("button", name="Trash").click()
    expect(page.locator("#queue-live")).to_contain_text(f"Comment by {newest.name} moved to the trash.")
    assert Comment.objects.get(pk=newest.pk).status == "removed"
    page.locator("#queue-live").get_by_role("button", name="Undo").click()
    expect(row(page, newest).locator(".queue-status")).to_have_text("Pending")
    assert Comment.objects.get(pk=newest.pk).status == "pending"

    row(page, newest).get_by_role("link", name="Reply").click()
    box = page.locator(".queue-reply-row")
    box.get_by_role("textbox").fill("Thanks: the session tapes are on side two.")
    box.get_by_role("button", name="Reply").click()
    expect(page.locator("#queue-live")).to_contain_text(f"Reply to {newest.name} posted.")
    expect(box).to_have_count(0)
    expect(row(page, newest).locator(".queue-status")).to_have_text("Approved")
    reply = Comment.objects.get(parent=newest)
    assert reply.by_staff and reply.status == "approved" and reply.user == moderator

    page.goto(reply.get_absolute_url())
    expect(page.locator(f"#comment-{reply.pk} .author-badge")).to_have_text("author")


def test_without_javascript_the_buttons_post_and_return_to_the_same_page(new_page, moderator, held):
    page = new_page(java_script_enabled=False, viewport={"width": 1280, "height": 800})
    sign_in(page, moderator)
    page.goto(f"{CHANGELIST}?status__exact=pending&o=-5")
    here = page.url
    newest = held[-1]

    row(page, newest).get_by_role("button", name="Spam").click()

    expect(page.locator(".messagelist")).to_contain_text(f"Comment by {newest.name} marked as spam.")
    assert page.url == here
    assert Comment.objects.get(pk=newest.pk).status == "spam"
    page.locator(".messagelist").get_by_role("button", name="Undo").click()
    expect(page.locator(".messagelist")).to_contain_text(f"Comment by {newest.name} back to pending.")
    assert page.url == here
    assert Comment.objects.get(pk=newest.pk).status == "pending"

    row(page, newest).get_by_role("link", name="Reply").click()
    page.get_by_label(re.compile("Your reply")).fill("Welcome.")
    page.get_by_role("button", name="Approve and reply").click()
    expect(page.locator(".messagelist")).to_contain_text(f"Reply to {newest.name} posted.")
    assert page.url == here
    assert Comment.objects.get(parent=newest).by_staff
