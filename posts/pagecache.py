"""Whole-page cache for anonymous readers, at near-static speed.

A page is stored under a key that carries the versions the database bumps
on every write (posts/migrations/0003_page_versions.py, 0010), so a new
approved reply shows at once and nothing ever needs purging. One small
query finds the version (none, for a post page whose stamp this process
remembers: posts/stamps.py); a hit then costs a cache read.

An anonymous page is the same bytes for every reader: no CSRF token, no
per-reader form value (wflm/same_origin.py says why none is needed), so
what is stored is served as it is, and any shared HTTP cache in front (a
CDN, nginx's proxy_cache) may keep it too: anonymous pages say so in
their Cache-Control (public, s-maxage, stale-while-revalidate), with a
strong ETag from the key.

Readers whose page is personal bypass the cache: signed-in users (a
session cookie), readers with a held comment or remembered details
(wflm_pending, wflm_commenter), and any query string other than ?page.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import get_language

from wflm import release
from wflm.ids import parse_id
from wflm.process_memory import ProcessMemory

# wflm_own: comments/edit_window.py (the reader's own comments show "Edit").
# wflm_primary: a client that just wrote (wflm/replicas.py) gets pages made
# after its write, never a copy kept from before it.
PERSONAL_COOKIES = ("wflm_pending", "wflm_commenter", "wflm_own", "wflm_primary")
CACHEABLE_PARAMETERS = {"page"}


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

    render() returns a rendered HttpResponse; only 200 responses are kept.
    Conditional GETs matching key get a 304 before any cache read.
    """
    # parameters: the query-string names key accounts for (search adds "q").
    if not is_cacheable(request, parameters):
        return personal(render())
    # Pages carry absolute URLs (canonical, feeds, sitemap): one entry per
    # origin, so http://localhost never serves links to http://127.0.0.1.
    origin = f"{request.scheme}://{request.get_host()}"
    # One entry per interface language too: LANGUAGE_FROM_BROWSER gives readers
    # theirs, and a shared cache outlives a change of LANGUAGE_CODE.
    # And one per release: a page kept by a shared cache never outlives the
    # code, templates and settings it was made with (wflm/release.py).
    digest = hashlib.blake2b(
        f"{origin} {get_language()} {release.fingerprint()} {key}".encode(), digest_size=12
    ).hexdigest()
    etag = f'"{digest}"'
    not_modified = get_conditional_response(request, etag=etag, last_modified=_timestamp(last_modified))
    if not_modified is not None:
        return shared(not_modified, etag, last_modified)
    cache_key = f"page:{digest}"
    stored = _recent.get(cache_key) or cache.get(cache_key)
    if stored is None:
        response = render()
        if response.status_code != 200:
            return personal(response)
        if len(response.content) <= settings.PAGE_CACHE_MAX_BYTES:
            stored = (response.content, response["Content-Type"])
            cache.set(cache_key, stored, settings.PAGE_CACHE_SECONDS)
            _recent.put(cache_key, stored)
    else:
        content, content_type = stored
        _recent.put(cache_key, stored)
        response = HttpResponse(content, content_type=content_type)
    return shared(response, etag, last_modified)


def shared(response, etag, last_modified):
    """Mark an anonymous page as the same for everyone, for any HTTP cache to keep.

    Browsers revalidate every time by default (HTTP_CACHE_MAX_AGE=0; a 304
    is cheap), so a commenter back on the page sees their reply; shared
    caches keep it HTTP_CACHE_SHARED_SECONDS (micro-caching: a change shows
    through them within that) and may serve it stale while they fetch the
    new one. Nothing in it varies but its encoding, and its language when
    readers' browsers choose it (LANGUAGE_FROM_BROWSER).
    """
    response["ETag"] = etag
    if last_modified:
        response["Last-Modified"] = http_date(_timestamp(last_modified))
    response["Cache-Control"] = (
        f"public, max-age={settings.HTTP_CACHE_MAX_AGE}, s-maxage={settings.HTTP_CACHE_SHARED_SECONDS}, "
        f"stale-while-revalidate={settings.HTTP_CACHE_STALE_SECONDS}"
    )
    response["Vary"] = (
        "Accept-Encoding, Accept-Language" if settings.LANGUAGE_FROM_BROWSER else "Accept-Encoding"
    )
    return response


def personal(response):
    """Mark response as for this reader only: no cache may keep it, not even the browser's.

    For pages showing a held comment, remembered details, a signed-in
    user's view, or a form with what the reader typed.
    """
    response["Cache-Control"] = "private, no-store"
    return response


# The last few pages this process served, in front of Django's cache. Keys
# carry their versions, so an entry is never stale; keeping the page in
# process memory spares a hit the cache's unpickling (a copy of the page).
_recent = ProcessMemory(size=16)


def _timestamp(moment):
    return int(moment.timestamp()) if moment else None
