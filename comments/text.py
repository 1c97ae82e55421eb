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
