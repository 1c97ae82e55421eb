"""Reading in a real Chromium against a real gunicorn: the skip link, the
reply form's fixes (heading, focus, the live count), the dark scheme and a
deep thread on a 360 px phone."""

import re
import time

import pytest
from django.conf import settings
from playwright.sync_api import expect

from comments.models import Comment
from comments.threads import Thread
from conftest import make_comment, make_post
from posts.demo import load_demo_archive

# Chromium first: without it, skip (or fail on CI) before starting gunicorn.
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium_executable")]

NEW_COMMENT_URL = re.compile(r"#comment-\d+$")


@pytest.fixture
def demo(gunicorn_server):
    """The demo post's path and its thread (comment 6 is poetichigh's, 7 an Anonymous answering it)."""
    post = load_demo_archive()
    comments = list(Thread.for_post(post))
    assert (comments[5].name, comments[6].name) == ("poetichigh", "Anonymous")
    return post.get_absolute_url(), comments


def field(page, label):
    return page.get_by_role("textbox", name=label, exact=True)


def send(page):
    """Click "Post Comment" no sooner than a person could (the signed "ts" input)."""
    rendered = int(page.locator("#commentform [name=ts]").input_value().split(":")[0]) / 1000
    wait = settings.COMMENTS_MIN_SUBMIT_SECONDS + 0.5 - (time.time() - rendered)
    if wait > 0:
        page.wait_for_timeout(wait * 1000)
    page.get_by_role("button", name="Post Comment").click()


def focused(page):
    return page.evaluate("document.activeElement.id || document.activeElement.className")


def test_the_skip_link_is_first_shows_its_focus_and_moves_focus_to_main(demo, new_page):
    path, _ = demo
    page = new_page()
    page.goto(path)

    page.keyboard.press("Tab")

    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box["y"] >= 0 and box["height"] > 0  # on screen once focused
    assert skip.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"  # a visible ring
    page.keyboard.press("Enter")
    expect(page.locator("main#content")).to_be_focused()
    # The next Tab goes on from the content, not back to the header.
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")


def test_reply_with_the_fixes_heading_link_names_and_mention(demo, new_page):
    path, comments = demo
    poet, answer = comments[5], comments[6]
    page = new_page()
    page.goto(path)
    # "@poetichigh" opening comment 7 links to poetichigh's comment.
    mention = page.locator(f"#comment-{answer.pk} > .comment-body a.mention")
    expect(mention).to_have_text("@poetichigh")
    expect(mention).to_have_attribute("href", f"#comment-{poet.pk}")
    expect(page.locator(f"#comment-{answer.pk} > .comment-body .in-reply-to")).to_have_text(
        "in reply to poetichigh"
    )
    # Every Reply link names its comment; the many Anonymous ones by number.
    expect(page.get_by_role("link", name="Reply to Anonymous (#7)", exact=True)).to_have_count(1)

    page.get_by_role("link", name="Reply to poetichigh", exact=True).click()

    title = page.locator("#reply-title")
    assert title.inner_text() == "Leave a Reply to poetichigh"
    expect(page.get_by_role("heading", name="Leave a Reply to poetichigh", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Cancel reply")).to_be_visible()
    expect(page.locator(f"#comment-{poet.pk} > #respond")).to_be_visible()
    expect(field(page, "Comment")).to_be_focused()

    body = "The trumpet over the Paris night: nothing like it."
    field(page, "Name").fill("Nightwalker")
    field(page, "Email").fill("night@example.com")
    field(page, "Comment").fill(body)
    send(page)
    page.wait_for_url(NEW_COMMENT_URL)

    reply = Comment.objects.get(body=body)
    assert reply.parent_id == poet.pk
    expect(page.locator(f"#comment-{poet.pk} > ol.children > li#comment-{reply.pk}")).to_contain_text(body)


def test_cancel_reply_returns_focus_to_the_reply_link(demo, new_page):
    path, comments = demo
    page = new_page()
    page.goto(path)
    reply_link = page.get_by_role("link", name="Reply to kurt", exact=True)
    reply_link.focus()
    page.keyboard.press("Enter")
    expect(field(page, "Comment")).to_be_focused()

    page.get_by_role("link", name="Cancel reply").click()

    expect(reply_link).to_be_focused()
    assert page.locator("#reply-title").inner_text() == "Leave a Reply"
    expect(page.locator("#commentform [name=parent]")).to_have_value("")


def test_cancel_on_a_reply_form_the_server_rendered_also_returns_focus(demo, new_page):
    path, comments = demo
    page = new_page()
    page.goto(f"{path}?replytocom={comments[6].pk}#respond")
    assert page.locator("#reply-title").inner_text() == "Leave a Reply to Anonymous (#7)"

    page.get_by_role("link", name="Cancel reply").click()

    expect(page.get_by_role("link", name="Reply to Anonymous (#7)", exact=True)).to_be_focused()


def test_without_javascript_the_reply_heading_says_which_anonymous(demo, new_page):
    path, comments = demo
    page = new_page(java_script_enabled=False)
    page.goto(path)
    page.get_by_role("link", name="Reply to Anonymous (#7)", exact=True).click()
    page.wait_for_url(f"**?replytocom={comments[6].pk}#respond")
    assert page.locator("#reply-title").inner_text() == "Leave a Reply to Anonymous (#7)"
    # No script: the help text stays as the server wrote it.
    expect(page.locator("#id_body_helptext")).to_have_text("Up to 10,000 characters.")


def test_the_comment_box_counts_and_a_long_paste_is_kept_and_refused_clearly(demo, new_page):
    path, _ = demo
    page = new_page()
    page.goto(path)
    comment = field(page, "Comment")
    count = page.locator("#id_body_helptext")
    expect(count).to_have_text("Up to 10,000 characters.")

    comment.fill("Kind of Blue, élan")
    expect(count).to_have_text("18 of 10,000 characters")
    paste = "A very long thought. " * 1000  # 21,000 characters: no maxlength cuts it
    comment.fill(paste)
    assert comment.evaluate("e => e.value.length") == len(paste)
    expect(count).to_have_text("20,999 of 10,000 characters: 10,999 too many")
    expect(count).to_have_class(re.compile(r"\bover-limit\b"))
    expect(page.get_by_role("status")).to_have_text("Your comment is longer than 10,000 characters.")

    field(page, "Name").fill("Long Writer")
    field(page, "Email").fill("long@example.com")
    send(page)

    expect(page.locator(".comment-form-body .field-error")).to_have_text(
        "Your comment is 20,999 characters long and the limit is 10,000: please shorten it by 10,999. "
        "Your text is kept below."
    )
    assert field(page, "Comment").input_value().strip() == paste.strip()  # all of it, to shorten
    assert not Comment.objects.filter(name="Long Writer").exists()


def test_a_bad_website_is_reported_once(demo, new_page):
    path, _ = demo
    page = new_page()
    page.goto(path)
    field(page, "Name").fill("Ada")
    field(page, "Email").fill("ada@example.com")
    field(page, "Website").fill("javascript:alert(1)")
    field(page, "Comment").fill("A fine record.")
    send(page)
    expect(page.locator(".comment-form-url .field-error")).to_have_text(
        "Please enter a web address starting with http:// or https://."
    )


def test_the_dark_scheme_differs_from_the_light_one(demo, new_page):
    path, _ = demo
    colours = {}
    for scheme in ("light", "dark"):
        page = new_page(color_scheme=scheme)
        page.goto(path)
        colours[scheme] = page.evaluate(
            """() => [document.body, document.querySelector('.post-body a, a'), document.querySelector('#id_body')]
                 .map(e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color])"""
        )
    (light_body, light_link, light_box), (dark_body, dark_link, dark_box) = colours["light"], colours["dark"]
    assert light_body != dark_body and light_link[1] != dark_link[1] and light_box != dark_box
    # Dark means dark: the page's background is darker than its text.
    assert _luminance(dark_body[0]) < _luminance(dark_body[1])
    assert _luminance(light_body[0]) > _luminance(light_body[1])


def _luminance(css_colour):
    red, green, blue = (int(part) for part in re.findall(r"\d+", css_colour)[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def test_a_thread_five_deep_fits_a_360_px_phone(gunicorn_server, new_page):
    post = make_post(title="Miles Davis - Ascenseur pour l'échafaud (1958)")
    parent = None
    for depth in range(1, 8):
        parent = make_comment(
            post,
            parent=parent,
            name=f"A rather long commenter name {depth}",
            url="https://example.com/" + "long-path-" * 8,
            body="https://example.com/"
            + "averyveryverylongwordwithoutbreaks" * 3
            + " and some words after it.",
        )
    page = new_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page.goto(post.get_absolute_url())

    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"horizontal scroll: {widths}"
    deepest = page.locator(f"#comment-{parent.pk} .comment-content")
    assert deepest.bounding_box()["width"] >= 240  # most of the phone's width is still text
    # The form moved under the deepest comment fits too.
    page.locator(f"#comment-{parent.pk} .comment-reply-link").click()
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"horizontal scroll with the form open: {widths}"


def test_the_page_does_not_shift_as_it_loads(demo, new_page):
    path, _ = demo
    page = new_page()
    page.goto(path)
    page.wait_for_load_state("load")
    shift = page.evaluate(
        """() => new Promise(resolve => {
             let total = 0;
             new PerformanceObserver(list => { for (const e of list.getEntries()) total += e.value; })
               .observe({type: 'layout-shift', buffered: true});
             setTimeout(() => resolve(total), 500);
           })"""
    )
    assert shift == 0
