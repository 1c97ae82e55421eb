"""The Jinja2 environment of the thread loop: Django's catalogues through Jinja2's i18n extension.

Strings are marked `_("...")` only (no {% trans %} blocks), so that
makemessages, which reads these templates as Django's, finds them too
(`make messages`).
"""

from django.utils.translation import gettext, ngettext
from jinja2 import Environment
from markupsafe import escape

PLACEHOLDER = "%(name)s"


def around_name(text):
    """(before, after): a translated "... %(name)s ..." split once per render, both escaped.

    The loop then puts each comment's (already escaped) name between the
    two halves, in whatever order the language wants, without formatting a
    string per comment. A translation without the placeholder keeps the name
    at the end rather than failing.
    """
    before, _, after = str(text).partition(PLACEHOLDER)
    return escape(before), escape(after)


def environment(**options):
    # options carry autoescape=True (settings.TEMPLATES).
    env = Environment(extensions=["jinja2.ext.i18n"], **options)  # noqa: S701
    # Old-style callables: _() returns the text, escaped by autoescaping where printed.
    env.install_gettext_callables(gettext, ngettext, newstyle=False)
    env.filters["around_name"] = around_name
    return env
