"""Post page stamps kept in each process until PostgreSQL says a post changed.

A cached post page needs the post's stamp (its versions, see PageStamp).
Reading it costs a database round trip on every view, which on a busy
machine is most of a cache hit's time. Instead each process keeps the
stamps it has read, and listens on the channel that the database notifies
after every statement that writes posts (and so after every comment write:
the comment triggers update their posts; posts/migrations/0008_notify_page_changes.py).
Before using a remembered stamp the process reads any pending
notifications, without a round trip (the listening connection is polled);
any notification drops every remembered stamp.

If the listening connection cannot be made or breaks, the process reads
stamps from the database on every view, as before, and tries to listen
again a little later. A connection that dies without a word (a NAT or
firewall dropping it) is found by TCP keepalives; until then, and against
anything else that could lose a notice, a remembered stamp is forgotten
PROCESS_MEMORY_SECONDS after it was read. The LISTEN connection is always
the primary's (replicas deliver no NOTIFY), while stamps are read where
reads go (posts.models.reading), so with a lagging replica a page is at
most the replica's lag plus PROCESS_MEMORY_SECONDS behind. Threaded
workers share one cache per process, behind a lock. PAGE_STAMP_LISTEN=off turns this off; the tests do,
since their transactions never commit (so nothing is ever notified), except
the test that checks this module against committed writes.
"""

import contextlib
import os
import threading
import time

import psycopg2
from django.conf import settings
from django.db import connection, router

from posts.models import Post
from wflm.process_memory import ProcessMemory

CHANNEL = "wflm_page_changes"
RETRY_SECONDS = 5
REMEMBERED_STAMPS = 10_000
# libpq's TCP keepalives on the listening connection: a peer gone silent
# is noticed in about 30 s (and by the kernel for writes in 10 s).
KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 15,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 10_000,
}


class StampCache:
    def __init__(self):
        self._pid = None
        self._listener = None
        self._retry_at = 0.0
        self._stamps = ProcessMemory(size=REMEMBERED_STAMPS)
        self._lock = threading.Lock()
        # Goes up whenever what this process remembers may be out of date (a
        # notification, a new or lost listener): wflm/fast_pages.py keys on it.
        self.generation = 0

    def current_generation(self):
        """The generation once every notification sent so far is read; None when not listening."""
        with self._lock:
            return self.generation if self._listening() else None

    def get(self, slug, load):
        """The stamp for slug, remembered, or load(slug) (a query) when not known fresh."""
        with self._lock:
            listening = self._listening()
        if not listening:
            return load(slug)
        # Per database read from: a stamp read on the primary (a pinned
        # client's) is ahead of a lagging replica, and a page rendered from
        # the replica under it would be stored under a key it does not match.
        key = (router.db_for_read(Post), slug)
        stamp = self._stamps.get(key)
        if stamp is None:
            stamp = load(slug)
            if stamp is not None:  # a 404 may become a post later: never remembered
                self._stamps.put(key, stamp)
        return stamp

    def _listening(self):
        """True when every notification sent so far has been read (and applied)."""
        if not settings.PAGE_STAMP_LISTEN:
            return False
        if self._pid != os.getpid():  # a forked worker: its own connection, its own stamps
            self._reset()
            self._pid = os.getpid()
        if self._listener is None and not self._connect():
            return False
        try:
            self._listener.poll()
        except psycopg2.Error:
            self._reset()
            self._retry_at = time.monotonic() + RETRY_SECONDS
            return False
        if self._listener.notifies:
            self._listener.notifies.clear()
            self._forget()
        return True

    def _forget(self):
        self._stamps.clear()
        self.generation += 1

    def _connect(self):
        if time.monotonic() < self._retry_at:
            return False
        try:
            params = connection.get_connection_params()
            if not str(params.get("host", "")).startswith("/"):  # TCP, not a Unix socket
                params = KEEPALIVES | params
            listener = psycopg2.connect(**params)
            listener.autocommit = True
            with listener.cursor() as cursor:
                cursor.execute(f"LISTEN {CHANNEL}")
        except psycopg2.Error:
            self._retry_at = time.monotonic() + RETRY_SECONDS
            return False
        self._listener = listener
        # Anything remembered before listening may be stale.
        self._forget()
        return True

    def close(self):
        """Forget everything and stop listening (tests; a worker shutting down)."""
        with self._lock:
            self._reset()
            self._retry_at = 0.0

    def _reset(self):
        if self._listener is not None:
            with contextlib.suppress(psycopg2.Error):
                self._listener.close()
        self._listener = None
        self._forget()


stamp_cache = StampCache()
