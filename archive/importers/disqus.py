"""Disqus XML exports, old style (with <email> and <ipAddress>) and new.

A Disqus <thread> is a page of the blog; it becomes a post when it has
comments. Posts (comments) are keyed by their dsq:id: the <id> element is
the blog's own id, often empty or repeated (one real export imported the
same comment several times). Comments are not grouped by thread in the
file, nor in date order, so the whole file is read first (one compact
record per comment), then written thread by thread, parents first.
"""

import datetime
import re
from urllib.parse import urlsplit

from archive.importers.base import CommentRecord, PostRecord
from archive.importers.wxr import site_of
from archive.importers.xml import local_name, stream_elements
from archive.text import html_to_text

WORDPRESS_IDENTIFIER = re.compile(r"^(\d+) (https?://\S+)$")


def _dsq_id(element):
    for name, value in element.attrib.items():
        if local_name(name) == "id":
            return value.strip()
    return ""


def _fields(element):
    """{local name: text} for simple children; {local name: dsq:id} for references; author as a dict."""
    fields = {}
    for child in element:
        name = local_name(child.tag)
        if name in {"thread", "parent", "category"}:
            fields[name] = _dsq_id(child)
        elif name == "author":
            fields["author"] = {local_name(c.tag): (c.text or "").strip() for c in child}
        else:
            fields.setdefault(name, child.text or "")
    return fields


def _date(value):
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def _true(value):
    return (value or "").strip().lower() == "true"


class DisqusImporter:
    format = "disqus"

    def __init__(self, cleaner, site_url=None):
        self.cleaner = cleaner
        self.report = cleaner.report
        self.site_url = site_url
        self.forum = ""

    @property
    def site(self):
        return site_of(self.site_url) if self.site_url else f"disqus:{self.forum or 'unknown'}"

    def records(self, stream):
        threads, posts = {}, []
        for element, _ in stream_elements(stream, containers={"disqus"}):
            name = local_name(element.tag)
            if name == "thread":
                fields = _fields(element)
                threads.setdefault(_dsq_id(element), fields)
                self.forum = self.forum or (fields.get("forum") or "").strip()
            elif name == "post":
                posts.append(self._comment(element, len(posts)))
            elif name == "category":
                self.forum = self.forum or (_fields(element).get("forum") or "").strip()
        self.report.counts["disqus_threads"] = len(threads)
        by_thread = {}
        for thread_id, comment in posts:
            by_thread.setdefault(thread_id, []).append(comment)
        for thread_id, comments in by_thread.items():
            if thread_id not in threads:
                self.report.skip("comments whose thread is not in the file", len(comments))
                self.report.warn(
                    f"Disqus thread {thread_id}: not in the file; its {len(comments)} comment(s) "
                    "have no page to go on and were not imported."
                )
        for thread_id, fields in threads.items():
            comments = by_thread.get(thread_id)
            if not comments:
                self.report.skip("Disqus threads without comments")
                continue
            yield self._post(thread_id, fields, comments)

    def _post(self, thread_id, fields, comments):
        link = (fields.get("link") or "").strip()
        identifier = (fields.get("id") or "").strip()
        title, _ = self.cleaner.line(fields.get("title") or "", f"thread {thread_id}", "title")
        title = title or urlsplit(link).path.strip("/") or identifier or f"Disqus thread {thread_id}"
        label = f"“{title}” (thread {thread_id})"
        wordpress = WORDPRESS_IDENTIFIER.match(identifier)
        author = fields.get("author") or {}
        extra = {"identifier": identifier} if identifier else {}
        if _true(fields.get("isDeleted")):
            extra["deleted"] = True
            self.report.warn(f"{label}: the thread is marked deleted on Disqus; its comments are kept.")
        # A site that moved to Disqus gives every old thread the date of the
        # move: the post is at least as old as its first comment.
        published_at = min(
            filter(None, [_date(fields.get("createdAt")), *(c.created_at for c in comments)]), default=None
        )
        return PostRecord(
            key=thread_id,
            label=label,
            title=title,
            original_id=wordpress.group(1) if wordpress else "",
            original_url=link or (wordpress.group(2) if wordpress else ""),
            body=self.cleaner.text(fields.get("message") or "", label, "body"),
            published_at=published_at,
            comments_open=not _true(fields.get("isClosed")),
            post_type="disqus-thread",
            author=author.get("name") or author.get("username", ""),
            extra=extra,
            comments=comments,
        )

    def _comment(self, element, order):
        dsq_id = _dsq_id(element)
        fields = _fields(element)
        where = f"Disqus post {dsq_id or order + 1}"
        author = fields.get("author") or {}
        extra = {}
        own_id = (fields.get("id") or "").strip()
        if own_id:
            extra["id"] = own_id
        if author.get("username"):
            extra["username"] = author["username"]
        if _true(author.get("isAnonymous")):
            extra["anonymous"] = True
        raw_body = fields.get("message") or ""
        body, lossy = html_to_text(self.cleaner.text(raw_body, where, "body"))
        if lossy:
            extra["html"] = raw_body.strip()
        status = (
            "spam"
            if _true(fields.get("isSpam"))
            else "deleted"
            if _true(fields.get("isDeleted"))
            else "approved"
        )
        created_at = _date(fields.get("createdAt"))
        if created_at is None:
            self.report.counts["comments_without_date"] += 1
        parent = fields.get("parent") or ""
        record = CommentRecord(
            key=f"dsq:{dsq_id}" if dsq_id else f"dsq:#{order + 1}",
            original_id=dsq_id,
            parent_key=f"dsq:{parent}" if parent else None,
            original_parent_id=parent,
            name=self.cleaner.name(author.get("name") or author.get("username") or "", where, extra),
            email=self.cleaner.email(author.get("email", ""), where, extra),
            ip_address=self.cleaner.ip(fields.get("ipAddress", ""), where, extra),
            body=body,
            status=self.cleaner.status(status, where),
            created_at=created_at,
            order=order,
            extra=extra,
        )
        if not dsq_id:
            self.report.warn(f"{where}: no dsq:id; known by its position in the file.")
        return fields.get("thread") or "", record
