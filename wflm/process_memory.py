"""What a process keeps in its own memory, bounded and short-lived."""

import threading
import time
from collections import OrderedDict

from django.conf import settings


class ProcessMemory:
    """A small, thread-safe, least-recently-used map in process memory, with a time limit.

    Bounded by count (the oldest use goes first) and by age: an entry is
    forgotten PROCESS_MEMORY_SECONDS after it was put, whatever told this
    process (or failed to tell it) about changes. Threaded workers
    (gunicorn's gthread) share one per process, hence the lock.
    """

    def __init__(self, size, seconds=None):
        self.size = size
        self.seconds = seconds
        self._entries = OrderedDict()
        self._lock = threading.Lock()

    def _limit(self):
        return settings.PROCESS_MEMORY_SECONDS if self.seconds is None else self.seconds

    def get(self, key):
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            value, put_at = entry
            if time.monotonic() - put_at >= self._limit():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key, value):
        with self._lock:
            self._entries[key] = (value, time.monotonic())
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self):
        with self._lock:
            self._entries.clear()

    def __len__(self):
        return len(self._entries)
