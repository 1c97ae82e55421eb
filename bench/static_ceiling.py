"""The ceiling: a saved page served as a static file by WhiteNoise under gunicorn.

`gunicorn bench.static_ceiling:application` with BENCH_STATIC_DIR set to a
directory holding the page: WhiteNoise answers every file in it (ETag,
Last-Modified, caching headers) and anything else falls through to a 404.
"""

import os

from whitenoise import WhiteNoise


def not_found(environ, start_response):
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not found"]


application = WhiteNoise(not_found, root=os.environ["BENCH_STATIC_DIR"], mimetypes={".html": "text/html"})
