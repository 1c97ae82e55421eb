"""/sitemap.xml, /robots.txt, comments.json and what machines read in a page's head."""

import json
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from defusedxml import ElementTree
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from comments.models import Comment
from comments.threads import Thread
from conftest import make_comment, make_post
from posts import sitemaps
from posts.models import Post, Tag
from posts.templatetags.machine import JSON_LD_COMMENTS

pytestmark = pytest.mark.django_db

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
HOSTILE = (
    "Closing </script><script>alert(1)</script> and ]]> a CDATA end, \x01\x08\x1f controls & <!-- a comment."
)


def days_ago(days):
    return timezone.now() - timezone.timedelta(days=days)


def path_of(url):
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.netloc == "testserver", url
    return parts.path + (f"?{parts.query}" if parts.query else "")


def read_xml(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    return ElementTree.fromstring(response.content)


def sitemap_urls(client):
    """{location: lastmod text or None} over every page of every section of the index."""
    found = {}
    for entry in read_xml(client, "/sitemap.xml").iter(f"{SITEMAP}sitemap"):
        for url in read_xml(client, path_of(entry.findtext(f"{SITEMAP}loc"))).iter(f"{SITEMAP}url"):
            found[url.findtext(f"{SITEMAP}loc")] = url.findtext(f"{SITEMAP}lastmod")
    return found


def read_json(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def head_of(client, url):
    html = client.get(url).content.decode()
    return html[: html.index("</head>")]


def meta(head, attribute, name):
    match = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">', head)
    return match and match.group(1)


def canonical(head):
    return re.search(r'<link rel="canonical" href="([^"]+)">', head).group(1)


def json_ld(html):
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) == 1
    return json.loads(blocks[0])


# --- The sitemap --------------------------------------------------------------------------------


def test_sitemap_lists_posts_archives_artists_and_tags_with_absolute_urls(client):
    kind = make_post(
        title="Miles Davis - Kind of Blue (1959)", published_at=datetime(2009, 5, 14, 12, tzinfo=UTC)
    )
    giant = make_post(
        title="John Coltrane - Giant Steps (1960)", published_at=datetime(2010, 2, 3, 12, tzinfo=UTC)
    )
    make_post(title="Scheduled - Later (2030)", published_at=timezone.now() + timezone.timedelta(days=1))
    jazz = Tag.objects.create(name="Jazz")
    kind.tags.add(jazz)

    urls = sitemap_urls(client)

    expected = {
        kind.get_absolute_url(),
        giant.get_absolute_url(),
        "/2009/",
        "/2009/05/",
        "/2010/",
        "/2010/02/",
        "/artists/miles-davis/",
        "/artists/john-coltrane/",
        "/tags/jazz/",
    }
    assert {path_of(url) for url in urls} == expected
    for url in urls:
        assert client.get(path_of(url)).status_code == 200, url


def test_a_posts_lastmod_is_its_last_approved_comment(client):
    post = make_post(published_at=datetime(2009, 5, 14, 12, tzinfo=UTC))
    Post.objects.filter(pk=post.pk).update(updated_at=datetime(2009, 5, 14, 12, tzinfo=UTC))
    url = "http://testserver" + post.get_absolute_url()
    assert sitemap_urls(client)[url] == "2009-05-14"
    make_comment(post)
    today = timezone.now().date().isoformat()
    assert sitemap_urls(client)[url] == today  # the page's key moved: no stale copy
    assert sitemap_urls(client)["http://testserver/2009/05/"] == today


def test_the_index_gives_each_sections_latest_change(client):
    post = make_post()
    make_comment(post)
    post.refresh_from_db()
    index = read_xml(client, "/sitemap.xml")
    lastmods = {
        path_of(entry.findtext(f"{SITEMAP}loc")): entry.findtext(f"{SITEMAP}lastmod")
        for entry in index.iter(f"{SITEMAP}sitemap")
    }
    assert datetime.fromisoformat(lastmods["/sitemap-posts.xml"]) == post.thread_changed_at
    assert lastmods["/sitemap-tags.xml"] is None  # no tagged post yet


def test_long_sections_are_split_into_pages(client, monkeypatch):
    monkeypatch.setattr(sitemaps.PostSitemap, "limit", 2)
    posts = [make_post(published_at=days_ago(number + 1)) for number in range(5)]
    pages = [
        path_of(entry.findtext(f"{SITEMAP}loc"))
        for entry in read_xml(client, "/sitemap.xml").iter(f"{SITEMAP}sitemap")
        if "posts" in entry.findtext(f"{SITEMAP}loc")
    ]
    assert pages == ["/sitemap-posts.xml", "/sitemap-posts.xml?page=2", "/sitemap-posts.xml?page=3"]
    listed = [path_of(url.findtext(f"{SITEMAP}loc")) for page in pages for url in read_xml(client, page)]
    assert listed == [post.get_absolute_url() for post in reversed(posts)]  # oldest first, each once
    for bad in ["?page=4", "?page=0", "?page=abc", "?page=99999999999", "?page=-1", "?page=%00"]:
        assert client.get(f"/sitemap-posts.xml{bad}").status_code == 404, bad
    assert client.get("/sitemap-nothing.xml").status_code == 404


@pytest.mark.parametrize("size", [1, 30])
def test_sitemap_query_counts_do_not_grow(client, django_assert_num_queries, size):
    for number in range(size):
        post = make_post(
            title=f"Artist {number % 7} - Album {number} (1970)", published_at=days_ago(number * 20)
        )
        post.tags.add(Tag.objects.get_or_create(name=f"tag {number % 3}")[0])
        make_comment(post)
    # 1. the site version, then 2-3. posts: page count, latest change; 4. the
    # archives' months; 5-6. artists: count, latest; 7-8. tags: count, latest.
    with django_assert_num_queries(8):
        client.get("/sitemap.xml")
    with django_assert_num_queries(1):
        client.get("/sitemap.xml")
    # 1. the site version, 2. the count, 3. the page's rows (archives: one grouped query).
    for section, queries in [("posts", 3), ("archives", 2), ("artists", 3), ("tags", 3)]:
        with django_assert_num_queries(queries):
            assert client.get(f"/sitemap-{section}.xml").status_code == 200
        with django_assert_num_queries(1):
            assert client.get(f"/sitemap-{section}.xml").status_code == 200


# --- robots.txt -------------------------------------------------------------------------------------


def test_robots_txt_points_to_the_absolute_sitemap_and_keeps_out_of_the_admin(
    client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/robots.txt")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines == ["User-agent: *", "Disallow: /admin/", "Sitemap: http://testserver/sitemap.xml"]
    assert client.get(path_of(lines[-1].split(" ", 1)[1])).status_code == 200
    assert client.get("/robots.txt")["ETag"] == response["ETag"]  # cached


def test_robots_txt_never_publishes_a_secret_admin_address(client, settings):
    settings.ADMIN_URL = "desk-7f3a/"
    text = client.get("/robots.txt").content.decode()
    assert "desk-7f3a" not in text and "Disallow:\n" in text


# --- Canonical URL, description, Open Graph, Twitter ------------------------------------------------


def test_every_page_has_an_absolute_canonical_and_social_tags(client, settings):
    settings.POSTS_PER_PAGE = 1
    post = make_post(title="Miles Davis - Kind of Blue (1959)", excerpt="Modal jazz's landmark.")
    make_post(published_at=days_ago(400))
    year = timezone.localtime(post.published_at).year
    for url, expected in [
        ("/", "http://testserver/"),
        ("/?page=2", "http://testserver/?page=2"),
        ("/?page=1", "http://testserver/"),
        (f"/{year}/", f"http://testserver/{year}/"),
        (post.get_absolute_url() + "?replytocom=1", "http://testserver" + post.get_absolute_url()),
        ("/artists/miles-davis/", "http://testserver/artists/miles-davis/"),
    ]:
        head = head_of(client, url)
        assert canonical(head) == expected, url
        assert meta(head, "property", "og:url") == expected
        assert meta(head, "property", "og:site_name") == "WFLM archive"
        assert meta(head, "name", "twitter:card") == "summary"
        assert meta(head, "name", "description")

    head = head_of(client, "/")
    assert meta(head, "name", "description") == "An archive of music writeups and their readers' responses."
    assert meta(head, "property", "og:type") == "website"
    head = head_of(client, post.get_absolute_url())
    assert meta(head, "name", "description") == "Modal jazz&#x27;s landmark."
    assert meta(head, "property", "og:description") == "Modal jazz&#x27;s landmark."
    assert meta(head, "property", "og:title") == "Miles Davis - Kind of Blue (1959)"
    assert meta(head, "name", "twitter:title") == "Miles Davis - Kind of Blue (1959)"
    assert meta(head, "property", "og:type") == "article"


def test_a_later_thread_page_is_its_own_canonical(client, settings):
    settings.COMMENTS_PER_PAGE = 1
    post = make_post()
    make_comment(post)
    make_comment(post)
    second = post.get_absolute_url() + "comment-page-2/"
    assert canonical(head_of(client, second)) == "http://testserver" + second
    assert (
        canonical(head_of(client, post.get_absolute_url())) == "http://testserver" + post.get_absolute_url()
    )


def test_a_cached_page_keeps_each_hosts_canonical(client, settings, post):
    settings.ALLOWED_HOSTS = ["testserver", "archive.example"]
    assert canonical(head_of(client, post.get_absolute_url())).startswith("http://testserver/")
    other = client.get(post.get_absolute_url(), HTTP_HOST="archive.example").content.decode()
    assert "http://testserver" not in other and 'href="http://archive.example/' in other


# --- JSON-LD -----------------------------------------------------------------------------------------


def test_a_post_page_describes_itself_as_a_blog_posting_with_its_comments(client):
    post = make_post(title="Miles Davis - Ascenseur pour l'échafaud (1958)", excerpt="The soundtrack.")
    first = make_comment(post, name="poetichigh", body="Lovely.\n\nSecond paragraph &amp; more.")
    make_comment(post, name="held", status=Comment.Status.PENDING)
    reply = make_comment(post, name="Feguillerme", parent=first, body="x" * 500)
    post.refresh_from_db()
    first.refresh_from_db()

    data = json_ld(client.get(post.get_absolute_url()).content.decode())

    url = "http://testserver" + post.get_absolute_url()
    assert data["@context"] == "https://schema.org" and data["@type"] == "BlogPosting"
    assert data["headline"] == post.title
    assert data["url"] == url and data["mainEntityOfPage"] == url
    assert datetime.fromisoformat(data["datePublished"]) == post.published_at
    assert datetime.fromisoformat(data["dateModified"]) == post.updated_at
    assert data["commentCount"] == 2
    assert data["about"]["byArtist"]["name"] == "Miles Davis"
    one, two = data["comment"]
    assert one == {
        "@type": "Comment",
        "author": {"@type": "Person", "name": "poetichigh"},
        "datePublished": first.created_at.isoformat(),
        "text": "Lovely. Second paragraph &amp; more.",
        "url": f"http://testserver/comments/{first.pk}/",
    }
    assert two["url"] == f"http://testserver/comments/{reply.pk}/"
    assert len(two["text"]) == 300 and two["text"].endswith("…")


def test_json_ld_cannot_be_broken_out_of(client):
    post = make_post(title=f"Evil </script> - {HOSTILE} (1958)")
    Comment.objects.create(
        post=post, name="</script><b>", email="m@example.com", body=HOSTILE, status="approved"
    )
    html = client.get(post.get_absolute_url()).content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    # Nothing in the block can end it or open an HTML comment; the JSON still reads back the text.
    assert "<" not in block and ">" not in block and "&" not in block
    data = json.loads(block)
    assert data["headline"] == post.title
    assert data["comment"][0]["author"]["name"] == "</script><b>"
    assert "</script><script>alert(1)</script>" in data["comment"][0]["text"]


@pytest.mark.parametrize("size", [3, 300])
def test_the_head_tags_reuse_the_loaded_thread(rf, django_assert_num_queries, size):
    post = make_post(title="Miles Davis - Kind of Blue (1959)")
    for number in range(size):
        make_comment(post, name=f"reader {number}")
    post = Post.objects.get(pk=post.pk)
    thread = Thread.for_post(post)
    template = Template(
        "{% load machine %}{% include 'includes/_meta.html' with request=request title=post.title "
        "description=post.excerpt_text type='article' only %}{% blog_posting_json_ld post thread %}"
    )
    with django_assert_num_queries(0):
        html = template.render(Context({"request": rf.get("/"), "post": post, "thread": thread}))
    # The first JSON_LD_COMMENTS of the page's comments; commentCount counts all.
    data = json_ld(html)
    assert len(data["comment"]) == min(size, JSON_LD_COMMENTS)
    assert data["commentCount"] == size


def test_post_page_query_count_does_not_grow_with_the_json_ld(client):
    # The thread page's own queries (see test_views) stay constant: the
    # JSON-LD adds none, with 3 comments or 300.
    counts = []
    for size in (3, 300):
        post = make_post()
        for number in range(size):
            make_comment(post, name=f"reader {number}")
        with CaptureQueriesContext(connection) as queries:
            html = client.get(post.get_absolute_url()).content.decode()
        # The first comments of the page (50 to a page here); commentCount counts all.
        assert len(json_ld(html)["comment"]) == min(size, JSON_LD_COMMENTS)
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- comments.json ----------------------------------------------------------------------------------


def test_comments_json_is_the_thread_as_a_tree(client):
    post = make_post(title="Miles Davis - Ascenseur pour l'échafaud (1958)")
    first = make_comment(post, name="poetichigh", url="https://poetic.example/", body="First <b>!</b>")
    reply = make_comment(post, name="Feguillerme", parent=first)
    hidden = make_comment(post, name="held", parent=reply, status=Comment.Status.PENDING)
    orphan = make_comment(post, name="under held", parent=hidden)
    make_comment(post, name="A blog", kind=Comment.Kind.PINGBACK)
    second = make_comment(post, name="second")
    first.refresh_from_db()

    data = read_json(client, post.get_absolute_url() + "comments.json")

    base = "http://testserver" + post.get_absolute_url()
    assert data["post"] == {"id": post.pk, "title": post.title, "url": base}
    assert data["response_count"] == 4 and data["page"] == 1 and data["num_pages"] == 1
    assert data["links"] == {
        "self": base + "comments.json",
        "html": base,
        "first": base + "comments.json",
        "last": base + "comments.json",
        "prev": None,
        "next": None,
    }
    top, after = data["comments"]
    assert top == {
        "id": first.pk,
        "parent": None,
        "number": 1,
        "author": "poetichigh",
        "author_url": "https://poetic.example/",
        "date": first.created_at.isoformat(),
        "body": "<p>First <b>!</b></p>",
        "permalink": f"http://testserver/comments/{first.pk}/",
        "children": top["children"],
    }
    (child,) = top["children"]
    assert child["id"] == reply.pk and child["parent"] == first.pk
    # A reply to a held comment hangs under the nearest shown ancestor, as on the page.
    assert [(node["id"], node["parent"]) for node in child["children"]] == [(orphan.pk, reply.pk)]
    assert after["id"] == second.pk and after["children"] == []
    assert datetime.fromisoformat(top["date"]) == first.created_at
    for node in (top, child, after):
        response = client.get(path_of(node["permalink"]))
        assert response.status_code == 301 and response["Location"].endswith(f"#comment-{node['id']}")


def test_comments_json_pages_like_the_thread(client, settings):
    settings.COMMENTS_PER_PAGE = 2
    post = make_post()
    roots = [make_comment(post, name=f"root {number}") for number in range(5)]
    reply = make_comment(post, parent=roots[2], name="reply")
    base = "http://testserver" + post.get_absolute_url()

    first = read_json(client, post.get_absolute_url() + "comments.json")
    assert [node["id"] for node in first["comments"]] == [roots[0].pk, roots[1].pk]
    assert first["num_pages"] == 3
    assert first["links"]["next"] == base + "comment-page-2/comments.json"
    assert first["links"]["last"] == base + "comment-page-3/comments.json"

    second = read_json(client, path_of(first["links"]["next"]))
    assert second["page"] == 2 and second["links"]["html"] == base + "comment-page-2/"
    assert [node["id"] for node in second["comments"]] == [roots[2].pk, roots[3].pk]
    assert second["comments"][0]["children"][0]["id"] == reply.pk
    # Numbers continue from the pages before, as on the HTML page.
    assert [node["number"] for node in second["comments"]] == [3, 5]
    assert second["links"]["prev"] == base + "comments.json"
    assert client.get(post.get_absolute_url() + "comment-page-2/").status_code == 200

    assert client.get(post.get_absolute_url() + "comment-page-4/comments.json").status_code == 404


def test_comments_json_opens_on_the_newest_page_when_the_thread_does(client, settings):
    settings.COMMENTS_PER_PAGE = 2
    settings.COMMENTS_FIRST_PAGE = "newest"
    post = make_post()
    roots = [make_comment(post) for _ in range(3)]
    data = read_json(client, post.get_absolute_url() + "comments.json")
    assert data["page"] == 2 and [node["id"] for node in data["comments"]] == [roots[2].pk]
    assert data["links"]["first"].endswith("comment-page-1/comments.json")


def test_comments_json_at_a_wrong_address_is_404(client, post):
    published = timezone.localtime(post.published_at)
    assert (
        client.get(f"/{published.year - 1}/{published.month:02d}/{post.slug}/comments.json").status_code
        == 404
    )
    assert client.get(f"/{published.year}/{published.month:02d}/nope/comments.json").status_code == 404
    scheduled = make_post(published_at=timezone.now() + timezone.timedelta(days=1))
    assert client.get(scheduled.get_absolute_url() + "comments.json").status_code == 404


def test_comments_json_survives_hostile_text_and_a_very_deep_thread(client):
    post = make_post(title=HOSTILE)
    chain = []
    for depth in range(130):
        chain.append(
            Comment.objects.create(
                post=post,
                parent=chain[-1] if chain else None,
                name=f"d{depth}\x01",
                body=HOSTILE,
                status="approved",
            )
        )
    data = read_json(client, post.get_absolute_url() + "comments.json")
    assert data["post"]["title"] == HOSTILE
    node, depth = data["comments"][0], 1
    while len(node["children"]) == 1:
        node, depth = node["children"][0], depth + 1
    # The nesting stops at 100: the deeper replies sit beside the hundredth, each naming its parent.
    assert depth == 99 and node["id"] == chain[98].pk
    assert [(child["id"], child["parent"]) for child in node["children"]] == [
        (comment.pk, comment.parent_id) for comment in chain[99:]
    ]
    assert node["author"] == "d98\x01" and "&lt;/script&gt;" in node["body"]


@pytest.mark.parametrize("size", [3, 300])
def test_comments_json_query_counts_do_not_grow(client, django_assert_num_queries, size):
    post = make_post()
    first = previous = make_comment(post)
    for number in range(1, size):
        previous = make_comment(post, parent=previous if number % 3 == 2 else None)
    # 1. the post's versions (the cache key), 2. the post, 3. the thread's
    # top-level ids, 4. the page's comments (with pingbacks, left out).
    with django_assert_num_queries(4):
        response = client.get(post.get_absolute_url() + "comments.json")
    assert response["Access-Control-Allow-Origin"] == "*"
    with django_assert_num_queries(1):
        again = client.get(post.get_absolute_url() + "comments.json")
    assert again.content == response.content and again["Content-Type"] == "application/json"
    # A new approved reply is in the next answer: the key moved with the post's version.
    make_comment(post, parent=first, name="newcomer")
    assert b"newcomer" in client.get(post.get_absolute_url() + "comments.json").content
