"""Old links to imported comments beyond page 1, in a real Chromium against
a real gunicorn: #comment-<old id> on page 1 of a long thread lands on the
comment's own page (static/js/old-anchor.js); without JavaScript, page 1
as before."""

import re

import pytest
from playwright.sync_api import expect

from comments.models import Comment
from conftest import make_comment, make_post

# Chromium first: without it, skip (or fail on CI) before starting gunicorn.
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium_executable")]

# gunicorn runs with the default COMMENTS_PER_PAGE (50): 53 top-level comments make 2 pages.
TOP_LEVEL = 53


@pytest.fixture
def imported_thread(gunicorn_server):
    """A committed post whose comments came from an old blog, ids 1001... there."""
    post = make_post(title="Imported - Long Thread (1959)")
    comments = [
        make_comment(post, name=f"Reader {n}", body=f"Response {n}.", original_id=str(1000 + n))
        for n in range(1, TOP_LEVEL + 1)
    ]
    return post, comments


def settle(page):
    """Let the script's lookup, if any, finish."""
    page.wait_for_load_state("networkidle")


def test_an_old_link_beyond_page_1_lands_on_the_comment(imported_thread, new_page):
    post, comments = imported_thread
    target = comments[51]  # 52nd top-level: page 2
    page = new_page()
    page.goto(f"{post.get_absolute_url()}#comment-1052")
    page.wait_for_url(
        re.compile(rf"{re.escape(post.get_absolute_url())}comment-page-2/#comment-{target.pk}$")
    )
    anchor = page.locator(f"#comment-{target.pk}")
    expect(anchor).to_be_in_viewport()
    assert anchor.evaluate("e => e.matches(':target')")
    expect(anchor.locator("> .comment-body .comment-content")).to_have_text("Response 52.")


def test_following_an_old_link_from_within_the_page(imported_thread, new_page):
    # A link on the page (or a hash typed in the address bar) is a hashchange.
    post, comments = imported_thread
    page = new_page()
    page.goto(post.get_absolute_url())
    page.evaluate("() => { window.location.hash = 'comment-1053'; }")
    page.wait_for_url(re.compile(rf"comment-page-2/#comment-{comments[52].pk}$"))


def test_old_links_on_page_1_and_unknown_ones_stay(imported_thread, new_page):
    post, comments = imported_thread
    page = new_page()
    # On page 1 the alias anchor is there: nothing to look up.
    page.goto(f"{post.get_absolute_url()}#comment-1002")
    settle(page)
    assert page.url.endswith(f"{post.get_absolute_url()}#comment-1002")
    # (The alias anchor is an empty <a> inside the comment.)
    expect(page.locator(f"#comment-{comments[1].pk}")).to_be_in_viewport()
    # No such comment (or a held one): the reader stays on page 1.
    Comment.objects.filter(pk=comments[52].pk).update(status=Comment.Status.PENDING)
    for fragment in ("#comment-9999", "#comment-1053", "#respond"):
        page.goto(f"{post.get_absolute_url()}{fragment}")
        settle(page)
        assert page.url.endswith(f"{post.get_absolute_url()}{fragment}")


def test_without_javascript_page_1_as_before(imported_thread, new_page):
    post, _ = imported_thread
    page = new_page(java_script_enabled=False)
    page.goto(f"{post.get_absolute_url()}#comment-1052")
    settle(page)
    assert page.url.endswith(f"{post.get_absolute_url()}#comment-1052")
    expect(page.get_by_role("heading", level=1)).to_have_text("Imported - Long Thread (1959)")
