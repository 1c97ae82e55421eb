"""A million comments for the query plans, built in SQL with the thread trigger on.

Posts come from bulk_create (the model's own columns, whatever they
become); comments from one INSERT … SELECT generate_series statement per
depth, top-level first, each reply naming a random comment of the depth
above (whose ids are one contiguous range, inserted by one statement), so
the trigger computes every path and depth as it does for a reader's reply.
Then VACUUM ANALYZE, as autovacuum would have done on a live site.

Runs inside a Django process (bench.inproc build_big) on an empty,
migrated scratch database.
"""

import time
from datetime import UTC, datetime, timedelta

# Share of all comments at each depth: 20% start a conversation.
DEPTH_SHARES = {1: 0.20, 2: 0.32, 3: 0.24, 4: 0.16, 5: 0.08}
FIRST_POST = datetime(2008, 1, 1, 9, 0, tzinfo=UTC)
POST_EVERY = timedelta(hours=8)

POOL = (
    "Thanks for posting this one, I have been looking for the mono pressing for years. "
    "The trumpet on the title track still gives me chills, and the way the brushes sit under "
    "the bass is pure night-time Paris. My father had this on a scratched LP; hearing it clean "
    "is something else. Could you reupload the second side? The link seems dead now. "
) * 8

# Columns set by these statements; every other column gets its model
# default (or NULL), so a column added later does not break the build.
TOP_LEVEL = {
    "post_id": "b.pick",
    "parent_id": "NULL",
    "created_at": "p.published_at + b.r2 * interval '730 days'",
}
REPLY = {
    "post_id": "parent.post_id",
    "parent_id": "parent.id",
    "created_at": "parent.created_at + b.r2 * interval '30 days'",
}
COMMON = {
    "name": "'reader' || (b.g % 5000)",
    "email": "'reader' || (b.g % 5000) || '@example.com'",
    "url": "CASE WHEN b.g % 3 = 0 THEN 'https://reader' || (b.g % 5000) || '.example.net/' ELSE '' END",
    "body": "b.body",
    "body_html": "'<p>' || b.body || '</p>'",
    "status": "CASE WHEN b.r < 0.02 THEN 'pending' WHEN b.r < 0.03 THEN 'spam' ELSE 'approved' END",
    "kind": "'comment'",
    "ip_address": "('10.' || (b.g % 250) || '.' || (b.g / 250 % 250) || '.1')::inet",
    "user_agent": "'Mozilla/5.0 (X11; Linux x86_64) bench'",
}
# path and depth: the trigger's.
SKIPPED = {"id", "path", "depth"}

BATCH_SOURCE = """
    SELECT g, random() AS r, random() AS r2,
           substr(%(pool)s, 1 + g %% 400, 50 + floor(power(random(), 2) * 1450)::int) AS body,
           {pick} AS pick
      FROM generate_series(1, %(count)s) AS g
"""


def _other_columns(cursor):
    """{column: SQL literal} for columns the statements do not set themselves."""
    from django.db import connection

    from comments.models import Comment

    columns = {}
    for field in Comment._meta.concrete_fields:
        if field.column in SKIPPED or field.column in COMMON or field.column in TOP_LEVEL:
            continue
        if field.null:
            columns[field.column] = "NULL"
        elif not field.has_db_default():
            value = field.get_db_prep_save(field.get_default(), connection)
            columns[field.column] = cursor.cursor.mogrify("%s", [value]).decode()
    return columns


def _insert(cursor, count, specific, pick, joins):
    """One INSERT … SELECT of count comments (the trigger runs for each row)."""
    columns = {**COMMON, **specific, **_other_columns(cursor)}
    select = ", ".join(columns.values()).replace("%", "%%")
    source = BATCH_SOURCE.format(pick=pick)
    # Column names and expressions are this module's constants.
    statement = f"INSERT INTO comments_comment ({', '.join(columns)}) SELECT {select} FROM ({source}) AS b {joins} ORDER BY b.g"  # noqa: S608
    cursor.execute(statement, {"pool": POOL, "count": count})


def _foreign_key_checks(cursor, enabled):
    """Turn the foreign-key checks of comments_comment off or on; True if that was allowed.

    Every row below names a post and parent that exist (they come from
    joins), so the bulk load skips re-checking them, as pg_restore
    --disable-triggers does. The thread trigger and every other trigger
    of the app stay on. Needs a superuser; without one the checks run.
    """
    from django.db import DatabaseError, transaction

    try:
        with transaction.atomic():
            if enabled:
                cursor.execute("ALTER TABLE comments_comment ENABLE TRIGGER ALL")
            else:
                cursor.execute("ALTER TABLE comments_comment DISABLE TRIGGER ALL")
                cursor.execute("ALTER TABLE comments_comment ENABLE TRIGGER USER")
    except DatabaseError:
        return False
    return True


def build(total_comments, post_count):
    """Insert post_count posts and about total_comments comments; return timings and counts."""
    from django.db import connection

    from posts.models import Post

    timings = {}
    started = time.perf_counter()
    Post.objects.bulk_create(
        (
            Post(
                title=f"Artist {number} - Album {number} (1970)",
                slug=f"bench-post-{number}",
                artist=f"Artist {number}",
                album=f"Album {number}",
                year=1970,
                body="<p>" + POOL[:1200] + "</p>",
                published_at=FIRST_POST + POST_EVERY * number,
            )
            for number in range(post_count)
        ),
        batch_size=2000,
    )
    timings["posts_s"] = time.perf_counter() - started
    levels = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM posts_post")
        first_post, last_post = cursor.fetchone()
        cursor.execute("SELECT setseed(0.42)")
        foreign_keys_off = _foreign_key_checks(cursor, enabled=False)
        for depth, share in DEPTH_SHARES.items():
            count = round(total_comments * share)
            started = time.perf_counter()
            if depth == 1:
                # Popular posts get most conversations: the first post about
                # 1% of them, a median one about 0.07%.
                pick = f"{first_post} + floor({last_post - first_post + 1} * power(random(), 2))::bigint"
                joins = "JOIN posts_post AS p ON p.id = b.pick"
                _insert(cursor, count, TOP_LEVEL, pick, joins)
            else:
                low, high, above = levels[depth - 1]
                if high - low + 1 != above:
                    raise RuntimeError(f"depth {depth - 1} ids are not contiguous; cannot pick parents")
                pick = f"{low} + floor(random() * {above})::bigint"
                joins = "JOIN comments_comment AS parent ON parent.id = b.pick"
                _insert(cursor, count, REPLY, pick, joins)
            cursor.execute(
                "SELECT min(id), max(id), count(*) FROM comments_comment WHERE depth = %s", [depth]
            )
            levels[depth] = cursor.fetchone()
            timings[f"depth_{depth}_s"] = time.perf_counter() - started
        if foreign_keys_off:
            _foreign_key_checks(cursor, enabled=True)
        started = time.perf_counter()
        cursor.execute("VACUUM ANALYZE comments_comment")
        cursor.execute("VACUUM ANALYZE posts_post")
        timings["vacuum_analyze_s"] = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM comments_comment")
        (comments,) = cursor.fetchone()
        cursor.execute(
            "SELECT post_id, count(*) FROM comments_comment GROUP BY post_id ORDER BY count(*) DESC, post_id LIMIT 1"
        )
        biggest_post, biggest_count = cursor.fetchone()
        cursor.execute(
            "SELECT id FROM comments_comment WHERE post_id = %s AND status = 'approved' AND depth = 2 "
            "ORDER BY id OFFSET (SELECT count(*) / 2 FROM comments_comment WHERE post_id = %s AND depth = 2) "
            "LIMIT 1",
            [biggest_post, biggest_post],
        )
        (parent_id,) = cursor.fetchone()
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('comments_comment'))")
        (table_size,) = cursor.fetchone()
    post = Post.objects.get(pk=biggest_post)
    middle = Post.objects.order_by("published_at")[post_count // 2].published_at
    return {
        "comments": comments,
        "posts": post_count,
        "table_size": table_size,
        "timings": timings,
        "foreign_key_checks_during_load": not foreign_keys_off,
        "post_url": post.get_absolute_url(),
        "post_comments": biggest_count,
        "parent_id": parent_id,
        "year": middle.year,
        "month": middle.month,
    }
