"""Tags for what machines read in a page's head: canonical URL, JSON-LD.

Nothing here queries: the post page's JSON-LD is made from the thread the
page has loaded already.
"""

import html
import itertools
import json
import re

from django import template
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.urls import reverse
from django.utils.safestring import mark_safe

from wflm.ids import parse_id
from wflm.languages import language_tag

register = template.Library()

# In a <script> block "</script>" ends the block and "<!--" changes how it
# is parsed; JSON may spell any character as \uXXXX, so these three never
# appear as themselves (as django.utils.html.json_script does).
_SCRIPT_SAFE = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}
_TAG = re.compile(r"<[^>]*>")
COMMENT_TEXT_LENGTH = 300


@register.simple_tag(takes_context=True)
def absolute_url(context, path=""):
    """path made absolute from the request; without path, this page's canonical URL.

    The canonical URL is the path, with ?page=N for a list's later pages and
    no other parameter (?replytocom= and the like are the same page).
    "" where there is no request to build from (a bare error page).
    """
    request = context.get("request")
    if not isinstance(request, HttpRequest):  # None, or "" from an include given no request
        return ""
    if not path:
        path = request.path
        page = parse_id(request.GET.get("page", ""), max_digits=6)
        if page and page > 1:
            path += f"?page={page}"
    try:
        return request.build_absolute_uri(path)
    except DisallowedHost:  # a 400 page for a bad Host header
        return ""


def script_json(data):
    """data as JSON that is safe to print inside a <script> element."""
    return json.dumps(data, ensure_ascii=False).translate(_SCRIPT_SAFE)


def plain_text(body_html, length=COMMENT_TEXT_LENGTH):
    """A comment's stored HTML (p, br and a only) as plain text, cut at length."""
    text = " ".join(html.unescape(_TAG.sub(" ", str(body_html))).split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


# The first comments of the page, not all: search engines read a handful,
# and a 10,000-comment page would otherwise carry its thread twice (time
# and memory: make bench). commentCount still counts them all.
JSON_LD_COMMENTS = 20


@register.simple_tag(takes_context=True)
def blog_posting_json_ld(context, post, thread):
    """The post as a schema.org BlogPosting, with the comments on this page."""
    request = context["request"]
    url = request.build_absolute_uri(post.get_absolute_url())
    # One reverse for every comment's /comments/<id>/ (a thread page may hold thousands).
    comment_prefix = request.build_absolute_uri(reverse("posts:comment", kwargs={"comment_id": 1}))[:-2]
    data = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title,
        "url": url,
        "mainEntityOfPage": url,
        "datePublished": post.published_at.isoformat(),
        "dateModified": post.updated_at.isoformat(),
        "description": post.excerpt_text,
        "commentCount": thread.approved_count,
        "comment": [
            {
                "@type": "Comment",
                "author": {"@type": "Person", "name": comment.name.unescape()},
                "datePublished": comment.created_at.isoformat(),
                "text": plain_text(comment.body_html),
                "url": f"{comment_prefix}{comment.pk}/",
            }
            for comment in itertools.islice((c for c in thread if c.is_approved), JSON_LD_COMMENTS)
        ],
    }
    # The content's own language (Post.language), else the site's.
    data["inLanguage"] = language_tag(post.language) or language_tag(settings.LANGUAGE_CODE)
    if post.artist and post.album:
        data["about"] = {
            "@type": "MusicAlbum",
            "name": post.album,
            "byArtist": {"@type": "MusicGroup", "name": post.artist},
        }
    return mark_safe(f'<script type="application/ld+json">{script_json(data)}</script>')  # noqa: S308 (script_json escapes)


@register.simple_tag
def post_url(name, post):
    """reverse(name) for one of a post's addresses (its feed, its comments.json)."""
    return reverse(name, kwargs=post.permalink_kwargs())
