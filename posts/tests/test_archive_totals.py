"""The archive's size from the totals the database keeps (posts/migrations/0012_archive_totals.py).

Committed transactions (transaction=True), as in production: the totals
move in the deferred trigger, at each writing transaction's COMMIT.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from comments.models import Comment
from conftest import make_comment, make_post
from posts.models import ArchiveSize, Post
from posts.tests.test_version_counters import other_session

pytestmark = pytest.mark.django_db(transaction=True)


def recounted():
    """What the totals stand for, counted the slow way."""
    totals = Post.objects.published().aggregate(
        posts=Count("id"), responses=Coalesce(Sum("response_count"), 0)
    )
    return ArchiveSize(**totals)


def test_the_size_follows_every_kind_of_write():
    first, second = make_post(), make_post()
    approved = [make_comment(first) for _ in range(3)]
    held = make_comment(second, status=Comment.Status.PENDING)
    assert ArchiveSize.published() == recounted() == ArchiveSize(posts=2, responses=3)

    held.status = Comment.Status.APPROVED
    held.save()
    approved[0].status = Comment.Status.SPAM
    approved[0].save()
    Comment.objects.filter(pk=approved[1].pk).delete()
    assert ArchiveSize.published() == recounted() == ArchiveSize(posts=2, responses=2)

    with transaction.atomic():  # many rows and statements in one transaction
        third = make_post()
        for _ in range(4):
            make_comment(third)
        Post.objects.filter(pk=first.pk).update(title="Renamed - Album (1970)")
    assert ArchiveSize.published() == recounted() == ArchiveSize(posts=3, responses=6)

    second.delete()  # its comments go with it
    assert ArchiveSize.published() == recounted() == ArchiveSize(posts=2, responses=5)


def test_a_scheduled_post_counts_once_its_time_comes():
    make_comment(make_post())
    scheduled = make_post(published_at=timezone.now() + timedelta(hours=1))
    make_comment(scheduled)
    assert ArchiveSize.published() == ArchiveSize(posts=1, responses=1)

    later = timezone.now() + timedelta(hours=2)  # no write in between
    assert ArchiveSize.published(now=later) == ArchiveSize(posts=2, responses=2)


def test_a_rolled_back_transaction_leaves_the_totals_alone():
    make_comment(make_post())
    with pytest.raises(RuntimeError), transaction.atomic():
        make_comment(make_post())
        raise RuntimeError("rolled back")
    assert ArchiveSize.published() == recounted() == ArchiveSize(posts=1, responses=1)


def test_emptied_tables_start_again_from_zero():
    make_comment(make_post())
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE posts_post CASCADE")
    assert ArchiveSize.published() == ArchiveSize(posts=0, responses=0)
    make_comment(make_post())
    assert ArchiveSize.published() == ArchiveSize(posts=1, responses=1)


def test_transactions_committing_at_once_all_count():
    posts = [make_post() for _ in range(4)]
    # One transaction holds its commit back while others write and commit.
    with other_session() as slow:
        with slow.cursor() as cursor:
            cursor.execute(
                "INSERT INTO posts_post (title, slug, artist, artist_slug, album, body, excerpt,"
                " published_at, comments_open, created_at, updated_at, thread_version,"
                " response_count, page_version)"
                " VALUES ('Slow', 'slow-import', '', '', '', '', '', now(), true, now(), now(), 0, 7, 0)"
            )
        errors = []

        def comment_on(post):
            try:
                for _ in range(5):
                    make_comment(post)
            except Exception as error:  # noqa: BLE001 (reported below)
                errors.append(error)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=comment_on, args=(post,)) for post in posts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        slow.commit()
    assert errors == []
    assert ArchiveSize.published() == recounted() == ArchiveSize(posts=5, responses=4 * 5 + 7)


def test_reading_the_size_scans_no_table(django_assert_num_queries):
    for _ in range(300):
        make_post()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE posts_post")
    with django_assert_num_queries(1) as captured:
        assert ArchiveSize.published().posts == 300
    sql = captured.captured_queries[0]["sql"]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan on posts_post" not in plan, plan
