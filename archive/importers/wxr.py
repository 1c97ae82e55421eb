"""WordPress eXtended RSS (WXR 1.0, 1.1, 1.2), read as a stream.

Elements are matched by local name, so http and https namespaces and every
WXR version read the same (and `wp:wp_author` like `wp:author`). Each
<item> is handled when it ends and then dropped from the tree, so memory
stays flat however long the file is. Our own WXR export carries a
<wflm:record> with every field exactly; when present it is used instead.
"""

import datetime
import email.utils
import json
from urllib.parse import unquote, urlsplit

from archive.importers.base import CommentRecord, PostRecord, parse_naive
from archive.importers.xml import DeclaringPrefixes, local_name, stream_elements
from archive.text import html_to_text
from wflm.languages import language_tag

IMPORTED_TYPES = {"post", "page"}
PUBLISHED_STATUSES = {"publish", "future", "inherit", ""}
CHANNEL_FIELDS = {"title", "link", "base_site_url", "base_blog_url", "wxr_version", "language"}


def site_of(url):
    """A blog's identity from its address: host and path, without scheme or trailing slash."""
    parts = urlsplit((url or "").strip())
    if not parts.netloc:
        return (url or "").strip().rstrip("/")
    return (parts.netloc.lower() + parts.path).rstrip("/")


class WXRImporter:
    format = "wxr"

    def __init__(self, cleaner, site_url=None):
        self.cleaner = cleaner
        self.report = cleaner.report
        self.site_url = site_url
        self.channel = {}
        self.authors = {}
        self.last_offset = None
        self.items = 0
        self.post_keys = set()
        # Set for a second read of a file that uses undeclared prefixes (see import_file).
        self.declare_prefixes = False

    @property
    def site(self):
        return site_of(
            self.site_url or self.channel.get("base_blog_url") or self.channel.get("link") or "wordpress"
        )

    def records(self, stream):
        seen = None
        if self.declare_prefixes:
            stream, seen = DeclaringPrefixes(stream), set()
        yield from self._records(stream, seen)
        if seen is not None:
            used = [prefix for namespace, prefix in stream.declared.items() if namespace in seen]
            # First among the warnings: it says how the whole file was read.
            self.report.warnings.insert(
                0,
                f"undeclared namespace prefixes ({', '.join(used) or 'none used'}) were declared: "
                "the file uses them without declaring them (as WordPress.com exports of 2011-2012 "
                "do), so it was read with WordPress's usual declarations.",
            )
            self.report.warning_total += 1
            self.report.counts["undeclared_prefixes_declared"] = len(used)

    def _records(self, stream, seen):
        for element, parent_name in stream_elements(stream, containers={"channel"}, namespaces_seen=seen):
            name = local_name(element.tag)
            if name == "item":
                record = self._item(element)
                if record is not None:
                    yield record
            elif parent_name == "channel":
                if name in CHANNEL_FIELDS:
                    self.channel.setdefault(name, (element.text or "").strip())
                elif name in {"author", "wp_author"}:
                    fields = _fields(element)
                    login = fields.get("author_login", "").strip()
                    if login:
                        self.authors[login] = fields.get("author_display_name", "").strip() or login

    # --- items ------------------------------------------------------------

    def _item(self, item):
        self.items += 1
        fields, comments, categories, metas, wflm = {}, [], [], 0, None
        for child in item:
            name = local_name(child.tag)
            namespace = child.tag[1:].split("}", 1)[0] if child.tag.startswith("{") else ""
            if name == "comment":
                comments.append(child)
            elif name == "category":
                categories.append(child)
            elif name == "postmeta":
                metas += 1
            elif name == "record" and "wflm" in namespace:
                wflm = json.loads(child.text or "{}")
            elif name == "encoded":
                fields["excerpt" if "excerpt" in namespace else "content"] = child.text or ""
            else:
                fields.setdefault(name, child.text or "")
        post_id = fields.get("post_id", "").strip()
        title, _ = self.cleaner.line(fields.get("title", ""), f"item {post_id or self.items}", "title")
        label = f"“{title}” ({post_id})" if post_id else f"“{title}”"
        post_type = fields.get("post_type", "").strip()
        status = fields.get("status", "").strip()
        if post_type and post_type not in IMPORTED_TYPES:
            self.report.skip(f"{post_type} items")
            self._skip_comments(comments, label, f"{post_type} item")
            return None
        if status not in PUBLISHED_STATUSES:
            self.report.skip(f"{status} {post_type or 'post'}s (not published)")
            self._skip_comments(comments, label, status)
            return None
        if wflm is not None:
            from archive.importers.wflm_json import post_record

            return post_record(
                wflm, self.cleaner, comments=[json.loads(_wflm_of(c) or "{}") for c in comments]
            )
        if not post_type:
            self.report.warn(f"{label}: no post type in the file; imported as a post.")
        if metas:
            self.report.counts["post_meta_not_imported"] += metas
        link = fields.get("link", "").strip()
        key = post_id or f"link:{link}"
        if not post_id:
            self.report.warn(f"{label}: no post id in the file; known by its link.")
        elif key in self.post_keys:
            key = f"{post_id} {link or fields.get('guid', '').strip() or self.items}"
            self.report.warn(f"{label}: another item in the file has post id {post_id}; both kept.")
        self.post_keys.add(key)
        offsets = []
        published_at = self._post_date(fields, offsets)
        record = PostRecord(
            key=key,
            label=label,
            title=title,
            original_id=post_id,
            original_url=fields.get("link", "").strip(),
            slug=unquote(fields.get("post_name", "").strip()),
            body=self.cleaner.text(fields.get("content", ""), label, "body"),
            excerpt=self.cleaner.text(fields.get("excerpt", ""), label, "excerpt").strip(),
            published_at=published_at,
            comments_open=fields.get("comment_status", "open").strip() != "closed",
            post_type=post_type or "post",
            post_status=status,
            author=self.authors.get(fields.get("creator", "").strip(), fields.get("creator", "").strip()),
            categories=[
                {
                    "domain": c.get("domain", ""),
                    "slug": c.get("nicename", ""),
                    "name": self.cleaner.line(c.text or "", label, "category")[0],
                }
                for c in categories
            ],
            extra=_post_extra(fields),
            # The channel's <language> ("zh-Hans", "fr-FR"), which WordPress writes before the items.
            language=language_tag(self.channel.get("language", "")),
        )
        if record.extra.get("password_protected"):
            self.report.counts["password_protected_posts"] += 1
            self.report.warn(
                f"{label}: was password-protected on the old blog; wflm has no post passwords, "
                "so it is public here."
            )
        record.comments = self._comments(comments, record, offsets)
        return record

    def _skip_comments(self, comments, label, why):
        if comments:
            self.report.skip("comments on skipped items", len(comments))
            self.report.warn(f"{label}: {len(comments)} comment(s) not imported with this {why}.")

    def _post_date(self, fields, offsets):
        gmt = parse_naive(fields.get("post_date_gmt"))
        local = parse_naive(fields.get("post_date"))
        if gmt and local:
            offsets.append((gmt, local - gmt))
            self.last_offset = local - gmt
        if gmt:
            return gmt.replace(tzinfo=datetime.UTC)
        if local:
            converted = self.cleaner.local_to_utc(local, self.last_offset)
            if converted:
                return converted
        pub_date = (fields.get("pubDate") or "").strip()
        if pub_date:
            try:
                parsed = email.utils.parsedate_to_datetime(pub_date)
                if parsed.tzinfo is not None and parsed.year > 1:
                    return parsed.astimezone(datetime.UTC)
            except (TypeError, ValueError):
                pass
        if local:
            self.report.warn(
                f"post {fields.get('post_id', '')}: local date with no known zone; taken as UTC."
            )
            return local.replace(tzinfo=datetime.UTC)
        return None

    def _comments(self, elements, record, offsets):
        parsed = []
        for order, element in enumerate(elements):
            fields = _fields(element)
            gmt = parse_naive(fields.get("comment_date_gmt"))
            local = parse_naive(fields.get("comment_date"))
            if gmt and local:
                offsets.append((gmt, local - gmt))
                self.last_offset = local - gmt
            parsed.append((order, fields, gmt, local))
        comments, seen = [], set()
        for order, fields, gmt, local in parsed:
            comment_id = fields.get("comment_id", "").strip()
            where = f"{record.label}, comment {comment_id or order + 1}"
            key = f"{record.key}/{comment_id or '#' + str(order + 1)}"
            if not comment_id:
                self.report.warn(f"{where}: no comment id in the file; known by its position.")
            if key in seen:
                key = f"{key}#{order + 1}"
                self.report.warn(f"{where}: a second comment with this id in the same post; both kept.")
            seen.add(key)
            extra = {}
            parent_id = fields.get("comment_parent", "").strip()
            created_at = self._comment_date(gmt, local, offsets, where)
            raw_body = fields.get("comment_content", "")
            body, lossy = html_to_text(self.cleaner.text(raw_body, where, "body"))
            if lossy:
                extra["html"] = raw_body.strip()
            user_id = fields.get("comment_user_id", "").strip()
            if user_id and user_id != "0":
                extra["user_id"] = user_id
            comments.append(
                CommentRecord(
                    key=key,
                    original_id=comment_id,
                    parent_key=f"{record.key}/{parent_id}" if parent_id and parent_id != "0" else None,
                    original_parent_id=parent_id if parent_id != "0" else "",
                    name=self.cleaner.name(fields.get("comment_author", ""), where, extra),
                    email=self.cleaner.email(fields.get("comment_author_email", ""), where, extra),
                    url=self.cleaner.url(fields.get("comment_author_url", ""), where, extra),
                    ip_address=self.cleaner.ip(fields.get("comment_author_IP", ""), where, extra),
                    user_agent=self.cleaner.text(
                        fields.get("comment_agent", ""), where, "user agent"
                    ).strip(),
                    body=body,
                    status=self.cleaner.status(fields.get("comment_approved"), where),
                    kind=self.cleaner.kind(fields.get("comment_type"), where, extra),
                    created_at=created_at,
                    order=order,
                    extra=extra,
                )
            )
        return comments

    def _comment_date(self, gmt, local, offsets, where):
        if gmt:
            return gmt.replace(tzinfo=datetime.UTC)
        if local:
            # The offset of the nearest dated pair in the same item, else
            # the file's last one (--timezone, when given, wins).
            nearest = min(offsets, key=lambda pair: abs(pair[0] - local), default=None)
            offset = nearest[1] if nearest else self.last_offset
            converted = self.cleaner.local_to_utc(local, offset)
            if converted:
                return converted
            self.report.warn(f"{where}: local date with no known zone; taken as UTC (see --timezone).")
            return local.replace(tzinfo=datetime.UTC)
        self.report.counts["comments_without_date"] += 1
        return None


def _fields(element):
    """A WXR record's children as {local name: text}; the first of each name wins."""
    fields = {}
    for child in element:
        fields.setdefault(local_name(child.tag), child.text or "")
    return fields


def _wflm_of(element):
    for child in element:
        if local_name(child.tag) == "record" and "wflm" in child.tag:
            return child.text
    return None


def _post_extra(fields):
    extra = {}
    for name in ("guid", "ping_status", "post_parent", "menu_order", "is_sticky"):
        value = (fields.get(name) or "").strip()
        if value and value != "0":
            extra[name] = value
    if (fields.get("post_password") or "").strip():
        extra["password_protected"] = True
    return extra
