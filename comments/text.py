"""Readers' text: what may be stored, and how it becomes HTML."""

import html
import re
import unicodedata

import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.html import Urlizer, escape, linebreaks
from django.utils.translation import gettext

# Newline, carriage return (browsers send CRLF; it is normalised before
# storing) and tab are the only control characters a reader may type.
ALLOWED_CONTROL_CHARACTERS = frozenset("\n\r\t")


def reject_control_characters(value):
    """Refuse NUL and other control characters (PostgreSQL refuses NUL in text)."""
    for character in str(value):
        if unicodedata.category(character) == "Cc" and character not in ALLOWED_CONTROL_CHARACTERS:
            raise ValidationError(
                gettext(
                    "This field contains a control character (%(code)s) that cannot be stored; please remove it."
                ),
                code="control_character",
                params={"code": f"U+{ord(character):04X}"},
            )


# Line breaks in a one-line value forge lines (in notification emails, in
# the admin); bidi embeddings, overrides and isolates make "\u202enimda"
# display as "admin". Both are refused in names.
LINE_BREAKS = frozenset("\r\n\u2028\u2029\x85\x0b\x0c")
BIDI_CONTROLS = frozenset(chr(code) for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def reject_line_breaks_and_bidi_controls(value):
    """Refuse a one-line value (a name) holding a line break or a bidi control."""
    for character in str(value):
        if character in LINE_BREAKS:
            raise ValidationError(
                gettext("A name must be on one line; please remove the line break."), code="line_break"
            )
        if character in BIDI_CONTROLS:
            raise ValidationError(
                gettext(
                    "This name contains an invisible text-direction character (%(code)s) that can make it "
                    "display as something else; please remove it."
                ),
                code="bidi_control",
                params={"code": f"U+{ord(character):04X}"},
            )


def remove_bidi_controls(value):
    """(value without bidi embeddings, overrides and isolates, how many were removed)."""
    cleaned = "".join(character for character in value if character not in BIDI_CONTROLS)
    return cleaned, len(value) - len(cleaned)


def normalise_newlines(text):
    return text.replace("\r\n", "\n").replace("\r", "\n")


class _Urlizer(Urlizer):
    """Django's urlize with the trailing punctuation kept.

    Django 5.2's trim_punctuation sets `trail = middle[-strip:]` when it
    strips an unbalanced closing bracket, which throws away the punctuation
    trimmed before it: "(http://a.example/x)," loses the comma, "x]." the
    full stop. Here the bracket is prepended to the trail instead. (The
    rest of the method is Django's.)
    """

    def trim_punctuation(self, word):
        middle = word.lstrip(self.wrapping_punctuation_openings)
        lead = word[: len(word) - len(middle)]
        trail = ""
        # Counted once (a word of 10,000 brackets stays linear), kept current.
        counts = {
            character: middle.count(character) for pair in self.wrapping_punctuation for character in pair
        }
        trimmed_something = True
        while trimmed_something and middle:
            trimmed_something = False
            for opening, closing in self.wrapping_punctuation:
                excess = counts[closing] - counts[opening]
                if excess > 0 and middle.endswith(closing):
                    strip = min(excess, len(middle) - len(middle.rstrip(closing)))
                    trail = middle[-strip:] + trail
                    middle = middle[:-strip]
                    counts[closing] -= strip
                    trimmed_something = True
            amp = middle.rfind("&")
            if amp == -1:
                rstripped = middle.rstrip(self.trailing_punctuation_chars)
            else:
                rstripped = middle.rstrip(self.trailing_punctuation_chars_no_semicolon)
            if rstripped != middle:
                trail = middle[len(rstripped) :] + trail
                middle = rstripped
                trimmed_something = True
            if self.trailing_punctuation_chars_has_semicolon and middle.endswith(";"):
                # Only strip if not part of an HTML entity.
                potential_entity = middle[amp:]
                escaped = html.unescape(potential_entity)
                if escaped == potential_entity or escaped.endswith(";"):
                    rstripped = middle.rstrip(self.trailing_punctuation_chars)
                    trail_start = len(rstripped)
                    amount_trailing_semicolons = len(middle) - len(middle.rstrip(";"))
                    if amp > -1 and amount_trailing_semicolons > 1:
                        # Leave up to most recent semicolon as might be an entity.
                        recent_semicolon = middle[trail_start:].index(";")
                        middle_semicolon_index = recent_semicolon + trail_start + 1
                        trail = middle[middle_semicolon_index:] + trail
                        middle = rstripped + middle[trail_start:middle_semicolon_index]
                    else:
                        trail = middle[trail_start:] + trail
                        middle = rstripped
                    trimmed_something = True
        return lead, middle, trail


_urlizer = _Urlizer()


def urlize(text):
    """urlize(text, nofollow=True, autoescape=True), keeping punctuation after a link."""
    return _urlizer(text, nofollow=True, autoescape=True)


# urlize only links words (runs between its separators: whitespace and
# <>"') that hold one of these: its URL and e-mail patterns need them.
_MAY_LINK = re.compile(r"@|http|www\.|\.(?:com|edu|gov|int|mil|net|org)", re.IGNORECASE)
_REST_OF_WORD = re.compile(r"""[^\s<>"']*""")


def _is_separator(character):
    return character.isspace() or character in "<>\"'"


def autolink(text):
    """urlize(text), the same output, faster.

    urlize handles each word in Python (about 1 ms for a long comment);
    an archive import renders 100,000 bodies, so only the words that may
    be links go through it and the text between them is simply escaped.
    """
    parts, end = [], 0
    for match in _MAY_LINK.finditer(text):
        if match.start() < end:
            continue  # a second marker in a word already handled
        start = match.start()
        while start > end and not _is_separator(text[start - 1]):
            start -= 1
        parts.append(escape(text[end:start]))
        end = _REST_OF_WORD.match(text, match.end()).end()
        parts.append(urlize(text[start:end]))
    parts.append(escape(text[end:]))
    return "".join(parts)


# --- Comment formatting -------------------------------------------------
#
# The tags WordPress allows in comments ($allowedtags), plus the paragraph,
# line-break, preformatted and list tags its comment filters keep: each
# with the only attributes it may carry.
ALLOWED_TAGS = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "acronym": {"title"},
    "b": set(),
    "blockquote": {"cite"},
    "cite": set(),
    "code": set(),
    "del": {"datetime"},
    "em": set(),
    "i": set(),
    "q": {"cite"},
    "s": set(),
    "strike": set(),
    "strong": set(),
    "p": set(),
    "br": set(),
    "pre": set(),
    "ul": set(),
    "ol": {"start"},
    "li": set(),
}
# What the comment form says it accepts.
ALLOWED_TAGS_HELP = " ".join(
    "<" + "".join([tag, *(f' {name}=""' for name in sorted(attributes))]) + ">"
    for tag, attributes in ALLOWED_TAGS.items()
)
URL_ATTRIBUTES = frozenset({"href", "cite"})
URL_SCHEMES = ("http://", "https://", "mailto:")
BLOCK_TAGS = frozenset({"p", "blockquote", "pre", "ul", "ol", "li"})
# Deeper nesting than this is not formatting but an attack (or a broken
# editor): further opening tags are dropped, their text kept.
MAX_NESTING = 20
# An ordered list's start: a plain number, as HTML reads it.
_LIST_START = re.compile(r"[0-9]{1,6}")

_TAG_NAMES = "|".join(sorted(ALLOWED_TAGS, key=len, reverse=True))
# One allowed tag, with well-formed attributes (no <, > or stray quotes),
# so what it means here is what a browser's parser reads.
ALLOWED_TAG = re.compile(
    rf"""<(/?)({_TAG_NAMES})((?:\s+[a-z][a-z-]*(?:\s*=\s*(?:"[^"<>]*"|'[^'<>]*'|[^\s"'<>=`]+))?)*)\s*/?>""",
    re.IGNORECASE,
)
_ATTRIBUTE = re.compile(
    r"""([a-z][a-z-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>=`]+)))?""", re.IGNORECASE
)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")


def has_formatting(text):
    """Whether text uses one of the allowed tags: then it is read as HTML, else as plain text."""
    return ALLOWED_TAG.search(text) is not None


def _attribute_filter(tag, name, value):
    """nh3's last check of each attribute it lets through."""
    if name in URL_ATTRIBUTES:
        return value if value.strip().lower().startswith(URL_SCHEMES) else None
    if name == "start":
        return value if _LIST_START.fullmatch(value) else None
    return value


def _sanitise(markup):
    """nh3 has the last word: the allow-list, http(s)/mailto links only, rel on every link."""
    return nh3.clean(
        markup,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ALLOWED_TAGS.items() if names},
        attribute_filter=_attribute_filter,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
        strip_comments=True,
    )


def plain_text_to_html(text):
    """Escape, keep paragraphs and line breaks, autolink URLs."""
    return _sanitise(linebreaks(autolink(normalise_newlines(text)), autoescape=False))


def _tag(closing, name, attributes):
    """An allowed tag written back with only its allowed, escaped attributes."""
    if closing:
        return f"</{name}>"
    allowed = ALLOWED_TAGS[name]
    kept = []
    for match in _ATTRIBUTE.finditer(attributes):
        attribute = match.group(1).lower()
        if attribute in allowed:
            value = next((group for group in match.groups()[1:] if group is not None), "")
            kept.append(f' {attribute}="{escape(html.unescape(value))}"')
    return f"<{name}{''.join(kept)}>"


class _Formatter:
    """Comment HTML (allowed tags among text) as WordPress shows it.

    Text between the allowed tags is HTML text: entities are decoded and
    everything is escaped again, so any other tag shows as typed. Outside
    <pre>, a blank line starts a paragraph and a newline is a line break
    (WordPress's wpautop); bare URLs are linked, except inside a link.
    One pass over the tokens: linear in the size of the text.
    """

    def __init__(self):
        self.out = []
        self.open = []  # allowed tags opened and not yet closed
        self.dropped = {}  # tag -> opening tags dropped for depth
        self.paragraph = False  # a <p> we opened

    def _in(self, name):
        return name in self.open

    def _wants_paragraph(self):
        # Our own paragraphs go at the top level and directly in a quote.
        return not self.open or self.open[-1] == "blockquote"

    def _end_paragraph(self):
        if self.paragraph:
            self.out.append("</p>")
            self.paragraph = False

    def _inline(self):
        if not self.paragraph and self._wants_paragraph():
            self.out.append("<p>")
            self.paragraph = True

    def text(self, chunk):
        chunk = html.unescape(chunk)
        if self._in("pre"):
            self.out.append(escape(chunk))
            return
        if not self.paragraph and not chunk.strip():
            return  # between blocks
        link = self._in("a")
        for number, part in enumerate(_PARAGRAPH_BREAK.split(chunk)):
            if number:
                if self.paragraph:
                    self.out.append("</p>")
                    self.paragraph = False
                else:
                    self.out.append("<br><br>")
            if not part.strip() and not self.paragraph:
                continue
            if not self.paragraph:
                part = part.lstrip()
            self._inline()
            rendered = escape(part) if link else autolink(part)
            self.out.append(rendered.replace("\n", "<br>\n"))

    def tag(self, closing, name, attributes):
        if name == "br":
            self._inline()
            self.out.append("<br>")
            return
        if closing:
            if self.dropped.get(name):
                self.dropped[name] -= 1
                return
            if name not in self.open:
                return  # a stray closing tag
            if name in BLOCK_TAGS:
                self._end_paragraph()
            while self.open:
                top = self.open.pop()
                self.out.append(f"</{top}>")
                if top == name:
                    break
            return
        if len(self.open) >= MAX_NESTING:
            self.dropped[name] = self.dropped.get(name, 0) + 1
            return
        if name in BLOCK_TAGS:
            self._end_paragraph()
        else:
            self._inline()
        self.open.append(name)
        self.out.append(_tag(closing, name, attributes))

    def html(self):
        self._end_paragraph()
        self.out.extend(f"</{name}>" for name in reversed(self.open))
        return "".join(self.out)


def formatted_to_html(text):
    formatter = _Formatter()
    end = 0
    for match in ALLOWED_TAG.finditer(text):
        if match.start() > end:
            formatter.text(text[end : match.start()])
        formatter.tag(bool(match.group(1)), match.group(2).lower(), match.group(3))
        end = match.end()
    if end < len(text):
        formatter.text(text[end:])
    return _sanitise(formatter.html())


def comment_to_html(body):
    """A comment's body_html, computed once when the comment is written.

    Plain text (no allowed tag in it) is escaped, with paragraphs, line
    breaks and links, exactly as it was typed; text using the allowed tags
    keeps that formatting and nothing else (see ALLOWED_TAGS). A body
    longer than IMPORT_MAX_BODY_CHARS (only an import can bring one) is
    shown cut at that length.
    """
    body = normalise_newlines(body)
    limit = settings.IMPORT_MAX_BODY_CHARS
    cut = len(body) > limit
    if cut:
        body = body[:limit]
    rendered = formatted_to_html(body) if has_formatting(body) else plain_text_to_html(body)
    if cut:
        rendered += "<p>[…]</p>"
    return rendered
