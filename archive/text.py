"""Text from old blogs, made storable and faithful.

A comment body on wflm is plain text or text with the few tags
WordPress allows in comments (comments.text.ALLOWED_TAGS), rendered by
comments.text.comment_to_html. A comment body that arrives as HTML keeps
that formatting (emphasis, quotes, code, lists, links) and nothing else:
other tags become line breaks (blocks, table rows) or go (inline), images
and embedded media (<object>, <embed>, <iframe>, <video>, <audio>) are
kept as their address ("[image: …]", "[video: https://www.youtube.com/
watch?v=…]"), scripts and styles go. When no formatting survives, the
body is the plain text a reader saw, entities decoded. The original HTML
is kept in the comment's source record whenever something was reduced.
"""

import collections
import html
import re
import unicodedata
from html.parser import HTMLParser

from comments.text import ALLOWED_TAGS, MAX_NESTING, has_formatting
from wflm.ids import parse_id

KEEP_CONTROL = frozenset("\n\t")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t\u00a0]+\n")
_LINE_INDENT = re.compile(r"\n[ \t]+")


def normalise_newlines(text):
    return text.replace("\r\n", "\n").replace("\r", "\n")


def remove_control_characters(text):
    """(text without control characters other than newline and tab, how many were removed).

    CR is normalised to a newline first, so it is not counted.
    """
    text = normalise_newlines(text)
    cleaned, removed = _CONTROL.subn("", text)
    if removed:
        # Unicode's other Cc characters are all in the ranges above; this
        # keeps the two definitions (ours, comments.text's) in step.
        assert not any(unicodedata.category(c) == "Cc" and c not in KEEP_CONTROL for c in cleaned)
    return cleaned, removed


def unescape_repeatedly(text, limit=5):
    """Decode HTML entities until nothing changes: titles escaped twice or
    three times ("&amp;amp;#8220;") come out as the character."""
    for _ in range(limit):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


BLOCK = frozenset(
    [
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "address",
        "article",
        "aside",
        "section",
        "header",
        "footer",
        "nav",
        "main",
        "figure",
        "figcaption",
        "form",
        "fieldset",
        "table",
        "caption",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "dl",
        "dt",
        "dd",
        "ul",
        "ol",
        "li",
        "hr",
        "center",
    ]
)
SKIP_CONTENT = frozenset({"script", "style", "head", "title", "template", "noscript"})
# Embedded media: kept as a link to what was embedded.
MEDIA_CONTAINERS = frozenset({"object", "video", "audio", "iframe"})
MEDIA_SOURCES = frozenset({"embed", "source", "param"})
LINK_SCHEMES = ("http://", "https://", "mailto:")
# Allowed tags kept as tags (p and br become blank lines and newlines,
# which the renderer turns back into paragraphs and line breaks).
KEPT = frozenset(ALLOWED_TAGS) - {"p", "br", "a"}
KEPT_BLOCKS = frozenset({"blockquote", "pre", "ul", "ol", "li"})
_YOUTUBE = re.compile(
    r"^(?:https?:)?//(?:www\.|m\.)?youtube(?:-nocookie)?\.com/(?:v|embed)/([A-Za-z0-9_-]{6,20})",
    re.IGNORECASE,
)
_VIDEO_HOSTS = re.compile(r"^https?://(?:[a-z0-9-]+\.)*(?:youtube|youtu|vimeo|dailymotion)\.", re.IGNORECASE)


def media_address(value):
    """An embedded media address as a link a reader can follow: an old
    YouTube player URL (/v/ID, /embed/ID) as its watch page; None when not http(s)."""
    value = html.unescape(value or "").strip()
    youtube = _YOUTUBE.match(value)
    if youtube:
        return f"https://www.youtube.com/watch?v={youtube.group(1)}"
    if value.startswith("//"):
        value = "https:" + value
    return value if value.lower().startswith(("http://", "https://")) else None


def _escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _unescape(text):
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class _Tag(str):
    """A tag in the output (the rest is escaped text)."""


class _BodyBuilder(HTMLParser):
    """One pass over the HTML: linear in its size, whatever its nesting."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = []
        self.open = []  # kept tags open, innermost last
        self.dropped = collections.Counter()  # kept tags not opened (too deep)
        self.links = []  # (href or None, output index) per open <a>
        self.skip = 0  # inside script, style, ...
        self.media = []  # [kind, [addresses]] per open media container
        self.pre = 0
        self.row_cells = []  # cell counts per open table row
        self.formatted = False  # a kept tag or link in the output
        self.reduced = set()  # what was dropped or turned into a link

    # --- output helpers ---------------------------------------------------

    def _tail(self, length=2):
        text = "".join(self.out[-4:])
        return text[-length:]

    def _at_line_start(self):
        return not self.out or self._tail(1) == "\n" or self._after_block()

    def _after_block(self):
        return bool(self.out) and isinstance(self.out[-1], _Tag) and self.out[-1].block

    def _break(self, newlines):
        """End the current line (1) or paragraph (2), unless already done."""
        if not self.out or self._after_block():
            return
        tail = self._tail(2)
        have = 2 if tail == "\n\n" else 1 if tail.endswith("\n") else 0
        if newlines > have:
            self.out.append("\n" * (newlines - have))

    def _emit_tag(self, text, block=False):
        if block and not self.pre:
            # Whitespace next to a block tag is not shown.
            while self.out and not isinstance(self.out[-1], _Tag) and not self.out[-1].strip():
                self.out.pop()
            if self.out and not isinstance(self.out[-1], _Tag):
                self.out[-1] = self.out[-1].rstrip()
        tag = _Tag(text)
        tag.block = block
        self.out.append(tag)
        self.formatted = True

    def _media_link(self, kind, address):
        if self.media:
            if address not in self.media[-1][1]:
                self.media[-1][1].append(address)
            return
        # On a line of its own, so the address is linked alone.
        self._break(1)
        self._emit_text(f"[{kind}: {address}]")
        self.out.append("\n")

    def _emit_text(self, text):
        self.out.append(_escape(text))

    # --- parser events ----------------------------------------------------

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag in SKIP_CONTENT:
            self.skip += 1
            self.reduced.add(tag)
            return
        if self.skip:
            return
        if tag in MEDIA_CONTAINERS or tag in MEDIA_SOURCES:
            self._media_start(tag, attrs)
            return
        if self.media:
            return  # fallback content inside an embed
        if tag == "br":
            self.out.append("\n")
        elif tag == "a":
            href = attrs.get("href", "").strip()
            if not href.lower().startswith(LINK_SCHEMES):
                if href:
                    self.reduced.add("a href")
                href = None
            self.links.append((href, len(self.out)))
            if href:
                self._emit_tag(f'<a href="{html.escape(href)}"' + _title(attrs) + ">")
        elif tag in KEPT:
            self._open_kept(tag, attrs)
        elif tag == "tr":
            self.reduced.add(tag)
            self._break(1)
            self.row_cells.append(0)
        elif tag in {"td", "th"}:
            self.reduced.add(tag)
            if self.row_cells:
                if self.row_cells[-1]:
                    self.out.append(" | ")
                self.row_cells[-1] += 1
        elif tag == "dd":
            self.reduced.add(tag)
            self._break(1)
            self.out.append("  ")
        elif tag == "hr":
            self.reduced.add(tag)
            self._break(2)
            self.out.append("----")
            self._break(2)
        elif tag == "img":
            self.reduced.add(tag)
            alt, src = attrs.get("alt", "").strip(), attrs.get("src", "").strip()
            label = " ".join(part for part in (alt, src if src.startswith(LINK_SCHEMES) else "") if part)
            if label:
                self._emit_text(f"[image: {label}]")
        elif tag in BLOCK:
            if tag != "p":
                self.reduced.add(tag)
            self._break(1 if tag in {"dt", "caption"} else 2)
        else:
            self.reduced.add(tag)

    def _open_kept(self, tag, attrs):
        if len(self.open) >= MAX_NESTING:
            self.dropped[tag] += 1
            self.reduced.add(f"{tag} nested more than {MAX_NESTING} deep")
            return
        if tag in {"pre", "blockquote", "ul", "ol"} and self.out and not self._after_block():
            self._break(2)
        kept = ""
        for name in sorted(ALLOWED_TAGS[tag]):
            value = attrs.get(name, "").strip()
            if name == "start":
                value = str(parse_id(value, max_digits=6) or "") if value else ""
            elif name == "cite" and not value.lower().startswith(LINK_SCHEMES):
                value = ""
            if value:
                kept += f' {name}="{html.escape(value)}"'
        self.open.append(tag)
        if tag == "pre":
            self.pre += 1
        self._emit_tag(f"<{tag}{kept}>", block=tag in KEPT_BLOCKS)

    def _close_kept(self, tag):
        if self.dropped[tag]:
            self.dropped[tag] -= 1
            return
        if tag not in self.open:
            return
        while self.open:
            top = self.open.pop()
            if top == "pre":
                self.pre -= 1
            self._emit_tag(f"</{top}>", block=top in KEPT_BLOCKS)
            if top == tag:
                break

    def _media_start(self, tag, attrs):
        self.reduced.add(tag)
        if tag == "param":
            if self.media and attrs.get("name", "").lower() in {"movie", "src", "url", "filename"}:
                address = media_address(attrs.get("value"))
                if address:
                    self._media_link(self.media[-1][0], address)
            return
        kind = "audio" if tag == "audio" else "video"
        address = media_address(attrs.get("src") or attrs.get("data"))
        if tag == "iframe" and address and not _VIDEO_HOSTS.match(address) and "watch?v=" not in address:
            kind = "embed"
        if tag in MEDIA_CONTAINERS:
            self.media.append([kind, [address] if address else []])
        elif address:
            self._media_link(self.media[-1][0] if self.media else kind, address)

    def _media_end(self, tag):
        if tag in MEDIA_CONTAINERS and self.media:
            kind, addresses = self.media.pop()
            for address in addresses:
                self._media_link(kind, address)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in {"br", "img", "hr", "embed", "source", "param"}:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in SKIP_CONTENT:
            self.skip = max(self.skip - 1, 0)
            return
        if self.skip:
            return
        if tag in MEDIA_CONTAINERS:
            self._media_end(tag)
            return
        if self.media:
            return
        if tag == "a" and self.links:
            href, start = self.links.pop()
            if href:
                words = "".join(self.out[start + 1 :]).strip()
                if not words or _same_address(_unescape(words), href):
                    # The address itself: plain text, linked when shown.
                    del self.out[start:]
                    self._emit_text(href if not words else _unescape(words))
                else:
                    self._emit_tag("</a>")
        elif tag in KEPT:
            self._close_kept(tag)
        elif tag == "tr":
            if self.row_cells:
                self.row_cells.pop()
            self._break(1)
        elif tag in BLOCK:
            self._break(1 if tag in {"li", "dt", "dd", "caption"} else 2)

    def handle_data(self, data):
        if self.skip or self.media:
            return
        if not self.pre:
            if not data.strip():
                # Whitespace between tags: indentation of pretty-printed
                # HTML is dropped; a newline between inline elements is a
                # line break, as WordPress shows it.
                newlines = data.count("\n")
                if self._at_line_start() or self.row_cells or self.open and newlines:
                    return
                data = "\n" * min(newlines, 2) if newlines else " "
            elif self._at_line_start():
                data = data.lstrip(" \t\n")
            # Indentation at the start of a line is not shown in HTML.
            data = _LINE_INDENT.sub("\n", data).replace("\t", " ")
        self._emit_text(data)

    def body(self):
        while self.media:
            self._media_end("object")
        while self.links:
            self.handle_endtag("a")
        while self.open:
            self._close_kept(self.open[-1])
        markup = _finish("".join(self.out))
        if self.formatted:
            return markup
        text = _unescape(markup)
        # Plain text that reads as formatting ("&lt;em&gt;" in the source)
        # stays escaped, in a paragraph, so it shows as it did.
        return f"<p>{markup}</p>" if has_formatting(text) else text


def _title(attrs):
    title = attrs.get("title", "").strip()
    return f' title="{html.escape(title)}"' if title else ""


def _same_address(words, href):
    def bare(address):
        address = address.lower().removeprefix("mailto:").rstrip("/")
        return re.sub(r"^https?://(www\.)?", "", address)

    return bare(words) == bare(href) or bare(href).startswith(bare(words).rstrip(".…")) and "…" in words


def _finish(text):
    text = _TRAILING_SPACE.sub("\n", text + "\n")
    return _MANY_NEWLINES.sub("\n\n", text).strip()


def convert_html(markup):
    """(body, what was reduced: a sorted list of tag names, empty when nothing)."""
    if "<" not in markup and "&" not in markup:
        return _finish(_LINE_INDENT.sub("\n", markup)), []
    builder = _BodyBuilder()
    builder.feed(markup)
    builder.close()
    body = builder.body()
    reduced = sorted(builder.reduced)
    if not body and markup.strip():
        # Never an empty body from a non-empty source: say what it held.
        reduced = reduced or ["markup"]
        body = f"[removed: {', '.join(reduced)}]"
    return body, reduced


def html_to_text(markup):
    """(the comment body to store, whether anything in the HTML was reduced)."""
    body, reduced = convert_html(markup)
    return body, bool(reduced)
