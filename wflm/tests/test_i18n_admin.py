"""The moderator's desk in every shipped language: the queue, its confirmation, reply and change
pages, the bulk actions' counts, the script's words, the notes stored for moderators."""

import html
import json
import re
from pathlib import Path

import html5lib
import polib
import pytest
from django.utils import translation
from playwright.sync_api import expect

from comments import moderation
from comments.models import Comment, CommentEdit
from comments.tests.test_own_comment import delete_url, own
from conftest import make_comment, make_post
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
# Not our pages' text: scripts and data blocks; the admin's sidebar of every app (the posts
# app labels its models in posts/models.py); the search box's icon, whose alt="Search" is
# English in Django's own admin/search_form.html.
SKIPPED_TAGS = {"script", "style", "textarea", "noscript"}
SKIPPED_IDS = {"nav-sidebar", "changelist-search"}
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
    for string in sorted(content, key=len, reverse=True):
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
