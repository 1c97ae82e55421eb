"""Page versions remembered per process, dropped when PostgreSQL notifies a change."""

import time

import pytest
from django.db import connection

from conftest import make_comment, make_post
from posts.stamps import stamp_cache

pytestmark = pytest.mark.django_db(transaction=True)  # notifications come on commit


@pytest.fixture(autouse=True)
def listening(settings):
    settings.PAGE_STAMP_LISTEN = True
    stamp_cache.close()
    yield
    stamp_cache.close()  # the test database cannot be dropped while listened to


def eventually(check, seconds=5):
    """Wait (bounded) for an asynchronous notification to arrive."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_a_cache_hit_needs_no_query(client, django_assert_num_queries):
    post = make_post()
    make_comment(post, name="first reader")
    client.get(post.get_absolute_url())
    with django_assert_num_queries(0):
        response = client.get(post.get_absolute_url())
    assert "first reader" in response.content.decode()


def test_a_committed_reply_shows_once_notified(client):
    post = make_post()
    client.get(post.get_absolute_url())
    make_comment(post, name="late reader")  # committed: PostgreSQL notifies listeners
    assert eventually(lambda: "late reader" in client.get(post.get_absolute_url()).content.decode())


def test_an_edited_post_shows_once_notified(client):
    post = make_post(title="Old - Title (1960)")
    client.get(post.get_absolute_url())
    post.title = "New - Title (1960)"
    post.save()
    assert eventually(lambda: "New - Title" in client.get(post.get_absolute_url()).content.decode())


def test_a_lost_listening_connection_falls_back_to_the_database(client, django_assert_num_queries):
    post = make_post()
    client.get(post.get_absolute_url())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [stamp_cache._listener.get_backend_pid()])
    # The next view notices the broken listener and reads the version itself
    # (its page is still cached: one query).
    assert eventually(lambda: _listener_broken(post, client))
    make_comment(post, name="while deaf")
    # version, then a miss: post, top-level ids, page; and the header's site
    # version and archive years (the new comment changed the site version)
    with django_assert_num_queries(6):
        assert "while deaf" in client.get(post.get_absolute_url()).content.decode()


def _listener_broken(post, client):
    client.get(post.get_absolute_url())
    return stamp_cache._listener is None


def test_unknown_slugs_are_never_remembered(client):
    assert client.get("/2009/05/not-yet/").status_code == 404
    post = make_post(title="not yet")
    assert client.get(post.get_absolute_url()).status_code == 200


def test_a_listener_gone_silent_costs_at_most_the_memory_time(client, settings):
    # As if a NAT dropped the connection without a word: nothing arrives,
    # nothing fails. The remembered stamp is forgotten all the same.
    settings.PROCESS_MEMORY_SECONDS = 0.5
    post = make_post()
    client.get(post.get_absolute_url())
    with stamp_cache._listener.cursor() as cursor:
        cursor.execute("UNLISTEN *")
    make_comment(post, name="unannounced")
    assert eventually(
        lambda: "unannounced" in client.get(post.get_absolute_url()).content.decode(), seconds=3
    )


def test_stamps_are_remembered_for_the_memory_time_only(client, settings, django_assert_num_queries):
    settings.PROCESS_MEMORY_SECONDS = 0.2
    post = make_post()
    client.get(post.get_absolute_url())
    with django_assert_num_queries(0):
        client.get(post.get_absolute_url())
    time.sleep(0.3)
    with django_assert_num_queries(1):  # the stamp again; the page is still cached
        client.get(post.get_absolute_url())
