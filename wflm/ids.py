"""Numbers a client or a file sends, read as ASCII digits only.

str.isdigit() accepts "²" and "①", which int() then refuses: every id or
count read from a request or an import goes through here instead.
"""

import re

_DIGITS = re.compile(r"[0-9]+")
# A bigint at most: longer ids are not ids (and would overflow the database).
MAX_ID_DIGITS = 18


def is_digits(value):
    """True for a non-empty string of ASCII digits 0-9 only."""
    return isinstance(value, str) and _DIGITS.fullmatch(value) is not None


def parse_id(value, max_digits=MAX_ID_DIGITS):
    """The positive int value names, or None (not ASCII digits, zero, or too long)."""
    if not is_digits(value) or len(value) > max_digits:
        return None
    return int(value) or None
