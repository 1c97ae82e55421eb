"""Search in the content's own language (search/migrations/0002_content_languages.py)."""

from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from archive.importing import ImportOptions, import_file
from conftest import make_comment, make_post
from posts.models import Post
from search import models
from search.apps import keep_site_language
from search.query import Terms
from search.tests.test_search import fill_for_plans, hits, links, search

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "written", "typed"),
    [
        ("fr", "Une belle trompette, et des chœurs élevés.", "trompettes"),
        ("fr-FR", "Il chantait tous les soirs.", "chanter"),
        ("de", "Die Trompeten klingen wunderbar.", "Trompete"),
        ("es", "Las canciones del disco.", "canción"),
        ("tr", "Bu kitaplar çok güzel.", "kitabı"),
        ("en", "He was running through the changes.", "runs"),
        ("pt-BR", "As músicas do disco.", "música"),
    ],
)
def test_words_are_found_in_other_forms_in_the_content_s_language(client, language, written, typed):
    post = make_post(language=language, body=f"<p>{written}</p>")
    comment = make_comment(make_post(language=language), body=written)

    assert links(client, typed) == [post.get_absolute_url(), comment.get_absolute_url()]


def test_a_language_without_a_configuration_keeps_words_as_written_and_substrings(client):
    post = make_post(language="zh-Hans", body="<p>trompette 我喜欢这张专辑</p>")

    assert links(client, "trompette") == [post.get_absolute_url()]
    assert links(client, "喜欢") == [post.get_absolute_url()]
    # No stemmer: another form of the word is another word.
    assert links(client, "trompettes") == []


def test_a_row_is_only_matched_with_its_own_language_s_query(client):
    # French stems "chanter" and "chantait" to "chant"; English leaves
    # "chanter" whole, so the English post's "chant" must not match it.
    french = make_post(language="fr", body="<p>Elle chantait.</p>")
    english = make_post(language="en", body="<p>A Gregorian chant.</p>")

    assert links(client, "chanter") == [french.get_absolute_url()]
    assert set(links(client, "chant")) == {english.get_absolute_url(), french.get_absolute_url()}


def test_names_and_stop_words_are_still_found_as_written(client):
    # English drops "the" and "who" as stop words: the words as written find them.
    post = make_post(language="en", title="The Who - Tommy (1969)", artist="The Who")

    assert links(client, '"the who"') == [post.get_absolute_url()]


def test_exclusions_hold_in_both_forms(client):
    kept = make_post(language="fr", body="<p>Des trompettes à Lyon.</p>")
    make_post(language="fr", body="<p>Des trompettes à Paris.</p>")

    assert links(client, "trompette -paris") == [kept.get_absolute_url()]


def test_the_snippet_marks_the_word_in_the_form_the_content_has(client):
    make_comment(make_post(language="fr"), body="Quelle trompette !")

    page = search(client, "trompettes").content.decode()

    assert "<mark>trompette</mark>" in page


def test_a_heading_match_in_another_form_lists_the_post_first(client):
    in_body = make_post(language="fr", body="<p>Les trompettes de la nuit.</p>")
    in_title = make_post(language="fr", title="Trompette - Nuit (1960)", body="<p>Rien.</p>")

    assert links(client, "trompettes") == [in_title.get_absolute_url(), in_body.get_absolute_url()]


def test_changing_a_post_s_language_restems_it_and_its_comments(client):
    post = make_post(language="en", body="<p>Il chantait.</p>")
    comment = make_comment(post, body="Elle chantait aussi.")
    assert links(client, "chanter") == []

    Post.objects.filter(pk=post.pk).update(language="fr")

    assert set(links(client, "chanter")) == {post.get_absolute_url(), comment.get_absolute_url()}
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_config::text FROM comments_comment WHERE id = %s", [comment.pk])
        assert cursor.fetchone() == ("wflm_french",)


def test_posts_without_a_language_are_searched_in_the_site_s(client, settings):
    post = make_post(body="<p>Il chantait.</p>")  # no language: the site's
    assert links(client, "chanter") == []  # the test database was migrated in English

    settings.LANGUAGE_CODE = "fr"
    keep_site_language(using="default")  # what every migrate does
    assert links(client, "chanter") == [post.get_absolute_url()]

    settings.LANGUAGE_CODE = "zh-hans"  # no configuration: words as written
    keep_site_language(using="default")
    assert links(client, "chanter") == []
    assert links(client, "chantait") == [post.get_absolute_url()]


def test_an_unchanged_site_language_rewrites_nothing(settings):
    make_comment(make_post(), body="trumpet")
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_site_language(%s)", [settings.LANGUAGE_CODE])
        assert cursor.fetchone() == (False,)


WXR = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
  <title>Blog</title>
  <link>https://blog.example.fr</link>
  <language>fr-FR</language>
  <wp:wxr_version>1.2</wp:wxr_version>
  <wp:base_blog_url>https://blog.example.fr</wp:base_blog_url>
  <item>
    <title>Miles Davis - Ascenseur pour l'échafaud (1958)</title>
    <link>https://blog.example.fr/?p=7</link>
    <dc:creator>editor</dc:creator>
    <content:encoded><![CDATA[<p>La trompette de Miles.</p>]]></content:encoded>
    <wp:post_id>7</wp:post_id>
    <wp:post_date_gmt>2009-05-14 22:42:00</wp:post_date_gmt>
    <wp:post_name>ascenseur</wp:post_name>
    <wp:status>publish</wp:status>
    <wp:post_type>post</wp:post_type>
    <wp:comment>
      <wp:comment_id>70</wp:comment_id>
      <wp:comment_author>Jeanne</wp:comment_author>
      <wp:comment_date_gmt>2009-05-15 08:00:00</wp:comment_date_gmt>
      <wp:comment_content>Les enregistrements de nuit, magnifiques.</wp:comment_content>
      <wp:comment_approved>1</wp:comment_approved>
      <wp:comment_parent>0</wp:comment_parent>
    </wp:comment>
  </item>
</channel>
</rss>
"""


def test_an_imported_archive_is_searched_in_its_export_s_language(client, tmp_path):
    path = Path(tmp_path) / "export.xml"
    path.write_text(WXR, encoding="utf-8")
    result = import_file(path, ImportOptions())
    assert result.ok, result.error
    post = Post.objects.get(slug="ascenseur")

    assert [kind for kind, _ in hits(search(client, "trompettes"))] == ["post"]
    assert [kind for kind, _ in hits(search(client, "enregistrement"))] == ["comment"]
    assert post.language == "fr-FR"


def test_the_languages_in_use_are_listed_once_each():
    for language in ("fr", "fr-CA", "de", "", "zh-Hans"):
        make_post(language=language)
    with connection.cursor() as cursor:
        assert models.content_configs(cursor) == [
            ("wflm_english", "english"),
            ("wflm_french", "french"),
            ("wflm_german", "german"),
        ]


def test_the_stemmed_indexes_serve_the_search():
    post = make_post(language="fr")
    with connection.cursor() as cursor:
        fill_for_plans(cursor, post, "trompettes")
        configs = models.content_configs(cursor)
        terms = Terms.parse("trompette")
        _, params = models.ranked_ids_sql(terms, 0, 10, timezone.now(), configs)
        # The comments' condition as ranked_ids_sql writes it.
        condition = models._condition(
            terms, "c.search_words", models._tsquery(configs), "search_comment_text(c.body, c.name)"
        )
        # search.models' SQL; the words are in params.
        sql = "SELECT id FROM comments_comment c WHERE c.status = 'approved' AND c.kind = 'comment' AND %s"
        sql %= condition  # noqa: S608
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "search_comment_words_idx" in plan, plan
        cursor.execute(sql, params)
        assert len(cursor.fetchall()) == 10


@pytest.mark.parametrize(
    "text",
    [
        "The Who played the loneliest trumpets, it's true",
        "see http://example.com/it's/a'b?q=1 or mail o'brien@example.com",
        "l'échafaud — «ascenseur» 1958 3.14 rock-n-roll",
        "",
    ],
)
def test_stems_are_tagged_alike_by_the_fast_path_and_the_regular_expression(text):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_tagged_vector('english', v)::text, search_tag_lexemes(v::text, 'english')::tsvector::text"
            " FROM (SELECT to_tsvector('wflm_english', %s) AS v) s",
            [text],
        )
        fast, regular = cursor.fetchone()
    assert fast == regular
    assert all(lexeme.startswith("'english:") for lexeme in fast.split(" ") if fast)
