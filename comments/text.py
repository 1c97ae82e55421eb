"""Readers' plain text: what may be stored, and how it becomes HTML."""

import re
import unicodedata

import nh3
from django.core.exceptions import ValidationError
from django.utils.html import escape, linebreaks, urlize

# Newline, carriage return (browsers send CRLF; it is normalised before
# storing) and tab are the only control characters a reader may type.
ALLOWED_CONTROL_CHARACTERS = frozenset("\n\r\t")


def reject_control_characters(value):
    """Refuse NUL and other control characters (PostgreSQL refuses NUL in text)."""
    for character in str(value):
        if unicodedata.category(character) == "Cc" and character not in ALLOWED_CONTROL_CHARACTERS:
            raise ValidationError(
                "This field contains a control character (%(code)s) that cannot be stored; please remove it.",
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
                "A name must be on one line; please remove the line break.", code="line_break"
            )
        if character in BIDI_CONTROLS:
            raise ValidationError(
                "This name contains an invisible text-direction character (%(code)s) that can make it "
                "display as something else; please remove it.",
                code="bidi_control",
                params={"code": f"U+{ord(character):04X}"},
            )


def remove_bidi_controls(value):
    """(value without bidi embeddings, overrides and isolates, how many were removed)."""
    cleaned = "".join(character for character in value if character not in BIDI_CONTROLS)
    return cleaned, len(value) - len(cleaned)


def normalise_newlines(text):
    return text.replace("\r\n", "\n").replace("\r", "\n")


# urlize only links words (runs between its separators: whitespace and
# <>"') that hold one of these: its URL and e-mail patterns need them.
_MAY_LINK = re.compile(r"@|http|www\.|\.(?:com|edu|gov|int|mil|net|org)", re.IGNORECASE)
_REST_OF_WORD = re.compile(r"""[^\s<>"']*""")


def _is_separator(character):
    return character.isspace() or character in "<>\"'"


def autolink(text):
    """urlize(text, nofollow=True, autoescape=True), the same output, faster.

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
        parts.append(urlize(text[start:end], nofollow=True, autoescape=True))
    parts.append(escape(text[end:]))
    return "".join(parts)


def plain_text_to_html(text):
    """Escape, keep paragraphs and line breaks, autolink URLs.

    Computed once when a comment is written, not on every page view. nh3
    has the last word: only p, br and a survive, and every link gets
    rel="nofollow ugc noopener".
    """
    html = linebreaks(autolink(normalise_newlines(text)), autoescape=False)
    return nh3.clean(
        html,
        tags={"p", "br", "a"},
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
    )
