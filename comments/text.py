"""Readers' plain text: what may be stored, and how it becomes HTML."""

import unicodedata

import nh3
from django.core.exceptions import ValidationError
from django.utils.html import linebreaks, urlize

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


def plain_text_to_html(text):
    """Escape, keep paragraphs and line breaks, autolink URLs.

    Computed once when a comment is written, not on every page view. nh3
    has the last word: only p, br and a survive, and every link gets
    rel="nofollow ugc noopener".
    """
    html = linebreaks(urlize(normalise_newlines(text), nofollow=True, autoescape=True), autoescape=False)
    return nh3.clean(
        html,
        tags={"p", "br", "a"},
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
    )
