"""A comment's date as the thread shows it, in the interface language.

The thread formats one date per comment (10,000 on a long page), so the
language's format is looked up and split once per render (date_shower),
and English keeps its hand-written formatter: "May 14, 2009 at 10:42 pm",
as blog readers expect it (Django's own English says "p.m.").
Other languages use their DATETIME_FORMAT (wflm/formats/, then Django's):
"14 mai 2009 à 22 h 42", "2009年5月14日 22:42".
"""

from django.utils.dateformat import DateFormat, re_escaped, re_formatchars
from django.utils.dates import MONTHS as MONTHS_TRANSLATED
from django.utils.formats import get_format
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from markupsafe import escape

MONTHS = (None, "January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")  # fmt: skip


def english_date(moment):
    """ "May 14, 2009 at 10:42 pm"."""
    hour = moment.hour % 12 or 12
    meridiem = "am" if moment.hour < 12 else "pm"
    return f"{MONTHS[moment.month]} {moment.day}, {moment.year} at {hour}:{moment.minute:02d} {meridiem}"


# The format characters our languages' DATETIME_FORMATs use, as str.format
# fields ({1}: the month's name): one format call per date, a tenth of
# Django's DateFormat. Any other character falls back to DateFormat.
FAST_CHARACTERS = {
    "j": "{0.day}",
    "d": "{0.day:02d}",
    "n": "{0.month}",
    "m": "{0.month:02d}",
    "F": "{1}",
    "Y": "{0.year}",
    "G": "{0.hour}",
    "H": "{0.hour:02d}",
    "i": "{0.minute:02d}",
}


def date_shower():
    """The function giving a (local) datetime's text in the active language, escaped."""
    if (get_language() or "en").split("-")[0] == "en":
        return english_date
    pieces = []  # format characters and literal text, as Django's Formatter splits them
    for index, piece in enumerate(re_formatchars.split(str(get_format("DATETIME_FORMAT")))):
        if index % 2:
            pieces.append((True, piece))
        elif piece:
            pieces.append((False, re_escaped.sub(r"\1", piece)))
    if all(text in FAST_CHARACTERS for is_char, text in pieces if is_char):
        # Escaped once, here (the thread prints dates with autoescaping off):
        # the text between fields and the month names; numbers need nothing.
        template = "".join(
            FAST_CHARACTERS[text] if is_char else str(escape(text)).replace("{", "{{").replace("}", "}}")
            for is_char, text in pieces
        )
        months = [None, *(str(escape(MONTHS_TRANSLATED[number])) for number in range(1, 13))]

        def show(moment):
            return SafeString(template.format(moment, months[moment.month]))

        return show

    def show_any(moment):
        formatter = DateFormat(moment)
        return escape(
            "".join(str(getattr(formatter, text)()) if is_char else text for is_char, text in pieces)
        )

    return show_any
