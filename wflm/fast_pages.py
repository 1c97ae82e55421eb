"""Anonymous pages answered again in front of Django, from this process's memory.

A page cache hit inside Django still builds a request, runs the middleware
and resolves the URL: most of a hit's time, and what kept a cached page
well below the rate of the same bytes served as a static file. Anonymous
pages are the same bytes for everyone (posts/pagecache.py), so the whole
response, headers included, can be answered again before any of that.

Only what Django itself marked for any cache to keep is kept (a 200 with
"Cache-Control: public", no Set-Cookie), by host, path, query string and
whether it was compressed. An entry is used while nothing can have changed:

- the process listens for PostgreSQL's change notices (posts/stamps.py)
  and none has come since the entry was made (any write to posts or
  comments sends one), and
- it is younger than PROCESS_MEMORY_SECONDS (what no notice announces: a
  scheduled post's time coming; a notice lost).

Requests with any cookie but CSRF's go to Django (personal pages, pinned
readers, …), as do all but GET and HEAD. PAGE_CACHE=off turns this off with
the rest of the page cache, and so does LANGUAGE_FROM_BROWSER=on: the page's
language then comes from Accept-Language as Django's LocaleMiddleware reads
it, which this layer does not repeat (Django's page cache keys by language).
"""

from django.conf import settings
from django.http.cookie import parse_cookie
from django.utils.http import parse_etags

from posts.stamps import stamp_cache
from wflm.process_memory import ProcessMemory

KEPT_PAGES = 32


class FastPages:
    def __init__(self, application):
        self.application = application
        self.pages = ProcessMemory(size=KEPT_PAGES)

    def __call__(self, environ, start_response):
        if not self._may_answer(environ):
            return self.application(environ, start_response)
        generation = stamp_cache.current_generation()
        if generation is None:  # not listening: nothing would tell us of a change
            return self.application(environ, start_response)
        key = _key(environ)
        entry = self.pages.get(key)
        if entry is not None and entry[0] == generation:
            return _answer(environ, start_response, *entry[1:])
        return self._keep(environ, start_response, key, generation)

    @staticmethod
    def _may_answer(environ):
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or not settings.PAGE_CACHE_SECONDS:
            return False
        if settings.LANGUAGE_FROM_BROWSER:
            return False
        cookies = environ.get("HTTP_COOKIE")
        return not cookies or _only_csrf_cookie(cookies)

    def _keep(self, environ, start_response, key, generation):
        """Let Django answer; keep the answer if it says any cache may."""
        seen = {}

        def capture(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = self.application(environ, capture)
        if environ["REQUEST_METHOD"] != "GET" or not _shareable(seen.get("status"), seen.get("headers", [])):
            return body
        try:
            content = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        self.pages.put(key, (generation, seen["status"], seen["headers"], content))
        return [content]


def _key(environ):
    compressed = "gzip" in environ.get("HTTP_ACCEPT_ENCODING", "")
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    return (
        environ.get("wsgi.url_scheme"),
        host,
        environ.get("PATH_INFO"),
        environ.get("QUERY_STRING"),
        compressed,
    )


def _only_csrf_cookie(header):
    # Read as Django reads it, so a cookie Django would see is seen here.
    return set(parse_cookie(header)) <= {settings.CSRF_COOKIE_NAME}


def _shareable(status, headers):
    if status is None or not status.startswith("200"):
        return False
    names = {name.lower(): value for name, value in headers}
    return (
        names.get("cache-control", "").startswith("public")
        and "set-cookie" not in names
        and "etag" in names
        and len(names) == len(headers)  # no header twice: answered again as one
    )


def _answer(environ, start_response, status, headers, content):
    etag = next(value for name, value in headers if name.lower() == "etag")
    wanted = parse_etags(environ.get("HTTP_IF_NONE_MATCH", ""))
    if etag in wanted or "*" in wanted:
        kept = [
            (name, value) for name, value in headers if name.lower() not in ("content-length", "content-type")
        ]
        start_response("304 Not Modified", kept)
        return []
    start_response(status, headers)
    return [] if environ["REQUEST_METHOD"] == "HEAD" else [content]
