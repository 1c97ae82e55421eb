"""The interface in six languages: catalogues, pages, plurals, dates, the page cache, content languages."""

import datetime
import re
from pathlib import Path

import html5lib
import polib
import pytest
from django.core import mail
from django.core.cache import cache
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from archive.importing import ImportOptions, import_file
from comments import edit_window
from comments.forms import CommentForm
from comments.models import Comment
from conftest import make_comment, make_form_timestamp
from posts import pagecache
from posts.demo import load_demo_archive
from posts.models import Post
from wflm import catalogues
from wflm.fast_pages import FastPages
from wflm.languages import differs_from_interface, language_tag
from wflm.tests.test_settings import PRODUCTION, manage

SHIPPED = ["en", "fr", "de", "es", "tr", "zh-hans"]
UTC = datetime.UTC


# --- Catalogues ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def code_messages():
    return catalogues.messages_in_code()


@pytest.mark.parametrize("language", SHIPPED)
def test_each_catalogue_is_complete_with_no_fuzzy_entry_and_every_string_of_the_code(language, code_messages):
    assert len(code_messages) > 150  # the extraction found the code's strings
    assert catalogues.problems(language, code_messages) == []


def test_the_check_finds_a_string_missing_untranslated_fuzzy_or_with_other_placeholders(
    tmp_path, monkeypatch
):
    catalogue = polib.POFile()
    catalogue.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    catalogue.append(polib.POEntry(msgid="Reply", msgstr=""))
    catalogue.append(polib.POEntry(msgid="Edit", msgstr="Modifier", flags=["fuzzy"]))
    catalogue.append(polib.POEntry(msgid="Hello %(name)s,", msgstr="Bonjour %(nom)s,"))
    path = tmp_path / "fr" / "LC_MESSAGES" / "django.po"
    path.parent.mkdir(parents=True)
    catalogue.save(str(path))
    monkeypatch.setattr(catalogues, "LOCALE_DIR", tmp_path)

    found = catalogues.problems(
        "fr", {"Reply": "x", "Edit": "x", "Hello %(name)s,": "x", "Cancel reply": "y"}
    )

    assert any("untranslated: 'Reply'" in line for line in found)
    assert any("fuzzy: 'Edit'" in line for line in found)
    assert any("placeholders differ: 'Hello %(name)s,'" in line for line in found)
    assert any("not in the catalogue (y): 'Cancel reply'" in line for line in found)


def test_the_extraction_reads_python_django_templates_and_the_jinja2_loop(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "views.py").write_text(
        'from django.utils.translation import gettext as _, ngettext\n_("One")\nngettext("%(n)s cat", "%(n)s cats", 2)\n'
    )
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text(
        '{% load i18n %}{% translate "Two" %}{% blocktranslate count counter=n %}{{ counter }} dog'
        "{% plural %}{{ counter }} dogs{% endblocktranslate %}"
    )
    (tmp_path / "templates" / "loop.jinja").write_text('{% set says = _("Three")|e %}{{ _("Four") }}')

    assert set(catalogues.messages_in_code(tmp_path)) == {
        "One",
        "%(n)s cat",
        "Two",
        "%(counter)s dog",
        "Three",
        "Four",
    }


def test_compiled_catalogues_are_current():
    # `make messages` compiles them; an edited .po without its .mo would not show.
    for language in SHIPPED:
        po = catalogues.catalogue_path(language)
        mo = polib.mofile(str(po.with_suffix(".mo")))
        # Keyed with the context too: "Trash" the status and "Trash" the button differ.
        assert {(entry.msgctxt, entry.msgid): entry.msgstr for entry in mo} == {
            (entry.msgctxt, entry.msgid): entry.msgstr
            for entry in polib.pofile(str(po))
            if not entry.obsolete
        }, f"{po.with_suffix('.mo')}: run make messages"


# --- Pages in every language -------------------------------------------------------------

# What is the archive's content, not its interface: left out of the check.
CONTENT = {"post-body", "comment-content", "comment-author", "post-terms", "archive-years", "excerpt"}
CONTENT_TAGS = {"script", "style", "textarea", "code", "time", "bdi", "svg", "cite"}
# A word in any script ("l’article", "yazısına").
WORD = r"[^\W\d_]+(?:[’'][^\W\d_]+)*"
# Words every language keeps as they are.
LATIN_KEPT = {"wflm", "rss", "json", "html", "url", "ip", "http", "https", "pingback", "trackback"}


def interface_text(html, content_strings):
    """The visible interface text of a page: its text and labels, without the post's and comments' content."""
    document = html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False)
    pieces = []

    def walk(element):
        tag = element.tag if isinstance(element.tag, str) else ""
        classes = set(element.get("class", "").split())
        if tag in CONTENT_TAGS or classes & CONTENT or tag == "h1" and element.get("lang"):
            if element.tail:
                pieces.append(element.tail)
            return
        for attribute in ("aria-label", "title", "alt", "placeholder", "data-title", "data-reply-title"):
            if element.get(attribute):
                pieces.append(element.get(attribute))
        if element.text:
            pieces.append(element.text)
        for child in element:
            walk(child)
        if element.tail:
            pieces.append(element.tail)

    walk(document)
    # Placeholders in the script's sentences (data-reply-title) are not words.
    text = re.sub(r"%%?\(\w+\)[sd]", " ", " ".join(pieces))
    for content in sorted(content_strings, key=len, reverse=True):
        text = text.replace(content, " ")
    return text


def catalogue_words(language):
    words = set()
    for entry in polib.pofile(str(catalogues.catalogue_path(language))):
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            words |= set(re.findall(WORD, re.sub(r"%\(\w+\)[sd]|<[^>]+>", " ", text.lower())))
    return words


@pytest.fixture
def demo_post(db):
    post = load_demo_archive()
    # A pingback and a held comment shown to its author would show more labels; the thread is the page's.
    return post


@pytest.mark.parametrize("language", [code for code in SHIPPED if code != "en"])
def test_each_language_renders_the_demo_post_with_no_english_left(client, settings, demo_post, language):
    settings.LANGUAGE_CODE = language
    response = client.get(demo_post.get_absolute_url())
    html = response.content.decode()
    english = catalogue_words("en") - catalogue_words(language) - LATIN_KEPT
    names = set(Comment.objects.filter(post=demo_post).values_list("name", flat=True))
    text = interface_text(html, {demo_post.title, *names})
    latin_words = set(re.findall(WORD, text.lower()))

    assert response.status_code == 200
    assert f'<html lang="{language_tag(language)}">' in html
    leftover = latin_words & english
    assert not leftover, [re.findall(rf".{{0,40}}\b{word}\b.{{0,40}}", text, re.I)[:3] for word in leftover]
    # The English interface has these words: the same check finds them there.
    settings.LANGUAGE_CODE = "en"
    cache.clear()
    pagecache._recent.clear()
    english_page = interface_text(
        client.get(demo_post.get_absolute_url()).content.decode(), {demo_post.title, *names}
    )
    assert {"leave", "reply", "says", "responses"} <= set(
        re.findall(r"[a-z’']+", english_page.lower())
    ) & english


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "14 mai 2009 à 22 h 42"),
        ("zh-hans", "2009年5月14日 22:42"),
        ("de", "14. Mai 2009 um 22:42"),
        ("es", "14 de mayo de 2009 a las 22:42"),
        ("tr", "14 Mayıs 2009, 22:42"),
        ("en", "May 14, 2009 at 10:42 pm"),
    ],
)
def test_thread_dates_in_the_language_with_the_machine_date_unchanged(
    client, settings, post, language, expected
):
    settings.LANGUAGE_CODE = language
    moment = datetime.datetime(2009, 5, 14, 22, 42, tzinfo=UTC)
    make_comment(post, created_at=moment)

    html = client.get(post.get_absolute_url()).content.decode()

    assert f'<time datetime="{moment.isoformat()}">{expected}</time>' in html


# --- Plurals -------------------------------------------------------------------------------

RESPONSES = {
    "en": ["0 Responses", "1 Response", "2 Responses", "5 Responses", "21 Responses"],
    "fr": ["0 réponse", "1 réponse", "2 réponses", "5 réponses", "21 réponses"],
    "de": ["0 Antworten", "1 Antwort", "2 Antworten", "5 Antworten", "21 Antworten"],
    "es": ["0 respuestas", "1 respuesta", "2 respuestas", "5 respuestas", "21 respuestas"],
    "tr": ["0 yanıt", "1 yanıt", "2 yanıt", "5 yanıt", "21 yanıt"],
    "zh-hans": ["0 条回应", "1 条回应", "2 条回应", "5 条回应", "21 条回应"],
}
POSTS_COUNTED = {
    "en": ["0 posts", "1 post", "2 posts", "5 posts", "21 posts"],
    "fr": ["0 article", "1 article", "2 articles", "5 articles", "21 articles"],
    "de": ["0 Beiträge", "1 Beitrag", "2 Beiträge", "5 Beiträge", "21 Beiträge"],
    "es": ["0 entradas", "1 entrada", "2 entradas", "5 entradas", "21 entradas"],
    "tr": ["0 yazı", "1 yazı", "2 yazı", "5 yazı", "21 yazı"],
    "zh-hans": ["0 篇文章", "1 篇文章", "2 篇文章", "5 篇文章", "21 篇文章"],
}


@pytest.mark.parametrize("language", SHIPPED)
def test_plural_forms_for_0_1_2_5_21(language):
    template = Template(
        "{% load i18n %}{% blocktranslate count counter=n %}{{ counter }} Response{% plural %}"
        "{{ counter }} Responses{% endblocktranslate %}"
    )
    with translation.override(language):
        shown = [template.render(Context({"n": n})) for n in (0, 1, 2, 5, 21)]
        counted = [
            translation.ngettext("%(count)s post", "%(count)s posts", n) % {"count": n}
            for n in (0, 1, 2, 5, 21)
        ]
    assert shown == RESPONSES[language]
    assert counted == POSTS_COUNTED[language]


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "Up to 10,000 characters."), ("fr", "Jusqu’à 10\xa0000 caractères.")]
)
def test_numbers_grouped_as_the_language_writes_them(post, language, expected):
    with translation.override(language):
        assert CommentForm(post).fields["body"].help_text == expected


# --- The page cache and Accept-Language ------------------------------------------------------


@pytest.fixture
def browser_languages(settings):
    settings.LANGUAGE_FROM_BROWSER = True
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE[: settings.MIDDLEWARE.index("django.middleware.common.CommonMiddleware")],
        "django.middleware.locale.LocaleMiddleware",
        *settings.MIDDLEWARE[settings.MIDDLEWARE.index("django.middleware.common.CommonMiddleware") :],
    ]
    yield
    # LocaleMiddleware leaves the last request's language active in this thread.
    translation.deactivate()


def test_the_page_cache_keeps_languages_apart_when_browsers_choose(client, browser_languages, post):
    french = client.get(post.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    german = client.get(post.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="de")
    french_again = client.get(post.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr")
    unknown = client.get(post.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ja")

    assert "Laisser une réponse" in french.content.decode()
    assert "Schreibe eine Antwort" in german.content.decode()
    assert french_again.content == french.content
    assert "Leave a Reply" in unknown.content.decode()  # LANGUAGE_CODE
    assert len({french["ETag"], german["ETag"], unknown["ETag"]}) == 3
    for response in (french, german, unknown):
        assert response["Cache-Control"].startswith("public")
        assert "Accept-Language" in response["Vary"]
    # A conditional GET in another language is not answered with the French page's 304.
    other = client.get(post.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="de", HTTP_IF_NONE_MATCH=french["ETag"])
    assert other.status_code == 200


def test_without_browser_languages_pages_vary_only_by_encoding(client, post):
    response = client.get(post.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr")
    assert response["Vary"] == "Accept-Encoding"
    assert "Leave a Reply" in response.content.decode()


def test_pages_in_front_of_django_are_not_kept_when_browsers_choose(settings):
    calls = []

    def django(environ, start_response):
        calls.append(environ.get("HTTP_ACCEPT_LANGUAGE"))
        start_response(
            "200 OK", [("Content-Type", "text/html"), ("ETag", '"a"'), ("Cache-Control", "public")]
        )
        return [b"page"]

    settings.PAGE_CACHE_SECONDS = 600
    settings.LANGUAGE_FROM_BROWSER = True
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
    }
    fast = FastPages(django)
    for language in ("fr", "de"):
        fast({**environ, "HTTP_ACCEPT_LANGUAGE": language}, lambda *args: None)
    assert calls == ["fr", "de"]


# --- The content's own language ------------------------------------------------------------

WXR = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
  <title>音乐博客</title>
  <link>https://music.example.cn</link>
  {language}
  <wp:wxr_version>1.2</wp:wxr_version>
  <wp:base_blog_url>https://music.example.cn</wp:base_blog_url>
  <item>
    <title>迈尔斯·戴维斯 - 泛蓝调调 (1959)</title>
    <link>https://music.example.cn/?p=7</link>
    <dc:creator>editor</dc:creator>
    <content:encoded><![CDATA[<p>我喜欢这张专辑。</p>]]></content:encoded>
    <wp:post_id>7</wp:post_id>
    <wp:post_date_gmt>2009-05-14 22:42:00</wp:post_date_gmt>
    <wp:post_name>kind-of-blue</wp:post_name>
    <wp:status>publish</wp:status>
    <wp:post_type>post</wp:post_type>
    <wp:comment>
      <wp:comment_id>70</wp:comment_id>
      <wp:comment_author>小明</wp:comment_author>
      <wp:comment_date_gmt>2009-05-15 08:00:00</wp:comment_date_gmt>
      <wp:comment_content>经典！</wp:comment_content>
      <wp:comment_approved>1</wp:comment_approved>
      <wp:comment_parent>0</wp:comment_parent>
    </wp:comment>
  </item>
</channel>
</rss>
"""


def imported(tmp_path, language_element):
    path = Path(tmp_path) / "export.xml"
    path.write_text(WXR.format(language=language_element), encoding="utf-8")
    result = import_file(path, ImportOptions())
    assert result.ok, result.error
    return Post.objects.get(slug="kind-of-blue")


def test_an_imported_zh_hans_post_carries_its_language_in_an_english_interface(client, db, tmp_path):
    post = imported(tmp_path, "<language>zh-Hans</language>")

    html = client.get(post.get_absolute_url()).content.decode()
    home = client.get("/").content.decode()

    assert post.language == "zh-Hans"
    assert '<html lang="en">' in html
    assert '<h1 lang="zh-Hans" dir="auto">迈尔斯·戴维斯 - 泛蓝调调 (1959)</h1>' in html
    assert '<div class="post-body" lang="zh-Hans" dir="auto">' in html
    assert '<div class="thread" lang="zh-Hans">' in html
    assert '<div class="thread" lang="zh-Hans"><ol class="commentlist">' in html
    assert 'lang="zh-Hans" dir="auto"><a href="/2009/05/kind-of-blue/">' in home
    assert '"inLanguage": "zh-Hans"' in html


def test_the_same_post_in_a_chinese_interface_is_not_marked(client, settings, db, tmp_path):
    settings.LANGUAGE_CODE = "zh-hans"
    post = imported(tmp_path, "<language>zh-hans</language>")

    html = client.get(post.get_absolute_url()).content.decode()

    assert '<html lang="zh-Hans">' in html
    assert 'lang="zh-Hans" dir' not in html
    assert "目前有 1 条回应" in html


def test_an_export_without_language_leaves_it_empty(client, db, tmp_path):
    post = imported(tmp_path, "")
    html = client.get(post.get_absolute_url()).content.decode()
    assert post.language == ""
    assert '<h1 dir="auto">' in html
    assert ' lang="' not in html.split("<html", 1)[1].split(">", 1)[1]


@pytest.mark.parametrize(
    ("stored", "tag"),
    [("fr-fr", "fr-FR"), ("zh_hans", "zh-Hans"), ("es-419", "es-419"), ("EN", "en"), ("<b>", "")],
)
def test_language_tags_in_their_usual_case(stored, tag):
    assert language_tag(stored) == tag


def test_content_in_the_interface_language_with_a_region_is_not_marked():
    with translation.override("fr"):
        assert differs_from_interface("fr-FR") == ""
        assert differs_from_interface("de") == "de"
    with translation.override("zh-hans"):
        assert differs_from_interface("zh-Hant") == "zh-Hant"


def test_the_language_is_editable_in_the_admin_and_checked(admin_client, post):
    page = admin_client.get(f"/admin/posts/post/{post.pk}/change/").content.decode()
    assert 'name="language"' in page
    post.language = "not a tag"
    with pytest.raises(Exception, match="language tag"):
        post.full_clean()


# --- Right to left ----------------------------------------------------------------------------


def test_a_right_to_left_name_in_a_left_to_right_thread_is_isolated(client, post):
    arabic = make_comment(post, name="مريم")
    make_comment(post, name="Reader", parent=arabic, body="@مريم yes")

    html = client.get(post.get_absolute_url()).content.decode()

    assert '<cite class="comment-author" dir="auto">مريم</cite>' in html
    assert '<div class="comment-content" dir="auto">' in html
    # The name in "in reply to" is isolated by the stylesheet (unicode-bidi: plaintext, as dir="auto").
    assert f'in reply to <a href="#comment-{arabic.pk}">مريم</a>' in html
    css = (Path(__file__).resolve().parents[2] / "static" / "css" / "site.css").read_text()
    assert re.search(r"\.in-reply-to a[^{]*\{ unicode-bidi: plaintext; \}", css)


def test_a_right_to_left_interface_mirrors_the_page(client, settings, post):
    settings.LANGUAGES = [*settings.LANGUAGES, ("ar", "العربية")]
    settings.LANGUAGE_CODE = "ar"
    html = client.get(post.get_absolute_url()).content.decode()
    assert '<html lang="ar" dir="rtl">' in html


def test_the_stylesheet_uses_logical_properties():
    css = (Path(__file__).resolve().parents[2] / "static" / "css" / "site.css").read_text()
    assert not re.search(r"(margin|padding|border)-(left|right)|[\s;{](left|right):|float: (left|right)", css)


def test_feeds_in_the_interface_language(client, settings, post):
    settings.LANGUAGE_CODE = "zh-hans"
    make_comment(post, name="小明")
    feed = client.get("/comments/feed/").content.decode()
    assert "<language>zh-Hans</language>" in feed
    assert "<title>WFLM 存档 的评论</title>" in feed
    assert f"<title>小明 对 {post.title} 的评论</title>" in feed


# --- Emails and refusals -----------------------------------------------------------------------


def test_emails_are_written_in_the_site_language_whatever_the_reader_s(
    client, settings, browser_languages, post, django_capture_on_commit_callbacks
):
    settings.LANGUAGE_CODE = "fr"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MODERATOR_EMAILS = ["mod@example.com"]
    data = {
        "name": "Bea",
        "email": "bea@example.com",
        "url": "",
        "body": "Bonjour !",
        "ts": make_form_timestamp(),
    }
    with django_capture_on_commit_callbacks(execute=True):
        # A German reader's first comment: held, and the moderator told, in French.
        response = client.post(post.get_absolute_url(), data, HTTP_ACCEPT_LANGUAGE="de")

    (message,) = mail.outbox
    assert response.status_code == 302
    assert message.subject == f"[WFLM] À modérer\u00a0: «\u00a0{post.title}\u00a0»"
    assert "attend votre approbation" in message.body
    assert "Retenu par\u00a0: Aucun commentaire approuvé auparavant (premier commentaire" in message.body
    assert "L’approuver: http" in message.body


def test_a_refused_reply_comes_back_with_its_messages_in_the_interface_language(client, settings, post):
    settings.LANGUAGE_CODE = "es"
    data = {
        "name": "",
        "email": "no-es-un-correo",
        "url": "ftp://x",
        "body": "Mi texto.",
        "ts": make_form_timestamp(),
    }

    html = client.post(post.get_absolute_url(), data).content.decode()

    assert "Escribe tu nombre." in html
    assert "Escribe una dirección de correo electrónico válida." in html
    assert "Escribe una dirección web que empiece por http:// o https://." in html
    assert "Mi texto." in html  # the reader's text is kept


# --- Settings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"LANGUAGE_CODE": "xx"},
            "LANGUAGE_CODE='xx' is not a shipped language (en, fr, de, es, tr, zh-hans)",
        ),
        (
            {"LANGUAGE_FROM_BROWSER": "yes please"},
            "LANGUAGE_FROM_BROWSER must be on or off, not 'yes please'",
        ),
    ],
)
def test_bad_language_settings_fail_loudly(variables, message):
    result = manage("check", **PRODUCTION, **variables)
    assert result.returncode != 0
    assert message in result.stderr


def test_each_shipped_language_starts():
    # What `LANGUAGE_CODE=zh-hans make run` does first: the settings load and Django checks pass.
    for language in ("fr", "zh-hans", "ZH-Hans"):
        result = manage("check", **PRODUCTION, LANGUAGE_CODE=language, LANGUAGE_FROM_BROWSER="on")
        assert result.returncode == 0, result.stderr


def test_a_commenter_s_own_comment_pages_speak_the_interface_language(client, settings, post):
    settings.LANGUAGE_CODE = "de"
    comment = make_comment(post)

    html = client.get(reverse("comments:edit_own", args=[comment.pk])).content.decode()

    assert "Dieser Kommentar kann von hier aus nicht geändert werden" in html
    assert "10 Minuten lang nach dem Senden" in html  # COMMENTS_EDIT_MINUTES, plural
    with translation.override("zh-hans"):
        assert edit_window.minutes_label(61) == "还剩 2 分钟"
