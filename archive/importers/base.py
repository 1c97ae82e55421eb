"""What every importer hands to the writer, and the report it keeps.

An importer turns a file into PostRecord objects (each with its
CommentRecords), cleaning every field the same way: control characters
removed and counted, newlines normalised, names and titles unescaped,
values that do not fit our fields kept in the source record's `extra`.
"""

import collections
import datetime
import functools
import ipaddress
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from archive.text import convert_html, remove_control_characters, unescape_repeatedly
from comments.models import Comment
from comments.text import LINE_BREAKS, remove_bidi_controls

MAX_WARNINGS = 500
NAME_MAX_LENGTH = Comment._meta.get_field("name").max_length
EMAIL_MAX_LENGTH = Comment._meta.get_field("email").max_length
URL_MAX_LENGTH = Comment._meta.get_field("url").max_length

# Source statuses (WordPress comment_approved values, Disqus flags) to ours.
# "missing" is a comment whose file gives no status: held, never dropped.
DEFAULT_STATUS_MAP = {
    "1": Comment.Status.APPROVED,
    "approve": Comment.Status.APPROVED,
    "approved": Comment.Status.APPROVED,
    "0": Comment.Status.PENDING,
    "hold": Comment.Status.PENDING,
    "pending": Comment.Status.PENDING,
    "spam": Comment.Status.SPAM,
    "trash": Comment.Status.REMOVED,
    "post-trashed": Comment.Status.REMOVED,
    "deleted": Comment.Status.REMOVED,
    "removed": Comment.Status.REMOVED,
    "missing": Comment.Status.PENDING,
}

KINDS = {
    "": Comment.Kind.COMMENT,
    "comment": Comment.Kind.COMMENT,
    "pingback": Comment.Kind.PINGBACK,
    "trackback": Comment.Kind.TRACKBACK,
}

_url_validator = URLValidator(schemes=["http", "https"])


# Commenters come back: each address is checked once per import process.
@functools.lru_cache(maxsize=20_000)
def _valid_email(email):
    try:
        validate_email(email)
    except ValidationError:
        return False
    return len(email) <= EMAIL_MAX_LENGTH


@functools.lru_cache(maxsize=20_000)
def _valid_url(url):
    try:
        _url_validator(url)
    except ValidationError:
        return False
    return len(url) <= URL_MAX_LENGTH


class ImportFailed(Exception):
    """A file that cannot be imported; the message says why and where."""


@dataclass
class CommentRecord:
    key: str  # unique within the site: "<post key>/<comment id>", "dsq:<id>"
    original_id: str = ""
    parent_key: str | None = None
    original_parent_id: str = ""
    name: str = ""
    email: str = ""
    url: str = ""
    ip_address: str | None = None
    user_agent: str = ""
    body: str = ""
    status: str = Comment.Status.APPROVED
    kind: str = Comment.Kind.COMMENT
    created_at: datetime.datetime | None = None
    order: int = 0  # position in the file: the tie-break after the date
    extra: dict = field(default_factory=dict)
    # Set by our own formats, which know these exactly.
    comment_original_id: str | None = None  # Comment.original_id, when not original_id
    parent_origin: str | None = None
    reply_inferred: bool = False
    inferred_from: str = ""
    other_sources: list = field(default_factory=list)  # [{"site", "key", ...}] kept from an earlier import
    exact: dict = field(default_factory=dict)  # moderation fields, from our own exports
    body_html: str | None = None  # rendered ahead (by the parsing process), else by the writer


@dataclass
class PostRecord:
    key: str  # unique within the site: WordPress post id, Disqus thread dsq:id
    title: str = ""
    original_id: str = ""
    original_url: str = ""
    slug: str = ""
    body: str = ""
    excerpt: str = ""
    published_at: datetime.datetime | None = None
    comments_open: bool = True
    post_type: str = "post"
    post_status: str = ""
    author: str = ""
    categories: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    comments: list = field(default_factory=list)
    # Set by our own formats, which know these exactly.
    artist: str | None = None
    album: str | None = None
    year: int | None = None
    other_sources: list = field(default_factory=list)
    label: str = ""  # how the report names this post
    exact_slug: bool = False  # our own export: the slug as it was, not re-slugified
    # Our own exports: [{"name", "slug"}] exactly; None: from categories.
    tags: list | None = None
    # The content's language tag (Post.language): the WXR channel's <language>; "" when the file says none.
    language: str = ""


class Report:
    """Counts and warnings of one import, printed at the end and kept on the ImportRun."""

    def __init__(self):
        self.counts = collections.Counter()
        self.skipped = collections.Counter()  # reason -> items
        self.statuses = collections.Counter()
        self.kinds = collections.Counter()
        self.types = collections.Counter()  # posts created, by source type (post, page, ...)
        self.depths = collections.Counter()
        self.warnings = []
        self.warning_total = 0

    def merge(self, other):
        """Add another report's findings (the parsing process's) to this one."""
        if other is None:
            return
        for name in ("counts", "skipped", "statuses", "kinds", "types", "depths"):
            getattr(self, name).update(getattr(other, name))
        self.warnings = (other.warnings + self.warnings)[:MAX_WARNINGS]
        self.warning_total += other.warning_total

    def warn(self, message):
        self.warning_total += 1
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(message)

    def skip(self, reason, count=1):
        self.skipped[reason] += count

    def as_dict(self):
        return {
            **dict(self.counts),
            "statuses": dict(self.statuses),
            "kinds": dict(self.kinds),
            "types": dict(self.types),
            "depths": {str(depth): count for depth, count in sorted(self.depths.items())},
            "max_depth": max(self.depths, default=0),
            "skipped": dict(self.skipped),
            "warnings": self.warning_total,
        }


class Cleaner:
    """Field cleaning shared by the importers; problems go to the report."""

    def __init__(self, report, status_map=None, time_zone=None):
        self.report = report
        self.status_map = {**DEFAULT_STATUS_MAP, **(status_map or {})}
        self.time_zone = time_zone

    def text(self, value, where, field_name):
        """Plain text: newlines normalised, control characters removed (and reported)."""
        if not value:
            return ""
        cleaned, removed = remove_control_characters(value)
        if removed:
            self.report.counts["control_characters_removed"] += removed
            self.report.warn(f"{where}: removed {removed} control character(s) from the {field_name}.")
        return cleaned

    def line(self, value, where, field_name, max_length=None, unescape=True):
        """A one-line value (name, title): unescaped, whitespace collapsed, maybe shortened."""
        value = self.text(value, where, field_name)
        if unescape:
            value = unescape_repeatedly(value)
        value = " ".join(value.split())
        if max_length and len(value) > max_length:
            self.report.warn(
                f"{where}: the {field_name} is longer than {max_length} characters; shortened "
                "(the whole value is kept in its source record)."
            )
            return value[: max_length - 1] + "…", value
        return value, None

    def name(self, value, where, extra):
        # A name is one line, in one direction (see comments.text): line
        # breaks become spaces, bidi controls go; both are reported.
        shown = unescape_repeatedly(value or "").strip()
        if any(character in LINE_BREAKS for character in shown):
            self.report.warn(f"{where}: the author name spans several lines; joined into one.")
        name, whole = self.line(value, where, "author name", NAME_MAX_LENGTH)
        name, removed = remove_bidi_controls(name)
        if removed:
            self.report.counts["bidi_controls_removed"] += removed
            self.report.warn(
                f"{where}: removed {removed} text-direction control character(s) from the author name."
            )
        if whole:
            extra["name"] = remove_bidi_controls(whole)[0]
        return name.strip() or "Anonymous"

    def email(self, value, where, extra):
        email = self.text(value, where, "e-mail address").strip()
        if not email:
            return ""
        if not _valid_email(email):
            extra["email"] = email
            self.report.counts["invalid_emails"] += 1
            self.report.warn(f"{where}: the e-mail address is not valid; kept in its source record only.")
            return ""
        return email

    def url(self, value, where, extra):
        url = self.text(value, where, "website").strip()
        if not url or url in {"http://", "https://"}:
            return ""
        if not _valid_url(url):
            extra["url"] = url
            self.report.counts["invalid_urls"] += 1
            self.report.warn(
                f"{where}: the website is not an http(s) address of at most {URL_MAX_LENGTH} "
                "characters; kept in its source record only."
            )
            return ""
        return url

    def ip(self, value, where, extra):
        value = (value or "").strip()
        if not value:
            return None
        try:
            ipaddress.ip_address(value)
        except ValueError:
            extra["ip_address"] = self.text(value, where, "IP address")
            self.report.warn(f"{where}: the IP address is not valid; kept in its source record only.")
            return None
        return value

    def status(self, value, where):
        value = (value or "").strip().lower() or "missing"
        status = self.status_map.get(value)
        if status is None:
            status = Comment.Status.PENDING
            self.report.warn(f"{where}: unknown status {value[:30]!r}; held for moderation (pending).")
        if value == "missing":
            self.report.counts["missing_statuses"] += 1
            self.report.warn(f"{where}: the file gives no approval status; imported as {status}.")
        return status

    def kind(self, value, where, extra):
        value = (value or "").strip().lower()
        kind = KINDS.get(value)
        if kind is None:
            extra["type"] = value
            self.report.warn(f"{where}: unknown comment type {value[:30]!r}; imported as a comment.")
            return Comment.Kind.COMMENT
        return kind

    def local_to_utc(self, naive, offset=None):
        """A naive local time in UTC: --timezone's zone, else a known offset from the file."""
        if self.time_zone is not None:
            return naive.replace(tzinfo=self.time_zone).astimezone(datetime.UTC)
        if offset is not None:
            return (naive - offset).replace(tzinfo=datetime.UTC)
        return None


def parse_naive(value):
    """ "YYYY-MM-DD HH:MM:SS" (WordPress, Isso) as a naive datetime; None for blank or 0000-00-00."""
    value = (value or "").strip()
    if not value or value.startswith("0000-00-00"):
        return None
    try:
        return datetime.datetime.fromisoformat(value.replace("T", " ").removesuffix("Z"))
    except ValueError:
        return None


def parse_time_zone(name):
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ImportFailed(f"--timezone {name!r} is not a known time zone (e.g. Europe/Paris).") from error


def parse_status_map(text):
    """ "trash=pending,0=spam" as a dict; a clear message for anything else."""
    mapping = {}
    for pair in (text or "").split(","):
        if not pair.strip():
            continue
        source, sep, target = pair.partition("=")
        source, target = source.strip().lower(), target.strip().lower()
        if not sep or not source or target not in Comment.Status.values:
            raise ImportFailed(
                f"--status-map: {pair.strip()!r} should be SOURCE=STATUS with STATUS one of "
                f"{', '.join(Comment.Status.values)} (e.g. trash=pending,0=spam)."
            )
        mapping[source] = target
    return mapping


def check_body(comment, where, report):
    """What the report says about one comment's body before it is written.

    A body whose source HTML was reduced (the importer kept that HTML in
    extra["html"]) is listed, with what went; a body longer than
    IMPORT_MAX_BODY_CHARS is held for a moderator (its page shows only
    that much of it, see comments.text.comment_to_html).
    """
    source = comment.extra.get("html")
    if source:
        report.counts["bodies_reduced"] += 1
        # Naming what went costs a second parse: only for warnings kept.
        reduced = ", ".join(convert_html(source)[1]) if len(report.warnings) < MAX_WARNINGS else ""
        report.warn(
            f"{where}: body reduced ({reduced or 'markup'} not kept as such); "
            "the original HTML is in its source record."
        )
    limit = settings.IMPORT_MAX_BODY_CHARS
    if len(comment.body) > limit:
        report.counts["bodies_held_too_long"] += 1
        if comment.status == Comment.Status.APPROVED:
            comment.status = Comment.Status.PENDING
        report.warn(
            f"{where}: body of {len(comment.body):,} characters is longer than IMPORT_MAX_BODY_CHARS "
            f"({limit:,}); held for moderation ({comment.status}), shown cut at {limit:,}."
        )
