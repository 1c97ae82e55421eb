"""Our own JSON export (docs/import-export.md describes it), read back exactly.

Every field is taken as written: no unescaping, no HTML conversion, dates
to the microsecond, statuses and kinds as stored, the source records of
earlier imports recreated (so old links keep working on the new server).
The same post and comment dicts ride inside our WXR export as
<wflm:record>, so both formats read back through here.
"""

import datetime
import json

from archive.importers.base import CommentRecord, ImportFailed, PostRecord
from comments.models import Comment
from wflm.languages import language_tag

FORMAT_NAME = "wflm-archive"
FORMAT_VERSION = 1


def _date(value, where):
    if not value:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except (TypeError, ValueError) as error:
        raise ImportFailed(f"{where}: {value!r} is not an ISO 8601 date.") from error
    if parsed.tzinfo is None:
        raise ImportFailed(f"{where}: {value!r} has no time zone offset.")
    return parsed


def _year(value, where):
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and 0 < value < 32768):
        return value
    raise ImportFailed(f"{where}: year {value!r} is not a year.")


def _choice(value, choices, where, field_name):
    if value not in choices:
        raise ImportFailed(f"{where}: {field_name} {value!r} is not one of {', '.join(choices)}.")
    return value


def _tags(value, where):
    """An export's "tags" ([{"name", "slug"}]); None for an export from before tags."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(tag, dict) and isinstance(tag.get("name"), str) and isinstance(tag.get("slug", ""), str)
        for tag in value
    ):
        raise ImportFailed(f'{where}: "tags" should be a list of {{"name", "slug"}} objects.')
    return value


def post_record(data, cleaner, comments=None):
    """A PostRecord from one exported post dict (and its comment dicts)."""
    where = f"post {data.get('id')}"
    try:
        title = cleaner.text(data["title"], where, "title")
        record = PostRecord(
            key=str(data["id"]),
            label=f"“{title}” ({data['id']})",
            title=title,
            original_url=data.get("url", ""),
            slug=data.get("slug", ""),
            exact_slug=True,
            body=cleaner.text(data.get("body", ""), where, "body"),
            excerpt=cleaner.text(data.get("excerpt", ""), where, "excerpt"),
            published_at=_date(data.get("published_at"), where),
            comments_open=bool(data.get("comments_open", True)),
            post_type=data.get("post_type", "post"),
            artist=data.get("artist", ""),
            album=data.get("album", ""),
            year=_year(data.get("year"), where),
            other_sources=list(data.get("sources", [])),
            tags=_tags(data.get("tags"), where),
            language=language_tag(data.get("language", "")),
        )
        for order, item in enumerate(data.get("comments", []) if comments is None else comments):
            record.comments.append(comment_record(item, cleaner, order, where))
    except (KeyError, TypeError, AttributeError) as error:
        raise ImportFailed(f"{where}: missing or malformed field ({error}).") from error
    return record


def comment_record(data, cleaner, order, post_where):
    where = f"{post_where}, comment {data.get('id')}"
    extra = {}
    parent = data.get("parent")
    email = cleaner.email(data.get("email", ""), where, extra)
    url = cleaner.url(data.get("url", ""), where, extra)
    exact = {}
    for name in ("moderation_rule", "moderation_note", "notify_replies", "by_staff"):
        if name in data:
            exact[name] = data[name]
    for name in ("decided_at", "reply_notified_at"):
        if name in data:
            exact[name] = _date(data[name], where)
    return CommentRecord(
        exact=exact,
        key=str(data["id"]),
        original_id=str(data["id"]),
        parent_key=str(parent) if parent is not None else None,
        original_parent_id=str(parent) if parent is not None else "",
        name=cleaner.text(data["name"], where, "name") or "Anonymous",
        email=email,
        url=url,
        ip_address=cleaner.ip(data.get("ip_address") or "", where, extra),
        user_agent=cleaner.text(data.get("user_agent", ""), where, "user agent"),
        body=cleaner.text(data.get("body", ""), where, "body"),
        status=_choice(data.get("status"), Comment.Status.values, where, "status"),
        kind=_choice(data.get("kind", "comment"), Comment.Kind.values, where, "kind"),
        created_at=_date(data.get("created_at"), where),
        order=order,
        extra=extra,
        comment_original_id=data.get("original_id", ""),
        reply_inferred=bool(data.get("reply_inferred", False)),
        other_sources=list(data.get("sources", [])),
    )


class WflmJSONImporter:
    format = "json"

    def __init__(self, cleaner, site_url=None):
        self.cleaner = cleaner
        self.report = cleaner.report
        self.site_url = site_url
        self.header = {}

    @property
    def site(self):
        return self.site_url or self.header.get("site") or "wflm"

    def records(self, stream):
        try:
            data = json.load(stream)
        except json.JSONDecodeError as error:
            raise ImportFailed(
                f"not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}."
            ) from error
        except UnicodeDecodeError as error:
            raise ImportFailed(f"not UTF-8 text (byte {error.start}).") from error
        if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
            raise ImportFailed(f'not a wflm JSON export (no "format": "{FORMAT_NAME}").')
        if data.get("version") != FORMAT_VERSION:
            raise ImportFailed(
                f"wflm JSON version {data.get('version')!r} is not supported (only {FORMAT_VERSION})."
            )
        self.header = {name: value for name, value in data.items() if name != "posts"}
        posts = data.get("posts")
        if not isinstance(posts, list):
            raise ImportFailed('"posts" should be a list.')
        for item in posts:
            if not isinstance(item, dict):
                raise ImportFailed("each post should be an object.")
            yield post_record(item, self.cleaner)
