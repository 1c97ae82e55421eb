"""Text from old blogs, made storable and faithful.

Comment bodies on wflm are plain text (rendered by
comments.text.plain_text_to_html: escaped, paragraphs, autolinks), so a
comment body that arrives as HTML is turned into the text a reader saw:
paragraphs and line breaks kept, entities decoded, a link's address kept
next to its words, list items, quotes and table rows on their own lines.
The original HTML is kept in the comment's source record when it held
more than text.
"""

import html
import re
import unicodedata
from html.parser import HTMLParser

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
SKIP_CONTENT = frozenset({"script", "style", "head", "title", "template", "noscript", "iframe", "object"})
LINK_SCHEMES = ("http://", "https://", "mailto:")


class _TextBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        # One buffer per open blockquote (its lines get "> " when it closes).
        self.buffers = [[]]
        self.lists = []  # [kind, next number] per open ul/ol
        self.links = []  # [href, buffer index, start offset]
        self.pre = 0
        self.skip = 0
        self.row_cells = []  # cell counts per open table row
        self.lossy = False  # anything beyond text, p, br and a

    # --- output helpers ---------------------------------------------------

    @property
    def out(self):
        return self.buffers[-1]

    def _tail(self, length=2):
        text = "".join(self.out[-4:])
        return text[-length:]

    def _at_line_start(self):
        return not self.out or self._tail(1) == "\n"

    def _break(self, newlines):
        """End the current line (1) or paragraph (2), unless already done."""
        if not self.out:
            return
        tail = self._tail(2)
        have = 2 if tail == "\n\n" else 1 if tail.endswith("\n") else 0
        if newlines > have:
            self.out.append("\n" * (newlines - have))

    def _indent(self):
        return "  " * max(len(self.lists) - 1, 0)

    # --- parser events ----------------------------------------------------

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in SKIP_CONTENT:
            self.skip += 1
            self.lossy = True
            return
        if self.skip:
            return
        if tag not in {"p", "br", "a"}:
            self.lossy = True
        if tag == "br":
            self.out.append("\n")
        elif tag == "blockquote":
            self._break(2)
            self.buffers.append([])
        elif tag == "pre":
            self._break(2)
            self.pre += 1
        elif tag in {"ul", "ol"}:
            self._break(1 if self.lists else 2)
            start = attrs.get("start") or "1"
            self.lists.append([tag, parse_id(start, max_digits=6) or 1])
        elif tag == "li":
            self._break(1)
            marker = "• "
            if self.lists and self.lists[-1][0] == "ol":
                marker = f"{self.lists[-1][1]}. "
                self.lists[-1][1] += 1
            self.out.append(self._indent() + marker)
        elif tag == "tr":
            self._break(1)
            self.row_cells.append(0)
        elif tag in {"td", "th"}:
            if self.row_cells:
                if self.row_cells[-1]:
                    self.out.append(" | ")
                self.row_cells[-1] += 1
        elif tag == "dd":
            self._break(1)
            self.out.append("  ")
        elif tag == "hr":
            self._break(2)
            self.out.append("----")
            self._break(2)
        elif tag == "img":
            alt, src = (attrs.get("alt") or "").strip(), (attrs.get("src") or "").strip()
            label = " ".join(part for part in (alt, src if src.startswith(LINK_SCHEMES) else "") if part)
            if label:
                self.out.append(f"[image: {label}]")
        elif tag == "a":
            href = (attrs.get("href") or "").strip()
            self.links.append([href, len(self.buffers) - 1, len(self.out)])
        elif tag in BLOCK:
            self._break(1 if tag in {"dt", "caption"} else 2)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in {"br", "img", "hr"}:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in SKIP_CONTENT:
            self.skip = max(self.skip - 1, 0)
            return
        if self.skip:
            return
        if tag == "blockquote" and len(self.buffers) > 1:
            quoted = _finish("".join(self.buffers.pop()))
            self._break(2)
            if quoted:
                self.out.append("\n".join(f"> {line}" if line else ">" for line in quoted.split("\n")))
            self._break(2)
        elif tag == "pre":
            self.pre = max(self.pre - 1, 0)
            self._break(2)
        elif tag in {"ul", "ol"}:
            if self.lists:
                self.lists.pop()
            self._break(1 if self.lists else 2)
        elif tag == "tr":
            if self.row_cells:
                self.row_cells.pop()
            self._break(1)
        elif tag == "a" and self.links:
            href, buffer_index, start = self.links.pop()
            if buffer_index == len(self.buffers) - 1 and href.startswith(LINK_SCHEMES):
                words = "".join(self.out[start:]).strip()
                if not words:
                    self.out.append(href)
                elif _same_address(words, href):
                    pass
                else:
                    self.out.append(f" ({href})")
        elif tag in BLOCK:
            self._break(1 if tag in {"li", "dt", "dd", "caption"} else 2)

    def handle_data(self, data):
        if self.skip:
            return
        if not self.pre:
            if not data.strip():
                # Whitespace between tags: indentation of pretty-printed
                # HTML is dropped; a newline between inline elements is a
                # line break, as WordPress shows it.
                newlines = data.count("\n")
                if self._at_line_start() or self.row_cells or self.lists and newlines:
                    return
                data = "\n" * min(newlines, 2) if newlines else " "
            elif self._at_line_start():
                data = data.lstrip(" \t")
            # Indentation at the start of a line is not shown in HTML.
            data = _LINE_INDENT.sub("\n", data).replace("\t", " ")
        self.out.append(data)

    def text(self):
        while len(self.buffers) > 1:
            self.handle_endtag("blockquote")
        return _finish("".join(self.out))


def _same_address(words, href):
    def bare(address):
        address = address.lower().removeprefix("mailto:").rstrip("/")
        return re.sub(r"^https?://(www\.)?", "", address)

    return bare(words) == bare(href) or bare(href).startswith(bare(words).rstrip(".…")) and "…" in words


def _finish(text):
    text = _TRAILING_SPACE.sub("\n", text + "\n")
    return _MANY_NEWLINES.sub("\n\n", text).strip()


def html_to_text(markup):
    """(plain text a reader would have seen, whether anything beyond text was dropped)."""
    if "<" not in markup and "&" not in markup:
        return _finish(_LINE_INDENT.sub("\n", markup)), False
    builder = _TextBuilder()
    builder.feed(markup)
    builder.close()
    return builder.text(), builder.lossy
