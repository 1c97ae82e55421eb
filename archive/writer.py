"""Writes importers' records to the database, in bulk and idempotently.

Records arrive post by post (each with all its comments) and are written
in batches: one query finds which posts and comments an earlier import
already brought (by their source keys), posts are bulk-inserted, comment
ids are drawn from the sequence up front so that a reply can name its
parent in the same INSERT, and each post's comments are inserted parents
first (by date, then file order), as the thread trigger needs.
"""

import re
from urllib.parse import unquote

from django.core.exceptions import ValidationError
from django.core.validators import validate_unicode_slug
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from archive.bulk import copy_into
from archive.importers.base import check_body
from archive.models import CommentSource, PostSource, path_key
from archive.thread_order import ThreadPlanner
from comments.models import Comment
from comments.text import comment_to_html
from posts.models import Post, Tag, clean_tag_name, parse_title, slug_for_artist

COMMENT_BATCH = 2_000
POST_BATCH = 500
INSERT_BATCH = 1_000
PROGRESS_EVERY = 1_000

TITLE_MAX = Post._meta.get_field("title").max_length
ARTIST_MAX = Post._meta.get_field("artist").max_length
ALBUM_MAX = Post._meta.get_field("album").max_length
SLUG_BASE_MAX = 180
SLUG_MAX = Post._meta.get_field("slug").max_length

# WordPress taxonomies that become tags: categories and tags (WXR 1.0 wrote
# "tag", or no domain at all); not post formats, menus or link categories.
TAG_DOMAINS = {"", "category", "post_tag", "tag"}
# WordPress's default category, on nearly every post: not worth a tag.
DEFAULT_CATEGORY = "uncategorized"


COMMENT_COLUMNS = [
    "id",
    "post_id",
    "parent_id",
    "name",
    "email",
    "url",
    "body",
    "body_html",
    "status",
    "kind",
    "created_at",
    "ip_address",
    "user_agent",
    "original_id",
    "reply_inferred",
]
# Comment fields only our own exports carry (moderation history), with
# their defaults; kept exactly through a round trip.
EXACT_COMMENT_FIELDS = [
    (field.name, field.get_default())
    for field in Comment._meta.concrete_fields
    if field.name
    in {"moderation_rule", "moderation_note", "decided_at", "notify_replies", "reply_notified_at", "by_staff"}
]
SOURCE_FIELDS = [
    ("site", ""),
    ("key", ""),
    ("original_id", ""),
    ("original_parent_id", ""),
    ("parent_origin", ""),
    ("inferred_from", ""),
    ("extra", {}),
]
SOURCE_COLUMNS = ["comment_id", "run_id"] + [name for name, _ in SOURCE_FIELDS]


def comment_html(body):
    """The body_html Comment.save() would store (bulk_create does not call save())."""
    return comment_to_html(body)


def comment_row(comment, comment_id, post_id, parent_id, original_id):
    """The COMMENT_COLUMNS (then EXACT_COMMENT_FIELDS) row COPY writes for one comment."""
    return (
        comment_id,
        post_id,
        parent_id,
        comment.name,
        comment.email,
        comment.url,
        comment.body,
        comment.body_html if comment.body_html is not None else comment_html(comment.body),
        comment.status,
        comment.kind,
        comment.created_at,
        comment.ip_address,
        comment.user_agent,
        original_id[:64],
        comment.reply_inferred,
        *(comment.exact.get(name, default) for name, default in EXACT_COMMENT_FIELDS),
    )


class ArchiveWriter:
    def __init__(self, *, site, report, run=None, infer_replies=False, now=None, progress=None):
        self.site = site
        self.report = report
        self.run = run
        self.infer_replies = infer_replies
        self.now = now or timezone.now()
        self.progress = progress
        self.buffer = []
        self.buffered_comments = 0
        self.handled = 0
        self.taken_slugs = set()
        self.seen_keys = set()
        self.planner = ThreadPlanner(site=site, report=report, infer_replies=infer_replies, now=self.now)

    # --- public -----------------------------------------------------------

    def add(self, record):
        identity = (self.site, record.key)
        if identity in self.seen_keys:
            self.report.warn(f"{record.label or record.key}: a second item with the same key; skipped.")
            self.report.skip("duplicate items in the file")
            return
        self.seen_keys.add(identity)
        self.buffer.append(record)
        self.buffered_comments += len(record.comments)
        if self.buffered_comments >= COMMENT_BATCH or len(self.buffer) >= POST_BATCH:
            self.flush()

    def finish(self):
        self.flush()

    # --- one batch --------------------------------------------------------

    def flush(self):
        records, self.buffer, self.buffered_comments = self.buffer, [], 0
        if not records:
            return
        post_ids = self._existing_posts(records)
        new = [record for record in records if post_ids.get(id(record)) is None]
        self._create_posts(new, post_ids)
        self._link_tags(records, post_ids)
        self._write_comments(records, post_ids)

    def _identities(self, record):
        return [(self.site, record.key)] + [(s["site"], s["key"]) for s in record.other_sources]

    def _existing_posts(self, records):
        wanted = {identity for record in records for identity in self._identities(record)}
        found = _lookup(PostSource.objects, wanted, "post_id")
        post_ids = {}
        for record in records:
            post_id = next((found[i] for i in self._identities(record) if i in found), None)
            post_ids[id(record)] = post_id
            if post_id is not None:
                self.report.counts["posts_existing"] += 1
        return post_ids

    def _create_posts(self, records, post_ids):
        if not records:
            return
        slugs = self._allocate_slugs(records)
        posts = []
        for record, slug in zip(records, slugs, strict=True):
            title = record.title or "Untitled"
            if len(title) > TITLE_MAX:
                self.report.warn(f"{record.label}: title longer than {TITLE_MAX} characters; shortened.")
                record.extra.setdefault("title", title)
                title = title[: TITLE_MAX - 1] + "…"
            if record.artist is None:
                artist, album, year = parse_title(title)
            else:
                artist, album, year = record.artist, record.album, record.year
            published_at = record.published_at = record.published_at or self._fallback_date(record)
            posts.append(
                Post(
                    title=title,
                    slug=slug,
                    artist=artist[:ARTIST_MAX],
                    artist_slug=slug_for_artist(artist[:ARTIST_MAX]),
                    album=album[:ALBUM_MAX],
                    year=year,
                    body=record.body,
                    excerpt=record.excerpt,
                    published_at=published_at,
                    comments_open=record.comments_open,
                    language=record.language,
                )
            )
        Post.objects.bulk_create(posts, batch_size=INSERT_BATCH)
        sources = []
        for record, post in zip(records, posts, strict=True):
            post_ids[id(record)] = post.pk
            self.report.counts["posts_created"] += 1
            self.report.types[record.post_type or "post"] += 1
            sources.append(self._post_source(post, record))
            for other in record.other_sources:
                sources.append(PostSource(post=post, run=self.run, **_source_fields(other)))
        for source in sources:
            source.path_key = path_key(source.original_url)
        PostSource.objects.bulk_create(sources, batch_size=INSERT_BATCH)

    def _link_tags(self, records, post_ids):
        """Tag the batch's posts (new and already imported) with their records' tags.

        Only links that are missing are added, so a second run adds none;
        tags an editor removed since an earlier import come back. Three
        queries for the tags (see TagQuerySet.ids_for), one for the links
        there are, one insert.
        """
        wanted = [(record, record_tags(record)) for record in records]
        tag_ids = {}
        for exact in (False, True):  # our own exports' slugs are kept as they were
            pairs = [pair for record, tags in wanted if (record.tags is not None) == exact for pair in tags]
            if pairs:
                tag_ids |= Tag.objects.ids_for(pairs, exact_slugs=exact)
        if not tag_ids:
            return
        links = set()
        for record, tags in wanted:
            for name, _ in tags:
                tag_id = tag_ids.get(clean_tag_name(name))
                if tag_id is not None:
                    links.add((post_ids[id(record)], tag_id))
        through = Post.tags.through
        existing = set(
            through.objects.filter(post_id__in={post_id for post_id, _ in links}).values_list(
                "post_id", "tag_id"
            )
        )
        new = [through(post_id=post_id, tag_id=tag_id) for post_id, tag_id in sorted(links - existing)]
        through.objects.bulk_create(new, batch_size=INSERT_BATCH, ignore_conflicts=True)
        self.report.counts["tag_links_created"] += len(new)

    def _post_source(self, post, record):
        return PostSource(
            post=post,
            run=self.run,
            site=self.site,
            key=record.key,
            original_id=record.original_id,
            original_url=record.original_url,
            post_type=record.post_type,
            post_status=record.post_status,
            author=record.author,
            categories=record.categories,
            extra=record.extra,
        )

    def _fallback_date(self, record):
        dates = [c.created_at for c in record.comments if c.created_at]
        if dates:
            self.report.warn(f"{record.label}: no date in the file; dated by its first comment.")
            return min(dates)
        self.report.warn(f"{record.label}: no date in the file; dated now.")
        return self.now

    def _allocate_slugs(self, records):
        bases = []
        for record in records:
            if record.exact_slug and _is_slug(record.slug):
                bases.append(record.slug)  # our own export: kept as it was
                continue
            base = slugify(record.slug, allow_unicode=True)[:SLUG_BASE_MAX].strip("-")
            if not base:
                base = slugify(record.title, allow_unicode=True)[:SLUG_BASE_MAX].strip("-") or "post"
            bases.append(base)
        taken = set(Post.objects.filter(slug__in=set(bases)).values_list("slug", flat=True))
        slugs = []
        for record, base in zip(records, bases, strict=True):
            slug = base
            if slug in taken or slug in self.taken_slugs:
                pattern = rf"^{re.escape(base)}-[0-9]+$"
                taken |= set(Post.objects.filter(slug__regex=pattern).values_list("slug", flat=True))
                suffix = 2
                while f"{base}-{suffix}" in taken or f"{base}-{suffix}" in self.taken_slugs:
                    suffix += 1
                slug = f"{base}-{suffix}"
                if record.other_sources or record.artist is not None:
                    self.report.warn(f"{record.label}: slug {base!r} is taken here; imported as {slug!r}.")
            self.taken_slugs.add(slug)
            slugs.append(slug)
        return slugs

    # --- comments ---------------------------------------------------------

    def _comment_identities(self, comment):
        return [(self.site, comment.key)] + [(s["site"], s["key"]) for s in comment.other_sources]

    def _write_comments(self, records, post_ids):
        # Comments an earlier import brought (only possible on known posts).
        known_post_records = [r for r in records if r.comments and post_ids[id(r)]]
        wanted = {
            identity
            for record in records
            for comment in record.comments
            for identity in self._comment_identities(comment)
        }
        existing = _lookup(CommentSource.objects, wanted, "comment_id") if wanted else {}
        parent_keys = {
            (self.site, c.parent_key) for r in records for c in r.comments if c.parent_key is not None
        }
        parents_in_db = {}
        if parent_keys:
            rows = CommentSource.objects.filter(_identity_q(parent_keys)).values_list(
                "site", "key", "comment_id", "comment__post_id", "comment__depth"
            )
            parents_in_db = {(site, key): (cid, post_id, depth) for site, key, cid, post_id, depth in rows}
        names_in_db = self._names_in_db(known_post_records, post_ids) if self.infer_replies else {}

        plan = []  # (record, comment, parent_id or key, depth)
        for record in records:
            post_id = post_ids[id(record)]
            fresh = []
            for comment in record.comments:
                identities = self._comment_identities(comment)
                if any(i in existing for i in identities):
                    self.report.counts["comments_existing"] += 1
                else:
                    fresh.append(comment)
            if record.comments:
                self.report.counts["posts_with_comments"] += 1
            if fresh:
                plan.extend(self.planner.order(record, post_id, fresh, parents_in_db, names_in_db))
        if not plan:
            return
        ids = _next_comment_ids(len(plan))
        id_of = {}
        depth_of = {}
        run_id = self.run.pk if self.run else None
        comments, sources = [], []
        for (record, comment, parent, depth), new_id in zip(plan, ids, strict=True):
            if isinstance(parent, str):  # the key of a comment in this batch
                parent_id, depth = id_of[parent], depth_of[parent] + 1
            else:
                parent_id = parent
            id_of[comment.key] = new_id
            depth_of[comment.key] = depth
            original_id = (
                comment.original_id if comment.comment_original_id is None else comment.comment_original_id
            )
            check_body(comment, f"{record.label}, comment {original_id or comment.key}", self.report)
            comments.append(comment_row(comment, new_id, post_ids[id(record)], parent_id, original_id))
            sources.append(
                (
                    new_id,
                    run_id,
                    self.site,
                    comment.key,
                    comment.original_id[:64],
                    comment.original_parent_id[:64],
                    comment.parent_origin or "",
                    comment.inferred_from[:200],
                    comment.extra,
                )
            )
            for other in comment.other_sources:
                sources.append(
                    (new_id, run_id, *(other.get(name, default) for name, default in SOURCE_FIELDS))
                )
            self._count(comment, depth, parent_id)
        copy_into(Comment, COMMENT_COLUMNS + [name for name, _ in EXACT_COMMENT_FIELDS], comments)
        copy_into(CommentSource, SOURCE_COLUMNS, sources)

    def _count(self, comment, depth, parent_id):
        report = self.report
        report.counts["comments_created"] += 1
        report.kinds[comment.kind] += 1
        report.statuses[comment.status] += 1
        report.depths[depth] += 1
        if parent_id is not None:
            report.counts["replies"] += 1
        if comment.parent_origin in CommentSource.INFERRED_ORIGINS:
            report.counts[f"replies_{comment.parent_origin}"] += 1
        self.handled += 1
        if self.progress and self.handled % PROGRESS_EVERY == 0:
            self.progress(self.handled)

    def _names_in_db(self, records, post_ids):
        """For @name inference on posts an earlier import brought: their comments' names."""
        ids = [post_ids[id(r)] for r in records]
        if not ids:
            return {}
        names = {}
        rows = (
            Comment.objects.filter(post_id__in=ids, kind=Comment.Kind.COMMENT)
            .order_by("created_at", "id")
            .values_list("post_id", "name", "id", "depth", "created_at")
        )
        for post_id, name, comment_id, depth, created_at in rows:
            names.setdefault(post_id, []).append((name, comment_id, depth, created_at))
        return names


def record_tags(record):
    """[(name, fallback slug)] for a record: our exports' tags exactly, else its
    WordPress categories and tags (an older export of ours: its sources' ones)."""
    if record.tags is not None:
        return [(tag.get("name") or "", tag.get("slug") or "") for tag in record.tags]
    categories = record.categories or [
        category for source in record.other_sources for category in source.get("categories") or []
    ]
    tags = []
    for category in categories:
        domain = (category.get("domain") or "").strip()
        if domain not in TAG_DOMAINS:
            continue
        nicename = unquote(category.get("slug") or "").strip()
        name = category.get("name") or nicename
        if domain in {"", "category"} and DEFAULT_CATEGORY in {nicename.lower(), name.strip().lower()}:
            continue
        tags.append((name, nicename))
    return tags


def _is_slug(value):
    try:
        validate_unicode_slug(value)
    except ValidationError:
        return False
    return len(value) <= SLUG_MAX


def _identity_q(identities):
    by_site = {}
    for site, key in identities:
        by_site.setdefault(site, set()).add(key)
    q = Q()
    for site, keys in by_site.items():
        q |= Q(site=site, key__in=keys)
    return q


def _lookup(manager, identities, column):
    if not identities:
        return {}
    rows = manager.filter(_identity_q(identities)).values_list("site", "key", column)
    return {(site, key): value for site, key, value in rows}


def _source_fields(source):
    allowed = {
        "site",
        "key",
        "original_id",
        "original_url",
        "post_type",
        "post_status",
        "author",
        "categories",
        "extra",
        "original_parent_id",
        "parent_origin",
        "inferred_from",
    }
    return {name: value for name, value in source.items() if name in allowed}


def _next_comment_ids(count):
    """Draw `count` ids from the comments' sequence (one query), so replies can name parents in one INSERT."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('comments_comment', 'id')) FROM generate_series(1, %s)",
            [count],
        )
        return [row[0] for row in cursor.fetchall()]
