"""Shared test helpers: settings for speed, and plain factories."""

import itertools
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from comments.models import Comment
from comments.moderation import form_timestamp
from posts import pagecache
from posts.models import Post
from posts.templatetags import site_nav

_sequence = itertools.count(1)


@pytest.fixture(autouse=True)
def _fast_and_simple_settings(settings):
    # Cached pages must not leak from one test into the next.
    cache.clear()
    pagecache._recent.clear()
    site_nav.clear()  # the header's archive years, held per process
    # Test transactions never commit, so PostgreSQL never notifies: read
    # page versions every time (posts/tests/test_stamps.py covers listening).
    settings.PAGE_STAMP_LISTEN = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests render templates without running collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _site_version_bumped_per_statement(request):
    """Test transactions never commit, so deferred triggers would never fire.

    The site version is bumped at commit (posts/migrations/0010); inside a
    test's transaction it is bumped at each statement instead, as it would
    be at each commit. posts/tests/test_version_counters.py checks the
    commit-time behaviour with committed transactions.
    """
    if not (
        request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(request.fixturenames)
    ):
        return
    request.getfixturevalue("_django_db_helper")
    if connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS posts_post_site_version IMMEDIATE")


def make_post(**fields):
    number = next(_sequence)
    defaults = {
        "title": f"Artist {number} - Album {number} (1970)",
        "body": "<p>A writeup.</p>",
        "published_at": timezone.now() - timezone.timedelta(days=1),
    }
    return Post.objects.create(**(defaults | fields))


def make_comment(post, **fields):
    defaults = {
        "name": "Reader",
        "email": "reader@example.com",
        "body": "A response.",
        "status": Comment.Status.APPROVED,
    }
    return Comment.objects.create(post=post, **(defaults | fields))


def make_form_timestamp(seconds_ago=60):
    """The comment form's signed "ts" value, as if its page was rendered seconds_ago."""
    return form_timestamp(at=time.time() - seconds_ago)


@pytest.fixture
def post(db):
    return make_post()


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("moderator", "mod@example.com", "password")
    client.force_login(user)
    return client
