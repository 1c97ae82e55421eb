import importlib
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from archive.bulk import copy_into
from comments.models import Comment
from conftest import make_comment, make_post
from search import models, query
from search.models import START, STOP, snippet

pytestmark = pytest.mark.django_db

migration = importlib.import_module("search.migrations.0001_initial")

HIT = re.compile(r'<li class="search-hit search-hit-(post|comment)">.*?<a href="([^"]+)">', re.S)


def search(client, q, **params):
    return client.get(reverse("search:results"), {"q": q, **params})


def hits(response):
    """[(kind, link)] in the order shown."""
    assert response.status_code == 200
    return HIT.findall(response.content.decode())


def links(client, q):
    return [link for _, link in hits(search(client, q))]


def count_text(response):
    match = re.search(r'<p class="search-count" role="status">(.*?)</p>', response.content.decode(), re.S)
    return match and match.group(1)


# --- The box ------------------------------------------------------------------------


@pytest.mark.parametrize("q", [None, "", "   ", "\t\n"])
def test_an_empty_query_shows_the_box(client, q):
    make_post(title="Miles Davis - Kind of Blue (1959)")
    response = client.get(reverse("search:results"), {} if q is None else {"q": q})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="q"' in page and 'role="search"' in page
    assert count_text(response) is None


def test_the_box_keeps_the_query(client):
    response = search(client, 'miles "kind of" <b>')
    assert 'value="miles &quot;kind of&quot; &lt;b&gt;"' in response.content.decode()


# --- What matches -------------------------------------------------------------------


def test_accents_do_not_matter_either_way(client):
    accented = make_post(title="Miles Davis - Ascenseur pour l'échafaud (1958)")
    plain = make_comment(make_post(title="Other - Record (1970)"), body="Ascenseur pour l'echafaud, at last")
    assert links(client, "echafaud") == [accented.get_absolute_url(), plain.get_absolute_url()]
    assert links(client, "ÉCHAFAUD") == [accented.get_absolute_url(), plain.get_absolute_url()]
    assert links(client, "Ça") == []
    make_comment(accented, body="Ça alors")
    assert len(links(client, "ca")) == 1


def test_chinese_is_found_by_any_substring(client):
    comment = make_comment(make_post(), body="我喜欢这张专辑")
    make_comment(make_post(), body="I like this record")
    for q in ["喜欢", "专辑", "辑", "我喜欢这张专辑", "这张 专辑"]:
        assert links(client, q) == [comment.get_absolute_url()], q
    assert links(client, "喜专") == []
    assert links(client, "喜欢 record") == []


def test_japanese_thai_and_korean_are_found_by_substring(client):
    japanese = make_comment(make_post(), body="このアルバムが大好きです")
    thai = make_comment(make_post(), body="ชอบอัลบั้มนี้มาก")
    korean = make_comment(make_post(), body="이앨범정말좋아요")
    assert links(client, "大好き") == [japanese.get_absolute_url()]
    assert links(client, "อัลบั้ม") == [thai.get_absolute_url()]
    assert links(client, "앨범") == [korean.get_absolute_url()]


def test_words_and_a_substring_together(client):
    post = make_post(title="Miles Davis - Kind of Blue (1959)")
    both = make_comment(post, body="Miles: 我喜欢这张专辑")
    plain = make_comment(post, body="我喜欢这张专辑")
    again = make_comment(post, body="Miles again 喜欢")
    assert set(links(client, "miles 喜欢")) == {both.get_absolute_url(), again.get_absolute_url()}
    assert set(links(client, "-again 喜欢")) == {both.get_absolute_url(), plain.get_absolute_url()}


def test_phrases_in_quotes(client):
    phrase = make_comment(make_post(), body="The loneliest trumpet in Paris.")
    apart = make_comment(make_post(), body="A trumpet, the loneliest sound.")
    assert set(links(client, "loneliest trumpet")) == {phrase.get_absolute_url(), apart.get_absolute_url()}
    assert links(client, '"loneliest trumpet"') == [phrase.get_absolute_url()]


def test_minus_excludes_a_word(client):
    paris = make_comment(make_post(), body="Trumpet in Paris.")
    rome = make_comment(make_post(), body="Trumpet in Rome.")
    assert links(client, "trumpet -paris") == [rome.get_absolute_url()]
    assert links(client, "trumpet -rome") == [paris.get_absolute_url()]
    assert links(client, "trumpet -rome -paris") == []
    # Only an exclusion: nothing, rather than every row.
    assert links(client, "-paris") == []


def test_only_published_posts_and_approved_conversation(client):
    post = make_post(title="Miles Davis - Kind of Blue (1959)", body="<p>trumpet</p>")
    future = make_post(title="Trumpet - Tomorrow", published_at=timezone.now() + timedelta(days=1))
    make_comment(future, body="trumpet on a scheduled post")
    for status in [Comment.Status.PENDING, Comment.Status.SPAM, Comment.Status.REMOVED]:
        make_comment(post, body=f"trumpet {status}", status=status)
    make_comment(post, body="trumpet pingback", kind=Comment.Kind.PINGBACK)
    approved = make_comment(post, body="trumpet approved")
    assert links(client, "trumpet") == [post.get_absolute_url(), approved.get_absolute_url()]


def test_post_fields_are_searched_and_tags_are_not_words(client):
    post = make_post(
        title="Untitled",
        artist="Chet Baker",
        album="Sings",
        body='<p class="lonely">My <a href="https://example.com/funny">funny</a> valentine</p>',
        excerpt="west coast",
    )
    for q in ["chet", "sings", "funny valentine", "west coast", '"my funny valentine"']:
        assert links(client, q) == [post.get_absolute_url()], q
    for q in ["lonely", "href", "example"]:
        assert links(client, q) == [], q


def test_the_columns_follow_edits(client):
    comment = make_comment(make_post(), body="first words")
    comment.body = "second thoughts"
    comment.save()
    assert links(client, "first") == []
    assert links(client, "second") == [comment.get_absolute_url()]
    comment.post.title = "Renamed - Record"
    comment.post.save()
    assert links(client, "renamed") == [comment.post.get_absolute_url()]


def test_rows_copied_in_by_the_import_are_searchable(client):
    # archive/bulk.py names its columns; the generated ones are never written.
    post = make_post()
    copy_into(
        Comment,
        ["post_id", "name", "body", "body_html", "status", "kind", "created_at"],
        [(post.pk, "Importer", "échafaud 我喜欢", "<p>x</p>", "approved", "comment", timezone.now())],
    )
    (comment,) = Comment.objects.filter(name="Importer")
    assert links(client, "echafaud") == [comment.get_absolute_url()]
    assert links(client, "喜欢") == [comment.get_absolute_url()]


# --- Order ---------------------------------------------------------------------------


def test_title_and_artist_above_album_above_body_and_posts_above_comments(client):
    body = make_post(title="A - B", body="<p>coltrane</p>", published_at=timezone.now() - timedelta(days=1))
    album = make_post(title="C - D", album="Coltrane", published_at=timezone.now() - timedelta(days=2))
    title = make_post(title="Coltrane - Ballads", published_at=timezone.now() - timedelta(days=3))
    artist = make_post(
        title="Giant Steps", artist="Coltrane", album="", published_at=timezone.now() - timedelta(days=4)
    )
    # A comment saying it five times still comes after every post.
    many = make_comment(make_post(title="E - F"), body="coltrane " * 5)
    once = make_comment(make_post(title="G - H"), body="coltrane once")
    named = make_comment(make_post(title="I - J"), body="a reply", name="Coltrane Fan")
    assert links(client, "coltrane") == [
        title.get_absolute_url(),  # A, newer than the artist's post
        artist.get_absolute_url(),
        album.get_absolute_url(),  # B
        body.get_absolute_url(),  # C
        many.get_absolute_url(),
        once.get_absolute_url(),
        named.get_absolute_url(),  # the name weighs less than the body
    ]


def test_equal_scores_list_the_newest_first(client):
    post = make_post()
    old = make_comment(post, body="我喜欢", created_at=timezone.now() - timedelta(days=2))
    new = make_comment(post, body="我喜欢", created_at=timezone.now() - timedelta(days=1))
    assert links(client, "喜欢") == [new.get_absolute_url(), old.get_absolute_url()]


def test_substring_in_a_title_ranks_above_one_in_a_body(client):
    in_body = make_post(title="X - Y", body="<p>我喜欢</p>", published_at=timezone.now() - timedelta(days=1))
    in_title = make_post(title="喜欢 - 专辑", published_at=timezone.now() - timedelta(days=2))
    assert links(client, "喜欢") == [in_title.get_absolute_url(), in_body.get_absolute_url()]


# --- The page ------------------------------------------------------------------------


def test_a_hit_says_what_it_is_and_links_to_it(client):
    post = make_post(title="Miles Davis - Kind of Blue (1959)", body="<p>So what</p>")
    comment = make_comment(post, name="poetichigh", body="So what a record")
    response = search(client, "so what")
    assert hits(response) == [("post", post.get_absolute_url()), ("comment", f"/comments/{comment.pk}/")]
    page = response.content.decode()
    assert count_text(response) == "2 results for “so what”"
    assert '<p class="search-hit-kind">Post</p>' in page and '<p class="search-hit-kind">Comment</p>' in page
    assert "poetichigh on Miles Davis - Kind of Blue (1959)" in page
    assert "Miles Davis · <time" in page
    assert f'datetime="{timezone.localtime(comment.created_at).isoformat()}"' in page
    # The comment's link lands on its thread page and anchor.
    assert client.get(f"/comments/{comment.pk}/")["Location"].endswith(f"#comment-{comment.pk}")


def test_no_results_says_so(client):
    make_post()
    response = search(client, "zzyzx")
    assert count_text(response) == "No results for “zzyzx”."
    assert hits(response) == []


def test_snippets_highlight_and_escape(client):
    post = make_post()
    make_comment(post, body='<b onmouseover=alert(1)>the trumpet</b> & échafaud <script>alert("x")</script>')
    page = search(client, "trumpet echafaud").content.decode()
    assert "<script>alert" not in page and "<b onmouseover" not in page
    assert (
        "&gt;the <mark>trumpet</mark>&lt;/b&gt; &amp; <mark>échafaud</mark>"
        " &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    ) in page


def test_post_snippets_come_from_the_text_of_the_html(client):
    make_post(body="<p>The <em>loneliest</em> trumpet &amp; <a href='/x'>brushes</a></p>")
    page = search(client, "loneliest").content.decode()
    snippet_html = re.search(r'<p class="search-snippet">(.*?)</p>', page, re.S).group(1)
    assert snippet_html == "The <mark>loneliest</mark> trumpet &amp; brushes"


def test_substring_snippets_show_the_match(client):
    make_comment(make_post(), body="x" * 500 + " 我喜欢<这张>专辑 " + "y" * 500)
    page = search(client, "喜欢").content.decode()
    assert "我<mark>喜欢</mark>&lt;这张&gt;专辑" in page


def test_snippet_copes_with_stray_markers():
    # An imported post may hold the marker characters themselves.
    html = snippet(f"a {STOP}b{START} c {START}d{START}{STOP}{STOP}", "", ())
    assert html == "a b<mark> c d</mark>"
    assert snippet(None, "<i>喜欢</i>", ("喜欢",)) == "&lt;i&gt;<mark>喜欢</mark>&lt;/i&gt;"


@pytest.mark.parametrize(
    "q",
    [
        "x" * 1000,
        "喜" * 1000,
        '"',
        '""',
        '"""',
        "&|!:*()",
        "!",
        "-",
        "--miles",
        "'",
        "\\",
        "%_",
        "a:*",
        "<script>alert(1)</script>",
        "\x00miles",
        "miles\x00",
        "\u202eevil",
        "or",
        "-or -and",
        "(miles | davis) & !trumpet",
        " ".join(["trumpet"] * 300),
        " ".join(["喜欢"] * 300),
    ],
)
def test_hostile_queries_never_fail(client, q):
    post = make_post(title="Miles Davis - Kind of Blue (1959)")
    make_comment(post, body="我喜欢 trumpet")
    response = search(client, q)
    assert response.status_code == 200
    assert 'name="q"' in response.content.decode()


def test_undecodable_query_strings_never_fail(client):
    make_comment(make_post(), body="trumpet")
    for raw in ["q=%ED%A0%80", "q=%FF%FE", "q=%00", "q=%E4%BD", "q=a&q=b", "q[]=x", "page=2&q="]:
        response = client.get(f"/search/?{raw}")
        assert response.status_code in (200, 404), raw


def test_a_long_query_is_cut_and_said_so(client):
    make_comment(make_post(), body="trumpet")
    response = search(client, "trumpet " + "x" * 1000)
    assert "Only the first 200 characters were searched." in response.content.decode()


def test_nul_in_a_query_is_a_space(client):
    comment = make_comment(make_post(), body="miles")
    assert links(client, "\x00miles\x00") == [comment.get_absolute_url()]


# --- Pages ---------------------------------------------------------------------------


def test_results_are_paginated(client):
    post = make_post()
    comments = [
        make_comment(post, body="trumpet", created_at=timezone.now() - timedelta(minutes=n))
        for n in range(12)
    ]
    first = search(client, "trumpet")
    assert links(client, "trumpet") == [c.get_absolute_url() for c in comments[:10]]
    assert count_text(first) == "12 results for “trumpet” · showing 1–10"
    assert 'rel="next" href="/search/?q=trumpet&amp;page=2"' in first.content.decode()
    second = search(client, "trumpet", page="2")
    assert [link for _, link in hits(second)] == [c.get_absolute_url() for c in comments[10:]]
    assert count_text(second) == "12 results for “trumpet” · showing 11–12"
    assert 'rel="prev" href="/search/?q=trumpet&amp;page=1"' in second.content.decode()
    assert 'ol class="search-results" start="11"' in second.content.decode()


@pytest.mark.parametrize("page", ["3", "0", "-1", "a1", "1.5", "²", "9999999", ""])
def test_bad_pages_are_404(client, page):
    post = make_post()
    for _ in range(12):
        make_comment(post, body="trumpet")
    assert search(client, "trumpet", page=page).status_code == 404


def test_page_two_of_nothing_is_404_and_page_one_is_not(client):
    assert search(client, "nothing").status_code == 200
    assert search(client, "nothing", page="2").status_code == 404


# --- Queries and the cache -------------------------------------------------------------


def _rows(count):
    posts = [
        make_post(title=f"Trumpet {n} - Album {n}", body="<p>我喜欢</p>") for n in range(max(1, count // 10))
    ]
    for n in range(count):
        make_comment(posts[n % len(posts)], body=f"trumpet number {n} 我喜欢")


@pytest.mark.parametrize("count", [1, 60])
@pytest.mark.parametrize("q", ["trumpet", "喜欢", "trumpet 喜欢"])
def test_query_count_is_constant(client, django_assert_num_queries, count, q):
    _rows(count)
    # The header's archive years (templates/base.html) are read once per
    # site version: a first search reads them, so this one counts ours only.
    search(client, "warm-up")
    # The site version; the content languages in use (when there are words
    # to stem); the ranked ids with the total; the page's posts; the page's
    # comments with their posts.
    with django_assert_num_queries(4 if q == "喜欢" else 5):
        response = search(client, q)
    assert len(hits(response)) >= 1
    # From the cache: the site version only.
    with django_assert_num_queries(1):
        assert search(client, q).status_code == 200


@pytest.mark.parametrize("count", [1, 60])
def test_query_count_with_only_comments_on_the_page(client, django_assert_num_queries, count):
    _rows(count)
    search(client, "warm-up")
    # The site version; the content languages; the ranked ids; the comments
    # (no post on the page).
    with django_assert_num_queries(4):
        assert search(client, "number").status_code == 200


def test_the_empty_box_needs_one_query(client, django_assert_num_queries):
    _rows(5)
    search(client, "warm-up")
    with django_assert_num_queries(1):
        assert search(client, "").status_code == 200


def test_cached_pages_change_when_the_archive_does(client):
    post = make_post()
    make_comment(post, body="trumpet one")
    assert len(links(client, "trumpet")) == 1
    assert len(links(client, "trumpet")) == 1
    make_comment(post, body="trumpet two")
    assert len(links(client, "trumpet")) == 2


def test_spacing_and_unicode_forms_share_a_cache_entry(client, django_assert_num_queries):
    make_comment(make_post(), body="échafaud")
    assert search(client, "  e\u0301chafaud ").status_code == 200
    with django_assert_num_queries(1):
        response = search(client, "échafaud")
    assert len(hits(response)) == 1


def test_long_queries_are_not_cached(client):
    response = search(client, "trumpet " * 20)
    assert response["Cache-Control"] == "private, no-store"
    assert search(client, "trumpet")["Cache-Control"].startswith("public, ")


def test_other_parameters_bypass_the_cache(client, django_assert_num_queries):
    make_comment(make_post(), body="trumpet")
    search(client, "trumpet")
    # Not from the cache: the site version, the languages, the ids, the comments.
    with django_assert_num_queries(4):
        assert search(client, "trumpet", utm="x").status_code == 200


# --- The database side ---------------------------------------------------------------


def test_python_and_sql_agree_on_the_scripts_without_spaces():
    assert migration.UNSPACED_CLASS.encode().decode("unicode_escape") == f"[{query.UNSPACED}]"
    samples = "ก\u0e81\u1000\u1780\u3041\u30ff\u3400\u4e00\u9fa5\uac00\ud7a3\ufa0e\uff66"
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_fold(%s)", [samples + "a"])
        (folded,) = cursor.fetchone()
    assert folded == "".join(f"{char}qq" for char in samples) + "a"
    assert query.Terms.parse(samples + "a").substrings == (samples,)


def fill_for_plans(cursor, post, word):
    """5,000 approved comments on post, one in 500 holding word; the planner left only the search indexes.

    A test-sized table is cheaper to scan (the benchmark shows the plans at
    1,000,000 rows), and every row here is approved, so the planner may
    also fall back on the status indexes, as it sometimes did with this few
    rows: those are dropped inside the test's transaction, which rolls back.
    """
    cursor.execute(
        "INSERT INTO comments_comment (post_id, name, email, url, body, body_html, status, kind,"
        " ip_address, user_agent, original_id, reply_inferred, moderation_rule, moderation_note,"
        " notify_replies, submission_key)"
        " SELECT %s, 'r', '', '', 'comment ' || g || CASE WHEN g %% 500 = 0 THEN ' ' || %s ELSE '' END,"
        " '', 'approved', 'comment', NULL, '', '', false, '', '', false, ''"
        " FROM generate_series(1, 5000) g",
        [post.pk, word],
    )
    cursor.execute("ANALYZE comments_comment")
    cursor.execute("SET LOCAL enable_seqscan = off")
    cursor.execute("DROP INDEX comment_status_idx, comment_thread_idx")


def test_queries_use_the_indexes(client):
    post = make_post()
    with connection.cursor() as cursor:
        fill_for_plans(cursor, post, "trumpet 我喜欢")
        for sql in [
            "SELECT id FROM comments_comment c WHERE c.status = 'approved' AND c.kind = 'comment'"
            " AND c.search_words @@ websearch_to_tsquery('wflm_unaccent', 'trumpet')",
            "SELECT id FROM comments_comment c WHERE c.status = 'approved' AND c.kind = 'comment'"
            " AND search_comment_text(c.body, c.name) LIKE '%%' || search_fold('喜欢') || '%%'",
        ]:
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "search_comment_words_idx" in plan or "search_comment_trgm_idx" in plan, plan


def test_a_write_to_the_words_column_is_recomputed(client):
    comment = make_comment(make_post(), body="trumpet")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE comments_comment SET search_words = ''::tsvector WHERE id = %s", [comment.pk])
    assert links(client, "trumpet") == [comment.get_absolute_url()]


def _post_documents():
    with connection.cursor() as cursor:
        cursor.execute("SELECT post_id FROM search_post ORDER BY post_id")
        return [row[0] for row in cursor.fetchall()]


def test_a_posts_search_row_follows_inserts_edits_and_deletes(client):
    post = make_post(title="Miles Davis - Kind of Blue (1959)", body="<p>So What</p>")
    other = make_post(title="Other - Record")
    assert _post_documents() == [post.pk, other.pk]
    post.body = "<p>Freddie Freeloader</p>"
    post.save()
    assert links(client, "freeloader") == [post.get_absolute_url()]
    assert links(client, "what") == []
    post.delete()
    assert _post_documents() == [other.pk]


def test_thread_version_bumps_leave_the_posts_search_row_alone():
    # A reply updates its post's row; the post's search row (and indexes) stay as they were.
    post = make_post(title="Miles Davis - Kind of Blue (1959)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT xmin::text FROM search_post WHERE post_id = %s", [post.pk])
        (before,) = cursor.fetchone()
        make_comment(post, body="a reply bumps the post's thread version")
        cursor.execute("SELECT xmin::text, search_text FROM search_post WHERE post_id = %s", [post.pk])
        (after, text) = cursor.fetchone()
    assert before == after and "kind of blue" in text


def test_each_tier_ranks_a_bounded_number_of_candidates(client, monkeypatch):
    monkeypatch.setattr(models, "CANDIDATES", 3)
    post = make_post(title="Trumpet - Heading")
    for _ in range(5):
        make_comment(post, body="trumpet")
    response = search(client, "trumpet")
    # The post, then three of the five comments; the count says there are more.
    assert [kind for kind, _ in hits(response)] == ["post", "comment", "comment", "comment"]
    assert count_text(response) == "4+ results for “trumpet”"


def test_a_heading_match_comes_before_a_body_match_whatever_the_candidates(client, monkeypatch):
    monkeypatch.setattr(models, "CANDIDATES", 2)
    for number in range(4):
        make_post(title=f"Other {number} - Record", body="<p>blue blue blue</p>")
    heading = make_post(
        title="Miles Davis - Kind of Blue (1959)", published_at=timezone.now() - timedelta(days=9)
    )
    assert links(client, "blue")[0] == heading.get_absolute_url()
