"""The RSS feeds, read as a feed reader reads them (feedparser) and as XML (defusedxml)."""

import html
import re
from datetime import UTC
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import feedparser
import pytest
from defusedxml import ElementTree
from django.utils import timezone

from comments.models import Comment
from conftest import make_comment, make_post
from posts.feeds import FEED_ITEMS

pytestmark = pytest.mark.django_db

HOSTILE = "Closing </script><script>alert(1)</script> and ]]> a CDATA end, \x01\x08\x0b\x1f controls, \ufffe."


def read_feed(client, url):
    """The feed at url, checked well-formed both ways, as feedparser's result."""
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    ElementTree.fromstring(response.content)  # raises on anything ill-formed
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "rss20"
    return feed


def days_ago(days):
    return timezone.now() - timezone.timedelta(days=days)


def same_second(parsed, moment):
    """feedparser's UTC struct_time against an aware datetime (RSS dates have whole seconds)."""
    return parsed[:6] == moment.astimezone(UTC).timetuple()[:6]


def path_of(url):
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.netloc == "testserver", url  # absolute, this site
    return parts.path


def assert_resolves(client, url):
    """url answers 200, or a 301 to a page that answers 200 (a comment's permalink)."""
    response = client.get(path_of(url))
    if response.status_code == 301:
        response = client.get(response["Location"])
    assert response.status_code == 200, url


# --- /feed/ --------------------------------------------------------------------------


def test_posts_feed_lists_published_posts_newest_first_with_absolute_links_and_dates(client):
    older = make_post(title="Older - Album (1960)", published_at=days_ago(9))
    newer = make_post(title="AC/DC & <b>Friends</b> - Live (1970)", body="<p>Whole <em>writeup</em>.</p>")
    make_post(title="Scheduled - Later (2030)", published_at=timezone.now() + timezone.timedelta(days=1))

    feed = read_feed(client, "/feed/")

    assert feed.feed.title == "WFLM archive"
    assert feed.feed.link == "http://testserver/"
    titles = [html.unescape(entry.title) for entry in feed.entries]
    # Titles arrive as text, "<b>" included, not as markup.
    assert titles == ["AC/DC & <b>Friends</b> - Live (1970)", "Older - Album (1960)"]
    first, second = feed.entries
    assert first.link == "http://testserver" + newer.get_absolute_url()
    assert first.id == first.link and first.guidislink is False  # guid: the permalink itself
    assert "<em>writeup</em>" in first.description
    assert same_second(first.published_parsed, newer.published_at)
    assert same_second(second.published_parsed, older.published_at)
    assert [tag.term for tag in first.tags] == ["AC/DC & <b>Friends</b>"]
    for entry in feed.entries:
        assert_resolves(client, entry.link)


def test_feed_dates_are_rfc_822(client):
    post = make_post(published_at=timezone.datetime(2009, 5, 14, 22, 42, 7, tzinfo=UTC))
    xml = client.get("/feed/").content.decode()
    pub_date = re.search(r"<pubDate>([^<]+)</pubDate>", xml).group(1)
    assert pub_date == "Thu, 14 May 2009 22:42:07 +0000"
    assert parsedate_to_datetime(pub_date) == post.published_at


def test_posts_feed_holds_the_latest_twenty(client):
    for number in range(FEED_ITEMS + 3):
        make_post(title=f"Post {number}", published_at=days_ago(number + 1))
    titles = [entry.title for entry in read_feed(client, "/feed/").entries]
    assert titles == [f"Post {number}" for number in range(FEED_ITEMS)]


def test_feeds_answer_only_get_and_head(client, post):
    assert client.head("/feed/").status_code == 200
    assert client.options("/comments/feed/").status_code == 405
    assert client.generic("PROPFIND", post.get_absolute_url() + "feed/").status_code == 405


def test_an_empty_archive_has_an_empty_feed(client):
    assert read_feed(client, "/feed/").entries == []
    assert read_feed(client, "/comments/feed/").entries == []


# --- /comments/feed/ ---------------------------------------------------------------------


def test_comments_feed_lists_approved_conversation_newest_first(client):
    post = make_post(title="Miles Davis - Ascenseur pour l'échafaud (1958)")
    first = make_comment(post, name="poetichigh", body="First!\n\nhttps://example.com/ link")
    make_comment(post, name="held", status=Comment.Status.PENDING)
    make_comment(post, name="spammer", status=Comment.Status.SPAM)
    make_comment(post, name="A blog", kind=Comment.Kind.PINGBACK, url="https://blog.example/")
    second = make_comment(post, name="Feguillerme", parent=first, body="Second.")
    scheduled = make_post(published_at=timezone.now() + timezone.timedelta(days=1))
    make_comment(scheduled, name="early bird")

    feed = read_feed(client, "/comments/feed/")

    assert [entry.author for entry in feed.entries] == ["Feguillerme", "poetichigh"]
    newest, oldest = feed.entries
    assert html.unescape(newest.title) == f"Comment on {post.title} by Feguillerme"
    assert newest.link == f"http://testserver/comments/{second.pk}/"
    assert newest.id == newest.link
    # The body as the page shows it (stored body_html, links nofollow).
    assert oldest.description == first.body_html
    assert 'rel="nofollow ugc noopener"' in oldest.description
    second.refresh_from_db()
    assert same_second(newest.published_parsed, second.created_at)
    for entry in feed.entries:
        assert_resolves(client, entry.link)


def test_comments_feed_shows_a_new_approved_comment_at_once(client, post):
    make_comment(post, name="first")
    assert len(read_feed(client, "/comments/feed/").entries) == 1
    held = make_comment(post, name="second", status=Comment.Status.PENDING)
    assert len(read_feed(client, "/comments/feed/").entries) == 1
    Comment.objects.filter(pk=held.pk).moderate(Comment.Status.APPROVED)
    assert [entry.author for entry in read_feed(client, "/comments/feed/").entries] == ["second", "first"]


# --- <permalink>feed/ ---------------------------------------------------------------------


def test_a_posts_comment_feed_has_only_its_approved_comments(client):
    post = make_post(title="One - Record (1999)")
    other = make_post()
    mine = [make_comment(post, name=f"reader {number}") for number in range(3)]
    make_comment(post, name="held", status=Comment.Status.PENDING)
    make_comment(other, name="elsewhere")

    feed = read_feed(client, post.get_absolute_url() + "feed/")

    assert html.unescape(feed.feed.title) == "Comments on: One - Record (1999)"
    assert feed.feed.link == "http://testserver" + post.get_absolute_url()
    assert [entry.link for entry in feed.entries] == [
        f"http://testserver/comments/{comment.pk}/" for comment in reversed(mine)
    ]
    for entry in feed.entries:
        assert_resolves(client, entry.link)


def test_a_posts_comment_feed_at_a_wrong_address_is_404(client, post):
    published = timezone.localtime(post.published_at)
    assert client.get(f"/{published.year - 1}/{published.month:02d}/{post.slug}/feed/").status_code == 404
    assert client.get(f"/{published.year}/{published.month:02d}/no-such-post/feed/").status_code == 404
    scheduled = make_post(published_at=timezone.now() + timezone.timedelta(days=1))
    assert client.get(scheduled.get_absolute_url() + "feed/").status_code == 404


def test_a_post_whose_slug_is_feed_still_has_its_page(client):
    post = make_post(title="Feed")
    assert post.slug == "feed"
    assert client.get(post.get_absolute_url()).status_code == 200
    assert read_feed(client, post.get_absolute_url() + "feed/").entries == []


# --- /artists/<slug>/feed/ -----------------------------------------------------------------


def test_an_artists_feed_has_only_that_artists_posts(client):
    kind = make_post(title="Miles Davis - Kind of Blue (1959)", published_at=days_ago(3))
    ascenseur = make_post(title="Miles Davis - Ascenseur pour l'échafaud (1958)", published_at=days_ago(2))
    make_post(title="John Coltrane - Giant Steps (1960)")

    feed = read_feed(client, "/artists/miles-davis/feed/")

    assert [entry.link for entry in feed.entries] == [
        "http://testserver" + ascenseur.get_absolute_url(),
        "http://testserver" + kind.get_absolute_url(),
    ]
    assert html.unescape(feed.feed.title) == "WFLM archive » Miles Davis"
    assert feed.feed.link == "http://testserver/artists/miles-davis/"
    assert_resolves(client, feed.feed.link)


def test_an_unknown_artists_feed_is_404(client, post):
    assert client.get("/artists/nobody-at-all/feed/").status_code == 404


# --- Links to the feeds from the pages -------------------------------------------------------


def test_pages_link_their_feeds(client):
    post = make_post()
    home = client.get("/").content.decode()
    page = client.get(post.get_absolute_url()).content.decode()
    alternates = re.compile(
        r'<link rel="alternate" type="application/rss\+xml" title="[^"]*" href="([^"]+)">'
    )
    assert alternates.findall(home) == ["/feed/", "/comments/feed/"]
    assert alternates.findall(page) == ["/feed/", "/comments/feed/", post.get_absolute_url() + "feed/"]
    for href in alternates.findall(page):
        read_feed(client, href)


# --- Hostile content ---------------------------------------------------------------------------


def test_hostile_text_leaves_every_feed_well_formed(client):
    # Imports and the admin can store what the form refuses: control characters
    # (not allowed in XML 1.0 at all), "]]>", "</script>".
    post = make_post(title=f"Miles Davis - {HOSTILE} (1958)", body=f"<p>{HOSTILE}</p>")
    Comment.objects.create(
        post=post, name="Mal\x01ory ]]>", email="m@example.com", body=HOSTILE, status="approved"
    )

    feeds = [
        read_feed(client, url)
        for url in [
            "/feed/",
            "/comments/feed/",
            post.get_absolute_url() + "feed/",
            f"/artists/{post.artist_slug}/feed/",
        ]
    ]

    posts_feed, comments_feed, post_feed, artist_feed = feeds
    assert "]]>" in html.unescape(posts_feed.entries[0].title)
    assert "\x01" not in posts_feed.entries[0].title
    assert comments_feed.entries[0].author == "Malory ]]>"
    # The body's markup survives as escaped text, never as a script.
    assert "&lt;/script&gt;&lt;script&gt;" in comments_feed.entries[0].description
    assert post_feed.entries[0].link == comments_feed.entries[0].link
    assert artist_feed.entries[0].link == posts_feed.entries[0].link


# --- The page cache and query counts -------------------------------------------------------------


def make_archive(size):
    """size posts by one artist, each with size comments (a few replies)."""
    posts = []
    for number in range(size):
        post = make_post(title=f"Miles Davis - Album {number} (1959)", published_at=days_ago(number + 1))
        previous = None
        for index in range(size):
            previous = make_comment(post, parent=previous if index % 3 == 2 else None, name=f"r{index}")
        posts.append(post)
    return posts


@pytest.mark.parametrize("size", [1, 25])
def test_feeds_take_a_fixed_number_of_queries_and_are_cached(client, django_assert_num_queries, size):
    post = make_archive(size)[0]
    # Each: 1. the site version (the cache key), 2. the items (comments with their posts, one join).
    for url in ["/feed/", "/comments/feed/", "/artists/miles-davis/feed/"]:
        with django_assert_num_queries(2):
            first = client.get(url)
        # Cached: only the version; the same bytes and Content-Type.
        with django_assert_num_queries(1):
            again = client.get(url)
        assert (
            again.content == first.content and again["Content-Type"] == "application/rss+xml; charset=utf-8"
        )
    # 1. the post's versions (the cache key), 2. the post, 3. its comments.
    with django_assert_num_queries(3):
        client.get(post.get_absolute_url() + "feed/")
    with django_assert_num_queries(1):
        assert client.get(post.get_absolute_url() + "feed/").status_code == 200


def test_a_feed_answers_a_conditional_get_with_304(client, post):
    make_comment(post)
    first = client.get("/comments/feed/")
    again = client.get("/comments/feed/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    make_comment(post)
    assert client.get("/comments/feed/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_a_cached_feed_keeps_each_hosts_links(client, settings, post):
    settings.ALLOWED_HOSTS = ["testserver", "archive.example"]
    assert client.get("/feed/").content.count(b"http://testserver/") > 1
    other = client.get("/feed/", HTTP_HOST="archive.example").content
    assert b"http://testserver/" not in other and b"http://archive.example/" in other
