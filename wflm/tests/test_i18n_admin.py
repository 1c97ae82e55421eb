"""The moderator's desk in every shipped language: the queue, its confirmation, reply and change
pages, the bulk actions' counts, the script's words, the notes stored for moderators."""

import html
import io
import json
import re
from pathlib import Path

import html5lib
import polib
import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.utils import timezone, translation
from playwright.sync_api import expect

from archive.models import CommentSource, ImportRun, PostSource
from archive.summary import summary_lines
from archive.tests.test_import_fidelity import wordpress_com
from archive.tests.test_import_rules import wxr_comment, wxr_item
from comments import moderation
from comments.models import Comment, CommentEdit
from comments.tests.test_own_comment import delete_url, own
from conftest import make_comment, make_post
from posts.models import Tag
from wflm import catalogues
from wflm.tests.conftest import _server_environment, collect_static, running_gunicorn
from wflm.tests.test_i18n import SHIPPED

pytestmark = pytest.mark.django_db

TRANSLATED = [code for code in SHIPPED if code != "en"]
CHANGELIST = "/admin/comments/comment/"
JSON = {"HTTP_ACCEPT": "application/json"}
# The archive's content on these pages (names, texts, the post's title, addresses): not interface.
NAMES = ["Zoë", "Ümit", "Xiàn"]
TITLE = "Zyxw Qvpr (1970)"
BODY = "Lorem ipsum dolor sit amet {}."
# Not our pages' text: scripts and data blocks; the search box's icon, whose alt="Search" is
# English in Django's own admin/search_form.html.
SKIPPED_TAGS = {"script", "style", "textarea", "noscript"}
SKIPPED_IDS = {"changelist-search"}
# Django's own English: the app list's hidden column headings, which Django 5.2's zh_Hans
# catalogue leaves untranslated (the index and every sidebar show them).
DJANGOS_UNTRANSLATED = {"Model name", "Add link", "Change or view list link"}
PLACEHOLDER_OR_TAG = re.compile(r"%\(\w+\)[sd]|<[^>]+>")


def page_text(page, content):
    """What a reader of the page sees or hears: text, labels, titles and the buttons' values,
    without the content strings."""
    document = html5lib.parse(page, treebuilder="etree", namespaceHTMLElements=False)
    pieces = []

    def walk(element):
        tag = element.tag if isinstance(element.tag, str) else "<!-- -->"  # an HTML comment
        if tag not in SKIPPED_TAGS | {"<!-- -->"} and element.get("id") not in SKIPPED_IDS:
            for attribute in ("title", "aria-label", "alt", "placeholder"):
                pieces.append(element.get(attribute) or "")
            if tag == "input" and element.get("type") in ("submit", "button"):
                pieces.append(element.get("value") or "")
            pieces.append(element.text or "")
            for child in element:
                walk(child)
        pieces.append(element.tail or "")

    walk(document)
    text = " ".join(" ".join(pieces).split())
    for string in sorted({*content, *DJANGOS_UNTRANSLATED}, key=len, reverse=True):
        text = text.replace(string, " ")
    # Addresses shown as links' text (/comments/7/) are not words.
    return re.sub(r"\S*/\S+", " ", text)


def english_fragments(language):
    """Our catalogue's English, in the pieces a page shows whole (between placeholders and tags),
    as written and capitalised (the admin capitalises labels), but for the words the language
    itself writes so ("Spam", "Status", German's "Name")."""
    catalogue = polib.pofile(str(catalogues.catalogue_path(language)))
    own_text = " ".join(
        text for entry in catalogue for text in [entry.msgstr, *entry.msgstr_plural.values()]
    ).lower()
    fragments = set()
    for entry in catalogue:
        for english in filter(None, [entry.msgid, entry.msgid_plural]):
            for piece in PLACEHOLDER_OR_TAG.split(html.unescape(english)):
                piece = " ".join(piece.split()).strip(" .,:;!?()“”\"'")
                if not re.search(r"[A-Za-z]{2}", piece):
                    continue
                if re.search(rf"(?<!\w){re.escape(piece.lower())}(?!\w)", own_text):
                    continue
                fragments |= {piece, piece[0].upper() + piece[1:]}
    return fragments


def english_left(page, language, content):
    """{fragment: where it shows} for each piece of our English the page still shows."""
    text = page_text(page, content)
    left = {}
    for fragment in english_fragments(language):
        found = re.search(rf"(?<![\w’']){re.escape(fragment)}(?![\w’'])", text)
        if found:
            left[fragment] = text[max(0, found.start() - 40) : found.end() + 40]
    return left


@pytest.fixture
def desk(admin_client):
    """A post with comments in every status (one held by a rule, a reply, an edit), as a superuser sees them."""
    post = make_post(title=TITLE)
    held = make_comment(
        post,
        name=NAMES[0],
        email="zoe@example.net",
        body=BODY.format(1),
        status=Comment.Status.PENDING,
        moderation_rule=Comment.Rule.FIRST_TIME_AUTHOR,
        moderation_note="ipsum",
        ip_address="192.0.2.7",
    )
    approved = make_comment(post, name=NAMES[1], email="umit@example.net", body=BODY.format(2))
    make_comment(post, name=NAMES[2], email="xian@example.net", body=BODY.format(3), parent=approved)
    spam = make_comment(
        post, name=NAMES[2], email="xian@example.net", body=BODY.format(4), status=Comment.Status.SPAM
    )
    make_comment(
        post, name=NAMES[1], email="umit@example.net", body=BODY.format(5), status=Comment.Status.REMOVED
    )
    CommentEdit.objects.create(comment=approved, old_name=NAMES[1], old_body=BODY.format(0))
    content = {
        TITLE,
        *NAMES,
        *(BODY.format(number) for number in range(6)),
        "zoe@example.net",
        "umit@example.net",
        "xian@example.net",
        "192.0.2.7",
        "ipsum",
        "moderator",  # the signed-in user's name
        "WFLM",
    }
    return {"client": admin_client, "held": held, "approved": approved, "spam": spam, "content": content}


def pages(desk):
    """The moderator's pages: the queue (pending, everything), a step's confirmation, the reply and change pages."""
    held, approved, spam = desk["held"], desk["approved"], desk["spam"]
    return {
        "queue": f"{CHANGELIST}",
        "queue, all": f"{CHANGELIST}?status__exact=all",
        "confirm": f"{CHANGELIST}{held.pk}/moderate/approve/",
        "confirm, not applying": f"{CHANGELIST}{held.pk}/moderate/restore/",
        "reply": f"{CHANGELIST}{held.pk}/reply/",
        "reply, approved": f"{CHANGELIST}{approved.pk}/reply/",
        "reply, spam": f"{CHANGELIST}{spam.pk}/reply/",
        "change": f"{CHANGELIST}{approved.pk}/change/",
        "change, held": f"{CHANGELIST}{held.pk}/change/",
        "add": f"{CHANGELIST}add/",
    }


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_moderators_pages_have_none_of_our_english_left(desk, settings, language):
    settings.LANGUAGE_CODE = language
    client = desk["client"]
    # The keyboard shortcuts' help is shown only to those who turned them on.
    client.post(f"{CHANGELIST}shortcuts/", {"enabled": "1"})

    for name, url in pages(desk).items():
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 200, name
        assert english_left(page, language, desk["content"]) == {}, name
    # The eraser's confirmation, after its bulk action.
    selected = [desk["held"].pk, desk["approved"].pk]
    response = client.post(CHANGELIST, {"action": "erase_personal_data", "_selected_action": selected})
    assert response.status_code == 200
    assert english_left(response.content.decode(), language, desk["content"]) == {}, "erase"


def test_the_check_finds_our_english_on_an_english_page(desk, settings):
    # The same pages in English are full of the catalogue's English: the check sees it.
    settings.LANGUAGE_CODE = "en"
    client = desk["client"]
    seen = set()
    for url in pages(desk).values():
        text = page_text(client.get(url).content.decode(), desk["content"])
        seen |= {fragment for fragment in english_fragments("fr") if fragment in text}
    assert {
        "Approve",
        "Not spam",
        "In response to",
        "Never edited",
        "Approve and reply",
        "You are about to",
        "Moderation rule",  # a field's label, capitalised by the admin
        "Keyboard shortcuts",
    } <= seen


def test_a_page_with_an_english_string_left_is_caught(desk, settings):
    settings.LANGUAGE_CODE = "de"
    page = desk["client"].get(f"{CHANGELIST}{desk['held'].pk}/reply/").content.decode()
    assert list(english_left(page.replace("Abbrechen", "Cancel"), "de", desk["content"])) == ["Cancel"]


# --- The bulk actions' counts ---------------------------------------------------------------------

APPROVED_COUNTS = {
    "en": ["1 comment approved.", "2 comments approved.", "5 comments approved."],
    "fr": ["1 commentaire approuvé.", "2 commentaires approuvés.", "5 commentaires approuvés."],
    "de": ["1 Kommentar freigegeben.", "2 Kommentare freigegeben.", "5 Kommentare freigegeben."],
    "es": ["1 comentario aprobado.", "2 comentarios aprobados.", "5 comentarios aprobados."],
    "tr": ["1 yorum onaylandı.", "2 yorum onaylandı.", "5 yorum onaylandı."],
    "zh-hans": ["1 条评论已批准。", "2 条评论已批准。", "5 条评论已批准。"],
}


@pytest.mark.parametrize("language", SHIPPED)
def test_bulk_action_messages_count_with_the_language_s_plural(admin_client, settings, post, language):
    settings.LANGUAGE_CODE = language
    shown = []
    for count in (1, 2, 5):
        held = [make_comment(post, status=Comment.Status.PENDING) for _ in range(count)]
        response = admin_client.post(
            CHANGELIST,
            {"action": "approve", "_selected_action": [comment.pk for comment in held]},
            follow=True,
        )
        messages = [str(message) for message in response.context["messages"]]
        assert len(messages) == 1
        shown.append(messages[0])
    assert shown == APPROVED_COUNTS[language]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Personal data erased from 3 comments by 2 authors."),
        ("fr", "Données personnelles effacées de 3 commentaires de 2 auteurs."),
        ("de", "Personenbezogene Daten aus 3 Kommentaren von 2 Verfassern gelöscht."),
        ("zh-hans", "已删除 3 条评论中的个人数据（2 位作者）。"),
    ],
)
def test_the_eraser_counts_comments_and_authors_each_with_its_plural(
    admin_client, settings, post, language, expected
):
    settings.LANGUAGE_CODE = language
    comments = [
        make_comment(post, email=email) for email in ("a@example.com", "a@example.com", "b@example.com")
    ]
    response = admin_client.post(
        CHANGELIST,
        {"action": "erase_personal_data", "_selected_action": [c.pk for c in comments], "confirm": "yes"},
        follow=True,
    )
    assert [str(message) for message in response.context["messages"]] == [expected]


# --- What the script says ---------------------------------------------------------------------------

SCRIPT = Path(__file__).resolve().parents[2] / "static" / "js" / "admin-queue.js"


def script_words(page):
    block = re.search(r'<script id="queue-words" type="application/json">(.*?)</script>', page, re.S)
    assert block, "the list has no queue-words block"
    return json.loads(block[1])


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_script_s_words_come_translated_in_a_json_block(desk, settings, language):
    settings.LANGUAGE_CODE = language
    page = desk["client"].get(CHANGELIST).content.decode()
    words = script_words(page)
    settings.LANGUAGE_CODE = "en"
    english = script_words(desk["client"].get(CHANGELIST).content.decode())

    # Every word the script has an English fallback for arrives, in the language.
    fallbacks = set(
        re.findall(r"^\s+(\w+): \"", SCRIPT.read_text().split("var words = {", 1)[1].split("};")[0], re.M)
    )
    assert set(words) == fallbacks == set(english)
    assert all(words[name] and words[name] != english[name] for name in words), words
    assert words["failed"].count("%(status)s") == 1
    # A data block, not a script to run: the CSP allows no inline script and none is needed.
    for tag in re.findall(r"<script\b[^>]*>", page):
        assert " src=" in tag or 'type="application/json"' in tag, tag


QUEUE_ANSWERS = {
    # (a step's message, its undo's, the header with none pending, with one)
    "fr": (
        "Commentaire de Zoë approuvé.",
        "Commentaire de Zoë remis en attente.",
        "Aucun commentaire en attente de modération",
        "1 commentaire en attente de modération",
    ),
    "de": (
        "Kommentar von Zoë freigegeben.",
        "Kommentar von Zoë wieder ausstehend.",
        "Keine Kommentare warten auf Freigabe",
        "1 Kommentar wartet auf Freigabe",
    ),
    "es": (
        "Comentario de Zoë aprobado.",
        "Comentario de Zoë de vuelta a pendiente.",
        "No hay comentarios pendientes de moderación",
        "1 comentario pendiente de moderación",
    ),
    "tr": (
        "Zoë kişisinin yorumu onaylandı.",
        "Zoë kişisinin yorumu yeniden beklemede.",
        "Onay bekleyen yorum yok",
        "1 yorum onay bekliyor",
    ),
    "zh-hans": ("Zoë 的评论已批准。", "Zoë 的评论已退回待审核。", "没有等待审核的评论", "1 条评论等待审核"),
}


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_step_from_the_list_and_its_undo_answer_the_script_in_the_language(desk, settings, language):
    settings.LANGUAGE_CODE = language
    held = desk["held"]
    step = desk["client"].post(f"{CHANGELIST}{held.pk}/moderate/approve/", **JSON).json()
    undo = desk["client"].post(f"{CHANGELIST}{held.pk}/undo/", **JSON).json()

    approved, undone, none_pending, one_pending = QUEUE_ANSWERS[language]
    assert (step["message"], step["pending"], step["pending_text"]) == (approved, 0, none_pending)
    assert (undo["message"], undo["pending"], undo["pending_text"]) == (undone, 1, one_pending)
    # The row's new buttons and status, for the script to put in place.
    for answer in (step, undo):
        cells = f"<div>{answer['state_html']}</div><div>{answer['actions_html']}</div>"
        assert english_left(cells, language, desk["content"]) == {}


def test_the_header_count_the_script_shows_is_the_pages_own_plural(desk, settings):
    settings.LANGUAGE_CODE = "fr"
    client = desk["client"]
    spam = desk["spam"]
    answer = client.post(f"{CHANGELIST}{spam.pk}/moderate/not_spam/", **JSON).json()
    assert answer["pending_text"] == "1 commentaire en attente de modération"
    make_comment(desk["held"].post, status=Comment.Status.PENDING)
    answer = client.post(f"{CHANGELIST}{desk['approved'].pk}/moderate/unapprove/", **JSON).json()
    assert answer["pending_text"] == "3 commentaires en attente de modération"
    page = client.get("/admin/").content.decode()
    assert "3 commentaires en attente de modération" in page  # the header says it the same way


# --- Notes stored for moderators ------------------------------------------------------------------


def test_a_commenter_s_deletion_is_noted_in_the_site_language(client, settings, post):
    settings.LANGUAGE_CODE = "fr"
    mine = make_comment(post)
    own(client, mine)

    # A German reader's browser: the note is for the site's moderators, in French.
    client.post(delete_url(mine), {"confirm": "yes"}, HTTP_ACCEPT_LANGUAGE="de")

    mine.refresh_from_db()
    assert mine.moderation_note == "Supprimé par son auteur."
    with translation.override("fr"):
        assert mine.moderation_note == moderation.site_note("Deleted by its commenter.")


# --- The list's script in a French browser ------------------------------------------------------------

PASSWORD = "a moderator's long password"


@pytest.fixture(scope="module")
def french_server(django_db_setup, tmp_path_factory):
    """gunicorn serving the test database with LANGUAGE_CODE=fr."""
    workdir = tmp_path_factory.mktemp("gunicorn-french")
    env = _server_environment(static_root=workdir / "static") | {"LANGUAGE_CODE": "fr"}
    collect_static(env)
    with running_gunicorn(env, workdir / "gunicorn.log") as base_url:
        yield base_url


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_list_s_script_speaks_french_with_the_csp_intact(
    browser, french_server, django_user_model, settings
):
    # gunicorn checks passwords with the real hashers, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    django_user_model.objects.create_superuser("moderator", "mod@example.com", PASSWORD)
    post = make_post(title=TITLE)
    make_comment(post, name=NAMES[1], status=Comment.Status.PENDING)
    held = make_comment(post, name=NAMES[0], status=Comment.Status.PENDING)
    context = browser.new_context(base_url=french_server)
    errors = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
        # A CSP refusal is a console error; failed loads are judged by their responses (as
        # conftest's new_page does: Chromium's own /favicon.ico is not the page's).
        page.on(
            "console",
            lambda message: (
                message.type == "error"
                and not message.text.startswith("Failed to load resource")
                and errors.append(message.text)
            ),
        )
        page.on(
            "response",
            lambda response: (
                response.status >= 400
                and response.request.resource_type != "document"
                and errors.append(f"{response.status} for {response.url}")
            ),
        )
        page.goto(f"/admin/login/?next={CHANGELIST}")
        page.locator("#id_username").fill("moderator")
        page.locator("#id_password").fill(PASSWORD)
        page.locator("input[type=submit]").click()
        expect(page).to_have_title(re.compile(r"^Commentaires \(2 en attente\)"))
        page.wait_for_load_state()  # the list's script (deferred) listens from here
        live = page.locator("#queue-live")
        count = page.locator(".queue-header-count")
        newest = page.locator("#result_list tbody tr", has=page.locator(f"#queue-{held.pk}"))

        newest.get_by_role("button", name="Indésirable", exact=True).click()
        expect(live).to_have_text(f"Commentaire de {NAMES[0]} marqué comme indésirable.Annuler")
        expect(newest.locator(".queue-status")).to_have_text("Indésirable")
        expect(count).to_have_text("1 commentaire en attente de modération")
        live.get_by_role("button", name="Annuler").click()
        expect(live).to_have_text(f"Commentaire de {NAMES[0]} remis en attente.")
        expect(count).to_have_text("2 commentaires en attente de modération")

        newest.get_by_role("link", name="Répondre").click()
        box = page.locator(".queue-reply-row")
        expect(box.locator("label")).to_have_text(
            "Répondre au nom du site (approuve d’abord le commentaire)\u00a0:"
        )
        expect(box.get_by_role("button", name="Annuler")).to_be_visible()
        box.get_by_role("textbox").fill("Merci.")
        box.get_by_role("button", name="Répondre").click()
        expect(live).to_have_text(f"Réponse à {NAMES[0]} publiée. La voir sur le site")
        expect(newest.locator(".queue-status")).to_have_text("Approuvé")
    finally:
        context.close()
    assert errors == []


# --- The posts and archive apps' pages, and the admin's index ------------------------------------

# What the file named, shown as the file said it: post types and statuses ("page", "draft").
FILE_WORDS = ["zyxw", "qvpr"]
# Stored as the import wrote them (the command's operator output, kept with the run): not interface.
WARNING = "Lorem ipsum dolor: sit amet."
ERROR = "Consectetur adipiscing elit."
RUN_COUNTS = {
    "posts_created": 3,
    "posts_existing": 1,
    "posts_with_comments": 2,
    "comments_created": 5,
    "comments_existing": 2,
    "replies": 2,
    "replies_at_name": 1,
    "replies_stated": 1,
    "missing_parents": 1,
    "control_characters_removed": 2,
    "kinds": {"comment": 4, "pingback": 1},
    "statuses": {"approved": 4, "spam": 1},
    "types": {"zyxw": 2, "qvpr": 1},
    # Every kind of reason: named, a file's type, a file's unpublished status.
    "skipped": {"malformed comments": 1, "zyxw items": 3, "qvpr zyxws (not published)": 1},
    "depths": {"1": 3, "2": 2},
    "warnings": 12,  # one kept: "… and 11 more"
}


@pytest.fixture
def archive_desk(admin_client):
    """A post with a tag and comments, a successful import (every summary line) and a failed one,
    with their source records, as a superuser sees them."""
    post = make_post(title=TITLE, body="<p>Lorem.</p>", year=1970)
    tag = Tag.objects.create(name="Lorem")
    post.tags.add(tag)
    top = make_comment(post, name=NAMES[0], email="zoe@example.net", body=BODY.format(1))
    reply = make_comment(post, name=NAMES[1], email="umit@example.net", body=BODY.format(2), parent=top)
    started = timezone.now()
    run = ImportRun.objects.create(
        file_name="lorem.xml",
        format="wxr",
        site="ipsum.example",
        status=ImportRun.Status.SUCCEEDED,
        started_at=started,
        finished_at=started,
        counts=RUN_COUNTS,
        warnings=[WARNING],
    )
    failed = ImportRun.objects.create(
        file_name="dolor.xml",
        format="wxr",
        status=ImportRun.Status.FAILED,
        started_at=started,
        finished_at=started,
        error=ERROR,
    )
    source = PostSource.objects.create(
        post=post,
        run=run,
        site="ipsum.example",
        key="7",
        original_id="7",
        original_url="http://ipsum.example/?p=7",
        post_type="zyxw",
        post_status="qvpr",
        author=NAMES[2],
        extra={"lorem": "ipsum"},
    )
    CommentSource.objects.create(comment=top, run=run, site="ipsum.example", key="7/1", original_id="1")
    # A throttled sign-in: the attempts' list offers our clean-up action.
    AccessAttempt.objects.create(
        username="zyxw",
        ip_address="192.0.2.7",
        user_agent="qvpr",
        path_info="/admin/login/",
        failures_since_start=3,
    )
    inferred = CommentSource.objects.create(
        comment=reply,
        run=run,
        site="ipsum.example",
        key="7/2",
        original_id="2",
        parent_origin=CommentSource.ParentOrigin.AT_NAME,
        inferred_from=f"@{NAMES[0]}",
    )
    content = {
        TITLE,
        *NAMES,
        *(BODY.format(number) for number in range(3)),
        *FILE_WORDS,
        "Lorem",
        "lorem",
        "ipsum",
        "ipsum.example",
        "lorem.xml",
        "dolor.xml",
        "wxr",
        WARNING,
        ERROR,
        "zoe@example.net",
        "umit@example.net",
        "192.0.2.7",
        "moderator",
        "WFLM",
    }
    return {
        "client": admin_client,
        "post": post,
        "tag": tag,
        "run": run,
        "failed": failed,
        "source": source,
        "inferred": inferred,
        "content": content,
    }


def archive_pages(desk):
    """The admin's index, the posts app's pages and the archive app's."""
    post, tag, run, failed = desk["post"], desk["tag"], desk["run"], desk["failed"]
    return {
        "index": "/admin/",
        "posts": "/admin/posts/",
        "post list": "/admin/posts/post/",
        "post list, filtered": "/admin/posts/post/?comments_open__exact=1",
        "post": f"/admin/posts/post/{post.pk}/change/",
        "post, added": "/admin/posts/post/add/",
        "tag list": "/admin/posts/tag/",
        "tag": f"/admin/posts/tag/{tag.pk}/change/",
        "archive": "/admin/archive/",
        "imports": "/admin/archive/importrun/",
        "import": f"/admin/archive/importrun/{run.pk}/change/",
        "import, failed": f"/admin/archive/importrun/{failed.pk}/change/",
        "post sources": "/admin/archive/postsource/",
        "post source": f"/admin/archive/postsource/{desk['source'].pk}/change/",
        "comment sources": "/admin/archive/commentsource/",
        "comment sources, inferred": "/admin/archive/commentsource/?link=inferred",
        "comment source": f"/admin/archive/commentsource/{desk['inferred'].pk}/change/",
        "sign-in attempts": "/admin/axes/accessattempt/",
    }


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_posts_and_archive_pages_have_none_of_our_english_left(archive_desk, settings, language):
    settings.LANGUAGE_CODE = language
    client = archive_desk["client"]
    for name, url in archive_pages(archive_desk).items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert english_left(response.content.decode(), language, archive_desk["content"]) == {}, name
    # The comment sources' actions, and the page that tells what they did.
    changelist = "/admin/archive/commentsource/"
    for action in ("undo_inferred_links", "restore_inferred_links"):
        selected = [archive_desk["inferred"].pk]
        response = client.post(changelist, {"action": action, "_selected_action": selected}, follow=True)
        assert [str(message) for message in response.context["messages"]] != [], action
        assert english_left(response.content.decode(), language, archive_desk["content"]) == {}, action


def test_the_check_finds_our_english_on_the_english_archive_pages(archive_desk, settings):
    settings.LANGUAGE_CODE = "en"
    client = archive_desk["client"]
    seen = set()
    for url in archive_pages(archive_desk).values():
        text = page_text(client.get(url).content.decode(), archive_desk["content"])
        seen |= {fragment for fragment in english_fragments("fr") if fragment in text}
    assert {
        "Archive imports",  # the app, in the index's list and the sidebar
        "Comments open",  # a post's field, a column of the list
        "HTML from the archive; sanitised when shown",  # a help text (its full stop is no word)
        "Posts created",
        "Posts from this import",
        "maximum depth",  # the summary
        "No warnings",
        "Succeeded",
        "Origin of the reply link",
        "Inferred from an @name",
        "Undo the inferred reply links of the selected comments",
        "Clean up expired attempts",
    } <= seen


SUMMARIES = {
    "fr": [
        "articles\u00a0: 3 créés (zyxw 2, qvpr 1), 1 déjà importé\u00a0; 2 avec commentaires",
        "commentaires\u00a0: 4 commentaires, 1 rétrolien, 0 trackback créés\u00a0; 2 déjà importés",
        "statuts\u00a0: approuvés 4, indésirables 1",
        "réponses\u00a0: 2 (2 déduites\u00a0: 1 d’après un @nom, 1 déclarée)\u00a0; profondeur maximale 2",
        "parents absents du fichier\u00a0: 1 (importés au premier niveau)",
        "caractères de contrôle supprimés\u00a0: 2",
        "ignorés\u00a0: éléments zyxw 3, commentaires mal formés 1, éléments zyxw au statut qvpr (non publiés) 1",
    ],
    "zh-hans": [
        "文章：新建 3 篇（zyxw 2，qvpr 1），1 篇此前已导入；2 篇有评论",
        "评论：新建 4 条评论、1 条 Pingback、0 条 Trackback；2 条此前已导入",
        "状态：已批准 4，垃圾评论 1",
        "回复：2 条（2 条为推断：1 条来自 @名字，1 条为人工指定）；最大层级 2",
        "文件中缺少的上级评论：1（已作为顶层导入）",
        "已删除的控制字符：2",
        "已跳过：zyxw 条目 3，格式错误的评论 1，状态为 qvpr 的 zyxw 条目（未发布） 1",
    ],
}


@pytest.mark.parametrize("language", sorted(SUMMARIES))
def test_an_import_s_summary_reads_in_the_language_with_its_plurals(language):
    with translation.override(language):
        assert summary_lines(RUN_COUNTS) == SUMMARIES[language]
        nothing_new = summary_lines({"posts_existing": 1, "posts_with_comments": 1, "comments_existing": 1})
    assert (
        nothing_new
        == {
            "fr": [
                "rien de nouveau\u00a0: tout le contenu du fichier avait déjà été importé",
                "dans le fichier\u00a0: 1 article (1 avec commentaires), 1 commentaire",
            ],
            "zh-hans": [
                "没有新内容：文件中的所有内容此前都已导入",
                "文件中：1 篇文章（1 篇有评论），1 条评论",
            ],
        }[language]
    )


def test_the_import_command_prints_its_summary_in_english_whatever_the_site_s_language(settings, tmp_path):
    settings.LANGUAGE_CODE = "fr"
    path = tmp_path / "export.xml"
    path.write_text(wordpress_com(wxr_item(1, [wxr_comment(1), wxr_comment(2, parent=1)])), encoding="utf-8")
    out = io.StringIO()
    call_command("import_archive", str(path), stdout=out)
    assert "  comments: 2 comments, 0 pingbacks, 0 trackbacks created; 0 already imported" in out.getvalue()
    # The admin shows the same run in the site's language.
    with translation.override("fr"):
        lines = summary_lines(ImportRun.objects.get().counts)
    assert (
        lines[1] == "commentaires\u00a0: 2 commentaires, 0 rétrolien, 0 trackback créés\u00a0; 0 déjà importé"
    )


def test_english_left_on_an_archive_page_or_in_the_sidebar_is_caught(archive_desk, settings):
    settings.LANGUAGE_CODE = "de"
    client = archive_desk["client"]
    page = client.get(f"/admin/archive/importrun/{archive_desk['run'].pk}/change/").content.decode()
    assert english_left(page, "de", archive_desk["content"]) == {}
    english = page.replace("Beiträge aus diesem Import", "Posts from this import")
    assert "Posts from this import" in english_left(english, "de", archive_desk["content"])
    # The sidebar is read too: the app's name there, left in English, is caught.
    page = client.get("/admin/posts/post/").content.decode()
    head, sidebar = page.split('id="nav-sidebar"', 1)
    english = head + 'id="nav-sidebar"' + sidebar.replace("Archivimporte", "Archive imports", 1)
    assert "Archivimporte" in sidebar and "Archivimporte" not in head
    assert english_left(page, "de", archive_desk["content"]) == {}
    assert "Archive imports" in english_left(english, "de", archive_desk["content"])
