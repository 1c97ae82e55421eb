"""Finding things in a real Chromium against a real gunicorn, as a reader
would: the header's search box, a comment hit's anchor, Artists → artist →
post, and a feed's item link. Each runs with JavaScript and without: the
search box, the links and the anchors need none."""

import re

import pytest
from defusedxml.ElementTree import fromstring
from playwright.sync_api import expect

from comments.threads import Thread
from conftest import make_post
from posts.demo import load_demo_archive

# Chromium first: without it, skip (or fail on CI) before starting gunicorn.
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium_executable")]

DEMO_TITLE = "Miles Davis - Ascenseur pour l'echafaud (1958)"


@pytest.fixture
def demo(gunicorn_server):
    """The committed demo post and its thread, in display order."""
    post = load_demo_archive()
    assert post.title == DEMO_TITLE
    return post, list(Thread.for_post(post))


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def reader(request, new_page):
    """A fresh page, with JavaScript on or off."""
    return new_page(java_script_enabled=request.param)


def search_from_header(page, text):
    """Type into the header's search box and press its Search button."""
    header = page.locator("header.site-header")
    box = header.get_by_role("searchbox", name="Search the archive")
    # On a results page the box holds the last query: select it, type over it.
    box.select_text()
    box.press("Delete")
    box.press_sequentially(text)
    header.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"/search/\?q="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Search")


def hits(page):
    return page.locator("ol.search-results > li.search-hit")


def test_search_for_words_in_the_body_leads_to_the_post(demo, reader):
    post, _ = demo
    page = reader
    page.goto("/")

    search_from_header(page, "loneliest trumpet")

    expect(page.locator(".search-count")).to_have_text("1 result for “loneliest trumpet”")
    hit = hits(page).first
    expect(hit.locator(".search-hit-kind")).to_have_text("Post")
    # The snippet shows the matched words, marked.
    expect(hit.locator(".search-snippet mark")).to_have_text(["loneliest", "trumpet"])
    hit.get_by_role("link", name=DEMO_TITLE, exact=True).click()

    page.wait_for_url(re.compile(re.escape(post.get_absolute_url()) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(DEMO_TITLE)
    expect(page.locator(".post-body")).to_contain_text("the loneliest trumpet sound you will ever hear")


def test_search_without_the_accent_finds_both_spellings(demo, reader):
    accented = make_post(
        title="Louis Malle - Ascenseur pour l'échafaud (1958, the film)",
        artist="Louis Malle",
        body="<p>Jeanne Moreau walks the Champs-Élysées at night.</p>",
    )
    page = reader
    page.goto("/")

    search_from_header(page, "echafaud")

    titles = hits(page).locator("h2 a")
    expect(titles).to_have_count(2)
    assert sorted(titles.all_inner_texts()) == sorted([accented.title, DEMO_TITLE])
    # And the other way round: the accent typed finds the plain spelling too.
    search_from_header(page, "échafaud")
    expect(hits(page).locator("h2 a")).to_have_count(2)
    assert sorted(hits(page).locator("h2 a").all_inner_texts()) == sorted([accented.title, DEMO_TITLE])

    hits(page).get_by_role("link", name=accented.title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(accented.title)
    # The permalink keeps the accent in its slug.
    assert "%C3%A9chafaud" in page.url or "échafaud" in page.url


def test_a_comment_hit_opens_at_its_anchor(demo, reader):
    post, comments = demo
    counselling = comments[7]  # 8., a reply three deep, well below the fold
    assert (counselling.number, counselling.display_depth) == (8, 3)
    page = reader
    page.goto(post.get_absolute_url())

    search_from_header(page, "couples counseling")

    hit = hits(page).first
    expect(hit.locator(".search-hit-kind")).to_have_text("Comment")
    expect(hit.locator(".search-snippet")).to_contain_text("couples counseling")
    hit.get_by_role("link", name=f"Anonymous on {DEMO_TITLE}", exact=True).click()

    page.wait_for_url(re.compile(rf"{re.escape(post.get_absolute_url())}#comment-{counselling.pk}$"))
    anchor = page.locator(f"#comment-{counselling.pk}")
    expect(anchor).to_be_in_viewport()
    assert anchor.evaluate("e => e.matches(':target')")
    expect(anchor.locator("> .comment-body .comment-content")).to_have_text("we also do couples counseling!")
    expect(anchor.locator("> .comment-body .comment-number")).to_have_text("8.")
    # The page really scrolled to get there: the post's title is out of view.
    expect(page.get_by_role("heading", level=1)).not_to_be_in_viewport()


def test_browse_artists_to_the_artist_to_the_post(demo, reader):
    post, _ = demo
    make_post(title="Bill Evans - Sunday at the Village Vanguard (1961)", artist="Bill Evans")
    page = reader
    page.goto("/")

    page.get_by_role("navigation", name="Site").get_by_role("link", name="Artists", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Artists")
    artists = page.locator(".artist-list > li.artist > a.artist-name")
    expect(artists).to_have_count(2)
    page.get_by_role("link", name="Miles Davis", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Miles Davis")
    expect(page.locator(".post-meta").first).to_contain_text("1 post")
    page.locator(".artist-posts").get_by_role("link", name="Ascenseur pour l'echafaud", exact=True).click()

    page.wait_for_url(re.compile(re.escape(post.get_absolute_url()) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(DEMO_TITLE)
    expect(page.locator("#comments .comments-title")).to_have_text(f"13 Responses so far to “{DEMO_TITLE}”")


def first_item_link(page, feed_url):
    """Fetch feed_url with the page's cookies and origin; the first <item>'s <link>."""
    response = page.request.get(feed_url)
    assert response.ok, f"{response.status} for {feed_url}"
    assert response.headers["content-type"].startswith("application/rss+xml")
    channel = fromstring(response.body()).find("channel")
    return channel.find("item").findtext("link")


def test_the_posts_feed_link_opens_the_post(demo, reader):
    post, _ = demo
    page = reader
    page.goto("/")
    # The feed a reader's browser or feed reader discovers from the page.
    feed_href = page.locator(
        'head link[rel=alternate][type="application/rss+xml"][title$="» Feed"]'
    ).get_attribute("href")

    link = first_item_link(page, feed_href)

    assert link.startswith(page.url.rstrip("/") + "/")  # absolute, on this site
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(DEMO_TITLE)
    assert page.url.endswith(post.get_absolute_url())


def test_the_post_comments_feed_link_opens_the_comment(demo, reader):
    post, comments = demo
    page = reader
    page.goto(post.get_absolute_url())
    feed_href = page.locator(
        f'head link[rel=alternate][title="WFLM archive » {post.title} Comments Feed"]'
    ).get_attribute("href")
    assert feed_href.endswith(post.get_absolute_url() + "feed/")

    link = first_item_link(page, feed_href)

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(DEMO_TITLE)
    # The newest comment first, as WordPress's feeds list them.
    newest = max(comments, key=lambda comment: (comment.created_at, comment.pk))
    assert page.url.endswith(f"#comment-{newest.pk}")
    expect(page.locator(f"#comment-{newest.pk}")).to_be_in_viewport()
