"""Isso's "generic" JSON import format.

A list of threads, each {"id": <page path>, "title": <URL-encoded>,
"comments": [{"id", "author", "email", "website", "remote_addr",
"created": "YYYY-MM-DD HH:MM:SS" (no zone), "text"}]}. Comment ids are
all 0 in practice, so a comment is known by a digest of its date, author
and text (stable when a newer export adds comments).
"""

import datetime
import hashlib
import json
from urllib.parse import unquote_plus

from archive.importers.base import CommentRecord, ImportFailed, PostRecord, parse_naive


class IssoImporter:
    format = "isso"

    def __init__(self, cleaner, site_url=None):
        self.cleaner = cleaner
        self.report = cleaner.report
        self.site_url = site_url

    @property
    def site(self):
        from archive.importers.wxr import site_of

        return site_of(self.site_url) if self.site_url else "isso"

    def records(self, stream):
        try:
            data = json.load(stream)
        except json.JSONDecodeError as error:
            raise ImportFailed(
                f"not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}."
            ) from error
        except UnicodeDecodeError as error:
            raise ImportFailed(f"not UTF-8 text (byte {error.start}).") from error
        if isinstance(data, dict):
            data = data.get("threads", [data])
        if not isinstance(data, list) or not all(isinstance(t, dict) for t in data):
            raise ImportFailed("an Isso generic export is a list of threads (objects).")
        if self.cleaner.time_zone is None and any(t.get("comments") for t in data):
            self.report.warn("Isso dates carry no time zone; taken as UTC (see --timezone).")
        for number, thread in enumerate(data, start=1):
            yield self._post(thread, number)

    def _post(self, thread, number):
        uri = str(thread.get("id") or "").strip()
        title, _ = self.cleaner.line(unquote_plus(str(thread.get("title") or "")), f"thread {uri}", "title")
        title = title or uri or f"Isso thread {number}"
        label = f"“{title}”"
        record = PostRecord(
            key=uri or f"#{number}", label=label, title=title, original_url=uri, post_type="isso-thread"
        )
        if not uri:
            self.report.warn(f"{label}: no thread id; known by its position in the file.")
        seen = set()
        for order, item in enumerate(thread.get("comments") or []):
            if not isinstance(item, dict):
                self.report.warn(f"{label}: comment {order + 1} is not an object; skipped.")
                self.report.skip("malformed comments")
                continue
            record.comments.append(self._comment(item, order, record, seen))
        dates = [c.created_at for c in record.comments if c.created_at]
        record.published_at = min(dates, default=None)
        return record

    def _comment(self, item, order, record, seen):
        where = f"{record.label}, comment {order + 1}"
        extra = {}
        created = str(item.get("created") or "")
        text = str(item.get("text") or "")
        author = str(item.get("author") or "")
        digest = hashlib.sha256(f"{created}\n{author}\n{text}".encode()).hexdigest()[:16]
        key = f"{record.key}/{digest}"
        while key in seen:
            key += "+"
        seen.add(key)
        naive = parse_naive(created)
        created_at = None
        if naive:
            created_at = self.cleaner.local_to_utc(naive) or naive.replace(tzinfo=datetime.UTC)
        elif created:
            self.report.warn(f"{where}: date {created[:30]!r} not understood; dated by its thread.")
        own_id = item.get("id")
        if own_id not in (None, 0, "0", ""):
            extra["id"] = str(own_id)
        parent = item.get("parent")
        if parent not in (None, 0, "0", ""):
            extra["parent"] = str(parent)
        return CommentRecord(
            key=key,
            original_id="",
            name=self.cleaner.name(author, where, extra),
            email=self.cleaner.email(str(item.get("email") or ""), where, extra),
            url=self.cleaner.url(str(item.get("website") or ""), where, extra),
            ip_address=self.cleaner.ip(str(item.get("remote_addr") or ""), where, extra),
            body=self.cleaner.text(text, where, "body").strip(),
            status=self.cleaner.status("approved", where),
            created_at=created_at,
            order=order,
            extra=extra,
        )
