"""Whole-page cache for anonymous readers, at near-static speed.

A page is stored under a key that carries the versions the database bumps
on every write (posts/migrations/0003_page_versions.py), so a new approved
reply shows at once and nothing ever needs purging. One small query finds
the version; a hit then costs a cache read and a string replace.

Pages hold per-reader values (the CSRF token, the form's signed
timestamp) only as placeholders; fill_in() swaps in this reader's values
on every response, cached or not, so a cached page never hands one
reader's token to another. A placeholder is random for each render and
never leaves the server, so no content (a comment, an imported post) can
hold one: only the places the template printed it are filled in.

Readers whose page is personal bypass the cache: signed-in users (a
session cookie), readers with a held comment or remembered details
(wflm_pending, wflm_commenter), and any query string other than ?page.
"""

import hashlib
import re
import secrets
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from wflm.ids import parse_id

CSRF_TOKEN = "csrf-token"  # noqa: S105 (a value's name, not a secret)

# Name -> function(request) giving this reader's value.
_per_request_values = {CSRF_TOKEN: get_token}

PERSONAL_COOKIES = ("wflm_pending", "wflm_commenter")
CACHEABLE_PARAMETERS = {"page"}


def per_request_value(name):
    """Register function(request) as the value of the placeholders called name."""

    def register(function):
        _per_request_values[name] = function
        return function

    return register


def placeholder(request, name):
    """The text a template prints where this reader's value `name` goes.

    Made afresh for each request (128 random bits): content cannot
    contain it, so fill_in() replaces exactly what the template printed.
    """
    markers = request.__dict__.setdefault("_wflm_placeholders", {})
    if name not in markers:
        markers[name] = f"wflm-{name}-{secrets.token_hex(16)}"
    return markers[name]


def fill_in(request, response):
    """Replace the placeholders this request's render printed with this reader's values."""
    response.content = _join(request, _split(request, response.content))
    return response


def _split(request, content):
    """[text, name, text, name, ..., text]: one scan, done once per cached page.

    Splits at this request's placeholders only; what is stored holds the
    values' names, never the (one-off) placeholders.
    """
    names = {marker.encode(): name for name, marker in request.__dict__.get("_wflm_placeholders", {}).items()}
    if not names:
        return [content]
    pattern = re.compile(b"|".join(re.escape(marker) for marker in names))
    parts, start = [], 0
    for match in pattern.finditer(content):
        parts += [content[start : match.start()], names[match.group()]]
        start = match.end()
    parts.append(content[start:])
    return parts


def _join(request, parts):
    # Names sit at the odd positions; one copy of the page in all.
    values = {}
    for name in parts[1::2]:
        if name not in values:
            values[name] = _per_request_values[name](request).encode()
    return b"".join(values[part] if index % 2 else part for index, part in enumerate(parts))


def page_number(request):
    """?page= as a page number (1 when absent), or 404 for anything else.

    Read before the cache, so that ?page=a1, ?page=01, ?page=999999 make
    no new cache entries or ETags.
    """
    value = request.GET.get("page")
    if value is None:
        return 1
    number = parse_id(value, max_digits=6)
    if number is None:
        raise Http404("No such page.")
    return number


def is_cacheable(request, parameters=CACHEABLE_PARAMETERS):
    if not settings.PAGE_CACHE_SECONDS or request.method not in ("GET", "HEAD"):
        return False
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or any(name in cookies for name in PERSONAL_COOKIES):
        return False
    return set(request.GET) <= parameters


def cached_page(request, key, last_modified, render, parameters=CACHEABLE_PARAMETERS):
    """The page for key: from the cache, or render() and keep it.

    render() returns an HttpResponse still holding placeholders; only 200
    responses are kept. Conditional GETs matching key get a 304 before any
    cache read.
    """
    # parameters: the query-string names key accounts for (search adds "q").
    if not is_cacheable(request, parameters):
        return personal(fill_in(request, render()))
    # Pages carry absolute URLs (canonical, feeds, sitemap): one entry per
    # origin, so http://localhost never serves links to http://127.0.0.1.
    origin = f"{request.scheme}://{request.get_host()}"
    digest = hashlib.blake2b(f"{origin} {key}".encode(), digest_size=12).hexdigest()
    etag = f'"{digest}"'
    not_modified = get_conditional_response(request, etag=etag, last_modified=_timestamp(last_modified))
    if not_modified is not None:
        return not_modified
    cache_key = f"page:{digest}"
    stored = _recent.get(cache_key) or cache.get(cache_key)
    if stored is None:
        response = render()
        if response.status_code != 200:
            return personal(fill_in(request, response))
        parts = _split(request, response.content)
        if len(response.content) <= settings.PAGE_CACHE_MAX_BYTES:
            stored = (parts, response["Content-Type"])
            cache.set(cache_key, stored, settings.PAGE_CACHE_SECONDS)
            _recent.put(cache_key, stored)
    else:
        parts, content_type = stored
        _recent.put(cache_key, stored)
        response = HttpResponse(content_type=content_type)
    response["ETag"] = etag
    if last_modified:
        response["Last-Modified"] = http_date(_timestamp(last_modified))
    # The page carries this reader's CSRF token: browsers may keep it and
    # revalidate (a 304 is cheap), shared caches must not.
    response["Cache-Control"] = "private, no-cache"
    response.content = _join(request, parts)
    return response


def personal(response):
    """Mark response as for this reader only: no cache may keep it, not even the browser's.

    For pages showing a held comment, remembered details, a signed-in
    user's view, or a form with what the reader typed.
    """
    response["Cache-Control"] = "private, no-store"
    return response


class _RecentPages:
    """The last few pages this process served, in front of Django's cache.

    Keys carry their versions, so an entry is never stale; keeping the page
    in process memory spares a hit the cache's unpickling (a copy of the
    whole page). Bounded by count; the oldest goes first.
    """

    def __init__(self, size):
        self.size = size
        self.pages = OrderedDict()

    def get(self, key):
        page = self.pages.get(key)
        if page is not None:
            self.pages.move_to_end(key)
        return page

    def put(self, key, page):
        self.pages[key] = page
        self.pages.move_to_end(key)
        while len(self.pages) > self.size:
            self.pages.popitem(last=False)

    def clear(self):
        self.pages.clear()


_recent = _RecentPages(size=16)


def _timestamp(moment):
    return int(moment.timestamp()) if moment else None
