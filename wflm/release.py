"""What this release renders pages with, as one short fingerprint.

A kept page (in Redis, in a CDN) outlives the process that made it. A new
release (templates, code, static files' hashed names) or a change of the
settings that shape a page (COMMENTS_PER_PAGE, SITE_URL, ...) must not be
answered with pages made before it: the page cache's keys and ETags carry
this fingerprint (posts/pagecache.py). Computed once per process.
"""

import functools
import hashlib

from django.conf import settings

# Settings whose value shows in a page; any other setting cannot change one.
PAGE_SETTINGS_PREFIXES = (
    "COMMENTS_",
    "POSTS_",
    "SITE_",
    "LANGUAGE",
    "TIME_ZONE",
    "USE_",
    "ADMIN_URL",
    "STATIC_URL",
)
SOURCE_SUFFIXES = (".py", ".html", ".jinja", ".txt", ".po")
SOURCE_DIRECTORIES = ("archive", "comments", "posts", "search", "templates", "wflm", "locale")


@functools.cache
def fingerprint():
    digest = hashlib.blake2b(digest_size=8)
    for name in sorted(dir(settings)):
        if name.isupper() and name.startswith(PAGE_SETTINGS_PREFIXES):
            digest.update(f"{name}={getattr(settings, name)!r}\n".encode())
    base = settings.BASE_DIR
    for directory in SOURCE_DIRECTORIES:
        for path in sorted((base / directory).rglob("*")):
            if path.suffix in SOURCE_SUFFIXES and "tests" not in path.parts and path.is_file():
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    # The hashed names of static files the pages link to.
    manifest = settings.STATIC_ROOT / "staticfiles.json"
    if manifest.is_file():
        digest.update(manifest.read_bytes())
    return digest.hexdigest()
