"""Language tags: the interface's and the content's (Post.language), as HTML's lang wants them."""

import re

from django.utils.translation import get_language, get_language_bidi

# What a stored language may look like: "fr", "fr-FR", "zh-Hans", "es-419".
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")


def language_tag(code):
    """A tag in its usual case: "zh-hans" -> "zh-Hans", "fr_fr" -> "fr-FR" ("" for nothing valid)."""
    code = (code or "").strip().replace("_", "-")
    if not LANGUAGE_TAG.fullmatch(code):
        return ""
    first, *rest = code.split("-")
    parts = [first.lower()]
    for part in rest:
        if len(part) == 4 and part.isalpha():
            parts.append(part.title())  # a script
        elif len(part) == 2 and part.isalpha() or len(part) == 3 and part.isdigit():
            parts.append(part.upper())  # a region
        else:
            parts.append(part.lower())
    return "-".join(parts)


def differs_from_interface(code):
    """The content's tag when it is not the interface's language (else ""): what lang="…" marks.

    "fr-FR" content in a French interface is French: not marked.
    """
    tag = language_tag(code)
    interface = (get_language() or "").lower()
    if not tag or tag.lower() == interface or tag.lower().startswith(interface + "-"):
        return ""
    return tag


def interface_is_rtl():
    return get_language_bidi()
