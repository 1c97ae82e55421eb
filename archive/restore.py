"""Our own export read back as a restore: every post and comment keeps its id.

An export of ours is not a foreign blog: restoring it into an empty
database gives back the archive it came from, ids and permalinks
(`/comments/<id>/`) included, and records no source for it (a second
export is then the same file). Its posts and comments are known by their
ids: a second import of the same file, or a newer export, adds only the
ids not here yet. A post whose id (or slug) belongs to another post
here, or one of whose comment ids belongs to another comment, is from
another archive: it is merged as any imported post is (new ids, and a
source record naming the export's site, as ArchiveWriter does).
"""

from django.db import connection

from archive.bulk import copy_into
from archive.models import CommentSource, PostSource, path_key
from archive.writer import (
    ARTIST_MAX,
    COMMENT_COLUMNS,
    EXACT_COMMENT_FIELDS,
    SOURCE_COLUMNS,
    SOURCE_FIELDS,
    ArchiveWriter,
    _source_fields,
    comment_row,
)
from comments.models import Comment
from posts.models import Post, slug_for_artist
from wflm.ids import parse_id


def is_our_export(record):
    """Records read from our own JSON or WXR export (wflm_json.post_record) say so."""
    return record.exact_slug and record.artist is not None and parse_id(record.key) is not None


class RestoreWriter(ArchiveWriter):
    def flush(self):
        records, self.buffer, self.buffered_comments = self.buffer, [], 0
        if not records:
            return
        exact, merged, post_ids = self._by_id(records)
        self._restore_posts([r for r in exact if post_ids[id(r)] is None], post_ids)
        self._link_tags(exact, post_ids)
        self._restore_comments(exact, post_ids)
        if merged:
            self.buffer = merged
            super().flush()

    def finish(self):
        super().finish()
        # Ids were given, not drawn: the next post or comment must not reuse one.
        with connection.cursor() as cursor:
            for table in (Post._meta.db_table, Comment._meta.db_table):
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                sequence = cursor.fetchone()[0]
                cursor.execute(
                    f"SELECT (SELECT MAX(id) FROM {connection.ops.quote_name(table)}), "  # noqa: S608
                    f"last_value, is_called FROM {sequence}"  # (names from the models and the catalog)
                )
                highest, last_value, is_called = cursor.fetchone()
                if highest is not None and (
                    highest > last_value or (highest == last_value and not is_called)
                ):
                    cursor.execute("SELECT setval(%s, %s)", [sequence, highest])

    def _by_id(self, records):
        """(records restored by id, records merged, {id(record): existing post id or None})."""
        ids = {parse_id(r.key) for r in records} - {None}
        slugs = {r.slug for r in records}
        posts = dict(Post.objects.filter(id__in=ids).values_list("id", "slug"))
        slug_owners = dict(Post.objects.filter(slug__in=slugs).values_list("slug", "id"))
        comment_ids = {parse_id(c.key) for r in records for c in r.comments} - {None}
        comment_posts = dict(Comment.objects.filter(id__in=comment_ids).values_list("id", "post_id"))
        exact, merged, post_ids = [], [], {}
        for record in records:
            post_id = parse_id(record.key)
            same = post_id is not None and posts.get(post_id) == record.slug
            free = post_id is not None and post_id not in posts and record.slug not in slug_owners
            comments_fit = all(
                parse_id(c.key) is not None
                and (c.parent_key is None or parse_id(c.parent_key) is not None)
                and comment_posts.get(parse_id(c.key), post_id) == post_id
                for c in record.comments
            )
            if (same or free) and comments_fit:
                exact.append(record)
                post_ids[id(record)] = post_id if same else None
                if same:
                    self.report.counts["posts_existing"] += 1
            else:
                merged.append(record)
        self.existing_comments = set(comment_posts)
        return exact, merged, post_ids

    def _restore_posts(self, records, post_ids):
        posts = []
        for record in records:
            posts.append(
                Post(
                    id=int(record.key),
                    title=record.title,
                    slug=record.slug,
                    artist=record.artist[:ARTIST_MAX],
                    artist_slug=slug_for_artist(record.artist[:ARTIST_MAX]),
                    album=record.album,
                    year=record.year,
                    body=record.body,
                    excerpt=record.excerpt,
                    published_at=record.published_at or self._fallback_date(record),
                    comments_open=record.comments_open,
                    language=record.language,
                )
            )
        Post.objects.bulk_create(posts)
        sources = []
        for record, post in zip(records, posts, strict=True):
            post_ids[id(record)] = post.pk
            self.report.counts["posts_created"] += 1
            self.report.types[record.post_type or "post"] += 1
            # The sources it had (earlier imports), never one for this export.
            for other in record.other_sources:
                source = PostSource(post=post, run=self.run, **_source_fields(other))
                source.path_key = path_key(source.original_url)
                sources.append(source)
        PostSource.objects.bulk_create(sources)

    def _restore_comments(self, records, post_ids):
        fresh = [
            (record, comment)
            for record in records
            for comment in record.comments
            if int(comment.key) not in self.existing_comments
        ]
        for record in records:
            if record.comments:
                self.report.counts["posts_with_comments"] += 1
        self.report.counts["comments_existing"] += sum(len(r.comments) for r in records) - len(fresh)
        if not fresh:
            return
        outside = {int(c.parent_key) for _, c in fresh if c.parent_key} - {int(c.key) for _, c in fresh}
        depth_of = dict(Comment.objects.filter(id__in=outside).values_list("id", "depth"))
        run_id = self.run.pk if self.run else None
        comments, sources = [], []
        # Parents come before their replies in an export (thread order), as the thread trigger needs.
        for record, comment in fresh:
            comment_id = int(comment.key)
            parent_id = int(comment.parent_key) if comment.parent_key else None
            depth = depth_of.get(parent_id, 0) + 1 if parent_id else 1
            depth_of[comment_id] = depth
            comments.append(
                comment_row(
                    comment, comment_id, post_ids[id(record)], parent_id, comment.comment_original_id or ""
                )
            )
            for other in comment.other_sources:
                sources.append(
                    (comment_id, run_id, *(other.get(name, default) for name, default in SOURCE_FIELDS))
                )
            self._count(comment, depth, parent_id)
        copy_into(Comment, COMMENT_COLUMNS + [name for name, _ in EXACT_COMMENT_FIELDS], comments)
        copy_into(CommentSource, SOURCE_COLUMNS, sources)
