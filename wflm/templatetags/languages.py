"""{{ code|language_tag }} and {% content_lang post.language %} (wflm/languages.py)."""

from django import template
from django.utils.html import format_html

from wflm import languages

register = template.Library()


@register.filter
def language_tag(code):
    return languages.language_tag(code)


@register.simple_tag
def content_lang(code):
    """lang="…" for content in another language than the interface's; nothing otherwise."""
    tag = languages.differs_from_interface(code)
    return format_html(' lang="{}"', tag) if tag else ""
