"""Browsing: artists, tags, the post page's artist, tags and neighbours, and the home page's side column."""

import re

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone
from django.utils.formats import date_format

from comments.models import Comment
from conftest import make_comment, make_post
from posts import views
from posts.models import ArchiveSize, Post, Tag

pytestmark = pytest.mark.django_db

DAY = timezone.timedelta(days=1)


def days_ago(days):
    return timezone.now() - days * DAY


def prime_header(client):
    """Render one other page so the header's archive years are held for this site version.

    The header (posts/templatetags/site_nav.py) queries its years once per
    site version; priming it keeps the counts below about the page itself.
    """
    assert client.get("/1999/").status_code == 200


def header_queries(rf):
    """What the header costs on a page that does not hand it the site version (the post page)."""
    request = rf.get("/")
    request.resolver_match = resolve("/")  # the header shows its menus on pages an address matched
    with CaptureQueriesContext(connection) as queries:
        render_to_string("base.html", {}, request=request)
    return len(queries)


# --- Post fields -------------------------------------------------------------------


def test_the_artist_slug_follows_the_artist():
    post = make_post(title="Miles Davis - Kind of Blue (1959)")
    assert post.artist_slug == "miles-davis"
    assert post.get_artist_url() == "/artists/miles-davis/"
    post.artist = "Édith Piaf"
    post.save(update_fields=["artist"])
    post.refresh_from_db()
    assert post.artist_slug == "édith-piaf"
    assert make_post(title="No artist here").get_artist_url() is None


def test_tags_get_unique_slugs_and_names_match_whatever_their_case():
    first = Tag.objects.create(name="Free Jazz")
    second = Tag.objects.create(name="Free-Jazz")
    assert (first.slug, second.slug) == ("free-jazz", "free-jazz-2")
    assert first.get_absolute_url() == "/tags/free-jazz/"
    ids = Tag.objects.ids_for([("FREE JAZZ", ""), ("  bebop  ", "x"), ("Bebop", "")])
    # Both spellings of "bebop" name the one new tag, spelt as first seen.
    assert ids == {"FREE JAZZ": first.pk, "bebop": ids["Bebop"], "Bebop": ids["bebop"]}
    assert Tag.objects.get(pk=ids["bebop"]).name == "bebop"
    assert Tag.objects.count() == 3


def test_archive_size_reads_with_thousands_separators():
    assert str(ArchiveSize(posts=1245, responses=38112)) == "1,245 posts, 38,112 responses"
    assert str(ArchiveSize(posts=1, responses=1)) == "1 post, 1 response"


# --- /artists/ ---------------------------------------------------------------------


def test_artists_list_every_artist_with_albums_and_post_counts(client):
    kind = make_post(title="Miles Davis - Kind of Blue (1959)", published_at=days_ago(3))
    make_post(title="Miles Davis - Ascenseur pour l'échafaud (1958)", published_at=days_ago(2))
    # The same album written twice, and the artist spelt another way: one artist, one album.
    make_post(title="MILES DAVIS - Kind of Blue (1959)", published_at=days_ago(1))
    make_post(title="Édith Piaf - La Vie en rose (1947)")
    make_post(title="Future - Album (2030)", published_at=timezone.now() + DAY)
    make_post(title="Untitled thoughts")

    html = client.get("/artists/").content.decode()

    assert html.count('class="artist"') == 2
    assert '<a class="artist-name" href="/artists/miles-davis/">' in html
    assert "3 posts" in html and "1 post<" in html
    assert html.count("Kind of Blue</a> (1959)") == 1
    assert f'<a href="{kind.get_absolute_url()}">Kind of Blue</a>' in html
    # Albums by year.
    assert html.index("Ascenseur pour l&#x27;échafaud") < html.index("Kind of Blue")
    assert "/artists/%C3%A9dith-piaf/" in html or "/artists/édith-piaf/" in html
    assert "Future" not in html and "Untitled" not in html


def test_artists_are_paginated(client, monkeypatch):
    monkeypatch.setattr(views, "ARTISTS_PER_PAGE", 2)
    for name in ["Coltrane", "Armstrong", "Brubeck", "Davis", "Evans"]:
        make_post(title=f"{name} - Album (1960)")
    first = client.get("/artists/").content.decode()
    last = client.get("/artists/", {"page": "3"}).content.decode()
    assert "Armstrong" in first and "Brubeck" in first and "Coltrane" not in first
    assert 'rel="next" href="?page=2"' in first
    assert "Evans" in last and 'rel="prev"' in last
    for page in ["abc", "-1", "0", "4", "99999999999999999999", "\x00"]:
        assert client.get("/artists/", {"page": page}).status_code == 404


@pytest.mark.parametrize("artists", [1, 60])
def test_artists_query_count_does_not_grow(client, django_assert_num_queries, artists):
    for number in range(artists):
        for album in range(3):
            make_comment(make_post(title=f"Artist {number} - Album {album} ({1960 + album})"))
    prime_header(client)
    # 1. the site version (the cache key), 2. count the artists, 3. the
    # page of artists, each with its albums (one grouped query)
    with django_assert_num_queries(3):
        response = client.get("/artists/")
    assert response.content.decode().count('class="artist"') == artists
    # Cached: only the site version.
    with django_assert_num_queries(1):
        assert client.get("/artists/").status_code == 200


# --- /artists/<slug>/ --------------------------------------------------------------


def test_an_artists_page_lists_their_posts_with_album_year_and_responses(client):
    kind = make_post(title="Miles Davis - Kind of Blue (1959)", published_at=days_ago(2))
    make_comment(kind)
    make_comment(kind)
    make_comment(kind, status=Comment.Status.PENDING)
    make_post(title="Miles Davis - Bitches Brew (1970)", published_at=days_ago(1))
    make_post(title="Miles Davis - Future (2031)", published_at=timezone.now() + DAY)
    make_post(title="John Coltrane - Blue Train (1957)")

    html = client.get("/artists/miles-davis/").content.decode()

    assert "<h1" in html and "Miles Davis</h1>" in html
    assert "<title>Miles Davis · WFLM archive</title>" in html
    assert html.index("Bitches Brew") < html.index("Kind of Blue")
    assert "(1959)</span>" in html and "2 Responses" in html and "0 Responses" in html
    assert f'href="{kind.get_absolute_url()}"' in html
    assert "Future" not in html and "Blue Train" not in html


def test_an_unknown_or_not_yet_published_artist_is_404(client):
    make_post(title="Someone - Later (2031)", published_at=timezone.now() + DAY)
    assert client.get("/artists/nobody/").status_code == 404
    assert client.get("/artists/someone/").status_code == 404
    assert client.get("/artists/" + "x" * 201 + "/").status_code == 404
    make_post(title="Someone - Now (2001)")
    assert client.get("/artists/someone/").status_code == 200
    assert client.get("/artists/someone/", {"page": "2"}).status_code == 404
    assert client.get("/artists/someone/", {"page": "a"}).status_code == 404


@pytest.mark.parametrize("posts", [1, 40])
def test_an_artists_page_query_count_does_not_grow(client, django_assert_num_queries, posts, settings):
    settings.POSTS_PER_PAGE = 10
    for number in range(posts):
        make_comment(make_post(title=f"Miles Davis - Album {number} (1960)"))
    prime_header(client)
    # 1. the site version (the cache key), 2. count the artist's posts, 3. the page of posts
    with django_assert_num_queries(3):
        response = client.get("/artists/miles-davis/")
    assert response.content.decode().count('class="post-summary"') == min(posts, 10)
    with django_assert_num_queries(1):
        assert client.get("/artists/miles-davis/").status_code == 200
    # ?page=1 is the same page, under the same key.
    with django_assert_num_queries(1):
        assert client.get("/artists/miles-davis/", {"page": "1"}).status_code == 200


# --- /tags/<slug>/ -----------------------------------------------------------------


def test_a_tag_page_lists_its_posts_newest_first(client):
    jazz = Tag.objects.create(name="Cool jazz")
    older = make_post(title="Miles Davis - Birth of the Cool (1957)", published_at=days_ago(2))
    newer = make_post(title="Chet Baker - Chet (1959)", published_at=days_ago(1))
    future = make_post(title="Later - Album (2030)", published_at=timezone.now() + DAY)
    other = make_post(title="Other - Album (1990)")
    for post in (older, newer, future):
        post.tags.add(jazz)
    make_comment(newer)

    html = client.get("/tags/cool-jazz/").content.decode()

    assert "Posts tagged “Cool jazz”" in html
    assert html.index("Chet Baker") < html.index("Birth of the Cool")
    assert "1 Response<" in html
    assert future.title not in html and other.title not in html


def test_a_tag_page_is_paginated_and_unknown_tags_are_404(client, settings):
    settings.POSTS_PER_PAGE = 2
    tag = Tag.objects.create(name="Bebop")
    for number in range(5):
        make_post(title=f"Post {number}", published_at=days_ago(number + 1)).tags.add(tag)
    assert 'rel="next" href="?page=2"' in client.get("/tags/bebop/").content.decode()
    assert "Post 4" in client.get("/tags/bebop/", {"page": "3"}).content.decode()
    for page in ["4", "x", "-1"]:
        assert client.get("/tags/bebop/", {"page": page}).status_code == 404
    assert client.get("/tags/nothing/").status_code == 404
    # A tag with no post yet has a page that says so.
    Tag.objects.create(name="Empty")
    assert "No posts have this tag yet." in client.get("/tags/empty/").content.decode()


def test_a_cached_tag_page_follows_renames_and_deletions(client):
    tag = Tag.objects.create(name="Hard bop")
    make_post().tags.add(tag)
    lonely = Tag.objects.create(name="Lonely")
    assert "Hard bop" in client.get("/tags/hard-bop/").content.decode()
    assert "Lonely" in client.get("/tags/lonely/").content.decode()

    tag.name = "Hard Bop (1950s)"
    tag.save()
    lonely.name = "Alone"
    lonely.save()
    assert "Hard Bop (1950s)" in client.get("/tags/hard-bop/").content.decode()
    assert "Alone" in client.get("/tags/lonely/").content.decode()

    tag.delete()
    assert client.get("/tags/hard-bop/").status_code == 404


@pytest.mark.parametrize("posts", [1, 40])
def test_a_tag_page_query_count_does_not_grow(client, django_assert_num_queries, posts, settings):
    settings.POSTS_PER_PAGE = 10
    tag = Tag.objects.create(name="Modal")
    for number in range(posts):
        post = make_post(title=f"Artist - Album {number} (1960)")
        post.tags.add(tag, Tag.objects.create(name=f"Other {number}"))
        make_comment(post)
    prime_header(client)
    # 1. the site version (the cache key), 2. the tag, 3. count its posts, 4. the page of posts
    with django_assert_num_queries(4):
        response = client.get("/tags/modal/")
    assert response.content.decode().count('class="post-summary"') == min(posts, 10)
    # Cached: only the site version (a renamed or deleted tag bumps it).
    with django_assert_num_queries(1):
        assert client.get("/tags/modal/").status_code == 200


# --- The post page: artist, tags, previous and next ----------------------------------


def test_the_post_page_links_its_artist_and_tags(client):
    post = make_post(title="Miles Davis - Kind of Blue (1959)")
    post.tags.add(Tag.objects.create(name="Modal"), Tag.objects.create(name="Cool jazz"))
    html = client.get(post.get_absolute_url()).content.decode()
    assert 'Artist: <a href="/artists/miles-davis/" rel="tag">Miles Davis</a>' in html
    assert re.search(
        r'Tags: <a href="/tags/cool-jazz/" rel="tag">Cool jazz</a>, <a href="/tags/modal/" rel="tag">Modal</a>',
        html,
    )
    bare = make_post(title="Untitled thoughts")
    assert 'class="post-terms"' not in client.get(bare.get_absolute_url()).content.decode()


def test_previous_and_next_posts_by_publication_date(client):
    moment = days_ago(5)
    first = make_post(title="First - One (1950)", published_at=moment - DAY)
    # Two posts at the same moment: the id breaks the tie.
    second = make_post(title="Second - Two (1951)", published_at=moment)
    third = make_post(title="Third - Three (1952)", published_at=moment)
    make_post(title="Scheduled - Later (2030)", published_at=timezone.now() + DAY)

    def links(post):
        html = client.get(post.get_absolute_url()).content.decode()
        previous = re.search(r'class="post-previous" href="([^"]+)"', html)
        following = re.search(r'class="post-next" href="([^"]+)"', html)
        return previous and previous[1], following and following[1]

    assert links(first) == (None, second.get_absolute_url())
    assert links(second) == (first.get_absolute_url(), third.get_absolute_url())
    # The scheduled post is not linked before its time.
    assert links(third) == (second.get_absolute_url(), None)


def test_a_cached_post_page_follows_its_neighbours_and_tags(client):
    post = make_post(title="Old - Post (1950)", published_at=days_ago(10))
    url = post.get_absolute_url()
    assert 'class="post-next"' not in client.get(url).content.decode()

    newer = make_post(title="Newer - Post (1960)", published_at=days_ago(5))
    assert "Newer - Post (1960)" in client.get(url).content.decode()

    newer.title = "Renamed - Post (1960)"
    newer.save()
    assert "Renamed - Post (1960)" in client.get(url).content.decode()

    between = make_post(title="Between - Post (1955)", published_at=days_ago(7))
    assert "Between - Post (1955)" in client.get(url).content.decode()
    between.delete()
    assert "Renamed - Post (1960)" in client.get(url).content.decode()

    # Tags linked outside any post save (a shell, an import) and renamed.
    tag = Tag.objects.create(name="Swing")
    Post.objects.get(pk=post.pk).tags.add(tag)
    assert ">Swing</a>" in client.get(url).content.decode()
    tag.name = "Western swing"
    tag.save()
    assert ">Western swing</a>" in client.get(url).content.decode()


@pytest.mark.parametrize("size", [3, 300])
def test_the_post_page_query_count_is_unchanged_by_tags_and_neighbours(
    client, django_assert_num_queries, size, rf
):
    for number in range(3):
        make_post(title=f"Neighbour - {number} (1960)", published_at=days_ago(number * 2 + 1))
    post = make_post(title="Miles Davis - Kind of Blue (1959)", published_at=days_ago(2))
    for number in range(5):
        post.tags.add(Tag.objects.create(name=f"Tag {number}"))
    for _ in range(size):
        make_comment(post)
    prime_header(client)
    # 1. the post's versions and its neighbours' (the cache key), 2. the post
    # with its tags and its previous and next posts (subqueries), 3. the
    # thread's top-level comment ids, 4. the page's comments with the
    # pingbacks; and whatever the site header reads (not this part's).
    with django_assert_num_queries(4 + header_queries(rf)):
        html = client.get(post.get_absolute_url()).content.decode()
    assert html.count('rel="tag"') == 6
    assert 'class="post-previous"' in html and 'class="post-next"' in html
    # Cached: only the versions.
    with django_assert_num_queries(1):
        assert client.get(post.get_absolute_url()).status_code == 200


def test_the_post_page_after_a_bad_reply_still_shows_tags_and_neighbours(client):
    make_post(title="Before - Post (1950)", published_at=days_ago(3))
    post = make_post(title="Miles Davis - Kind of Blue (1959)", published_at=days_ago(2))
    post.tags.add(Tag.objects.create(name="Modal"))
    response = client.post(post.get_absolute_url(), {"name": "", "email": "bad", "comment": ""})
    html = response.content.decode()
    assert response.status_code == 400 and 'id="commentform"' in html
    assert ">Modal</a>" in html and 'class="post-previous"' in html


# --- The home page -----------------------------------------------------------------


def test_the_home_page_shows_recent_responses_and_the_archives_size(client):
    post = make_post(title="Miles Davis - Kind of Blue (1959)")
    other = make_post(title="Chet Baker - Chet (1959)")
    future = make_post(title="Later - Album (2030)", published_at=timezone.now() + DAY)
    for number in range(12):
        make_comment(post if number % 2 else other, name=f"Reader {number}")
    held = make_comment(post, name="Held back", status=Comment.Status.PENDING)
    ping = make_comment(post, name="A pingback", kind=Comment.Kind.PINGBACK)
    make_comment(future, name="Too early")

    html = client.get("/").content.decode()

    aside = html[html.index('class="home-aside"') :]
    assert "2 posts, 12 responses" in aside
    assert "Recent responses" in aside
    shown = re.findall(r'<a href="/comments/(\d+)/"><span class="recent-author">([^<]+)</span>', aside)
    assert [name for _, name in shown] == [f"Reader {number}" for number in range(11, 1, -1)]
    newest = Comment.objects.get(name="Reader 11")
    assert (str(newest.pk), "Reader 11") == shown[0]
    assert "Kind of Blue" in aside[: aside.index("Reader 10")]
    assert held.name not in html and ping.name not in html and "Too early" not in html


def test_the_archive_size_on_an_empty_archive(client):
    html = client.get("/").content.decode()
    assert "0 posts, 0 responses" in html and "No responses yet." in html


def test_a_new_response_shows_on_the_cached_home_page(client):
    post = make_post()
    client.get("/")
    make_comment(post, name="Latecomer")
    html = client.get("/").content.decode()
    assert "Latecomer" in html and "1 post, 1 response" in html


@pytest.mark.parametrize("size", [0, 40])
def test_home_query_count_with_the_side_column_does_not_grow(client, django_assert_num_queries, size):
    for number in range(15):
        post = make_post(title=f"Artist {number} - Album (1970)")
        for _ in range(size):
            make_comment(post)
    prime_header(client)
    # 1. the site version (the cache key), 2. count the posts and sum their
    # responses (the size; also the paginator's count), 3. the recent
    # responses with their posts, 4. the page of posts
    with django_assert_num_queries(4):
        html = client.get("/").content.decode()
    assert f"15 posts, {15 * size:,} responses" in html
    assert html.count("recent-author") == min(15 * size, 10)
    with django_assert_num_queries(1):
        assert client.get("/").status_code == 200


# --- The admin -----------------------------------------------------------------------


def test_the_post_change_page_shows_its_comments_dates_and_an_empty_row_without_one(admin_client):
    post = make_post()
    comment = make_comment(post)
    page = admin_client.get(reverse("admin:posts_post_change", args=[post.pk])).content.decode()
    assert "DatabaseDefault" not in page
    assert date_format(timezone.localtime(comment.created_at), "DATETIME_FORMAT") in page


def test_the_admin_edits_a_posts_tags(admin_client):
    post = make_post(title="Miles Davis - Kind of Blue (1959)")
    modal = Tag.objects.create(name="Modal")
    page = admin_client.get(reverse("admin:posts_post_change", args=[post.pk])).content.decode()
    assert 'name="tags"' in page and "admin-autocomplete" in page
    found = admin_client.get(
        reverse("admin:autocomplete"),
        {"term": "mod", "app_label": "posts", "model_name": "post", "field_name": "tags"},
    ).json()
    assert [result["text"] for result in found["results"]] == ["Modal"]
    listing = admin_client.get(reverse("admin:posts_tag_changelist")).content.decode()
    assert "Modal" in listing
    response = admin_client.post(reverse("admin:posts_tag_add"), {"name": "Cool jazz", "slug": "cool-jazz"})
    assert response.status_code == 302 and Tag.objects.filter(slug="cool-jazz").exists()
    assert modal.posts.count() == 0
