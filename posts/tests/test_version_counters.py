"""Page and list versions are counters the database bumps at commit, never write times.

Committed transactions (transaction=True): the site version is bumped by a
deferred trigger, in the writing transaction's COMMIT
(posts/migrations/0010_version_counters.py).
"""

import contextlib

import psycopg2
import pytest
from django.db import connection, transaction

from conftest import make_comment, make_post
from posts.models import Post, SiteVersion

pytestmark = pytest.mark.django_db(transaction=True)


@contextlib.contextmanager
def other_session():
    """A second database session, as another app server's would be."""
    session = psycopg2.connect(**connection.get_connection_params())
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def stamp(post):
    return Post.objects.page_stamp(post.slug).version


def test_a_queryset_update_is_a_new_version_of_the_page_and_the_lists():
    post = make_post(title="Old - Title (1960)")
    page, lists = stamp(post), SiteVersion.current()[0]
    Post.objects.filter(pk=post.pk).update(title="New - Title (1960)")  # no updated_at, no save()
    assert stamp(post) != page
    assert SiteVersion.current()[0] != lists


def test_a_save_with_stale_counters_still_makes_a_new_version():
    post = make_post()
    stale = Post.objects.get(pk=post.pk)  # read before the comment
    make_comment(post)
    after_comment = stamp(post)
    stale.title = "Retitled - Album (1970)"
    stale.save()  # writes the thread_version it read, older than the database's
    assert stamp(post) not in (after_comment,)
    assert Post.objects.get(pk=post.pk).page_version > stale.page_version


def test_a_transaction_that_commits_late_still_changes_the_list_version():
    early, late = make_post(), make_post()
    with other_session() as slow:
        with slow.cursor() as cursor:  # begins, writes, does not commit yet
            cursor.execute("UPDATE posts_post SET title = 'Slow - Edit (1970)' WHERE id = %s", [early.pk])
        make_comment(late)  # a later transaction, committed first
        seen = SiteVersion.current()[0]
        slow.commit()
    assert SiteVersion.current()[0] != seen


def test_a_long_transaction_writing_posts_does_not_block_commenters():
    busy, other = make_post(), make_post()
    with other_session() as long_import:
        with long_import.cursor() as cursor:
            cursor.execute("UPDATE posts_post SET title = 'Importing - Now (1970)' WHERE id = %s", [busy.pk])
            cursor.execute(
                "INSERT INTO posts_post (title, slug, artist, artist_slug, album, body, excerpt,"
                " published_at, comments_open, created_at, updated_at, thread_version,"
                " response_count, page_version)"
                " VALUES ('New', 'new-import', '', '', '', '', '', now(), true, now(), now(), 0, 0, 0)"
            )
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            make_comment(other, name="not kept waiting")  # commits: bumps the site version at once
        before_import_commits = SiteVersion.current()[0]
        long_import.commit()
    assert SiteVersion.current()[0] != before_import_commits


def test_one_bump_per_transaction_however_many_rows_and_statements():
    posts = [make_post() for _ in range(5)]
    before = SiteVersion.objects.get(pk=1).version
    with transaction.atomic():
        for _ in range(3):
            Post.objects.filter(pk__in=[post.pk for post in posts]).update(comments_open=False)
    # One sequence: 15 new page versions during the statements, then the
    # site version once, at the commit.
    assert SiteVersion.objects.get(pk=1).version == before + 15 + 1


def test_versions_never_repeat_after_the_tables_are_emptied():
    post = make_post()
    seen = {SiteVersion.current()[0], Post.objects.get(pk=post.pk).page_version}
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE posts_post, posts_siteversion CASCADE")
    again = make_post(slug=post.slug, published_at=post.published_at)  # as a restore would
    assert SiteVersion.current()[0] not in seen
    assert Post.objects.get(pk=again.pk).page_version not in seen
