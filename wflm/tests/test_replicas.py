"""Read replicas: where each query goes, and the pin that follows a write.

Two replica aliases point at the test database as test mirrors, as real
replicas do in tests. Each has its own connection and, in a `db` test,
its own transaction, so it sees none of the rows the test makes: a
replica that has replayed nothing yet. A page read from it misses the test's post
and comments; read from the primary, it has them. (A real streaming
replica, with replay paused, is in the cluster test.)
"""

import contextlib
import os
import socket
import subprocess
import sys
import types
from pathlib import Path

import pytest
from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.test import Client

from comments.models import Comment
from conftest import make_comment, make_form_timestamp, make_post
from posts.models import Post
from wflm import replicas

BASE_DIR = Path(__file__).resolve().parent.parent.parent
REPLICAS = ("replica1", "replica2")
DATABASES = [DEFAULT_DB_ALIAS, *REPLICAS]
REPLY = {"name": "Ada", "email": "ada@example.com", "url": "", "body": "My own reply."}
WRITTEN_AT = 1_800_000_000.0  # the moment of the POST, for the signing clock


@pytest.fixture(scope="module", autouse=True)
def replica_aliases(django_db_setup):
    """replica1 and replica2 for this module, mirrors of the test database (and no other replica)."""
    saved = {alias: settings.DATABASES.pop(alias) for alias in replicas.replica_aliases()}
    _forget_connections(saved)
    primary = connections[DEFAULT_DB_ALIAS].settings_dict  # names the test database by now
    for alias in REPLICAS:
        settings.DATABASES[alias] = {**primary, "TEST": {**primary["TEST"], "MIRROR": DEFAULT_DB_ALIAS}}
    yield REPLICAS
    _forget_connections(REPLICAS)
    for alias in REPLICAS:
        del settings.DATABASES[alias]
    settings.DATABASES.update(saved)


def _forget_connections(aliases):
    for alias in aliases:
        if hasattr(connections._connections, alias):
            connections[alias].close()
            del connections[alias]


@pytest.fixture(autouse=True)
def _fresh_renders(settings):
    # Every view renders (no page cache), so its reads show where they went.
    settings.PAGE_CACHE_SECONDS = 0
    settings.REPLICA_PIN_SECONDS = 10
    # A first-time commenter's reply shows at once (not held), so the pinned
    # client can find it by its permalink.
    settings.COMMENTS_REQUIRE_PREVIOUSLY_APPROVED = False


@pytest.fixture
def clock(monkeypatch):
    """The clock the pin cookie is signed and checked by (django.core.signing's only)."""
    clock = types.SimpleNamespace(now=WRITTEN_AT)
    monkeypatch.setattr(signing, "time", types.SimpleNamespace(time=lambda: clock.now))
    return clock


@contextlib.contextmanager
def queries_by_alias():
    """{alias: [sql, ...]} of the queries run within, for the primary and each replica."""
    used = {alias: [] for alias in DATABASES}
    with contextlib.ExitStack() as stack:
        for alias, statements in used.items():
            stack.enter_context(connections[alias].execute_wrapper(_recorder(statements)))
        yield used


def _recorder(statements):
    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    return record


def replica_queries(used):
    return [sql for alias in REPLICAS for sql in used[alias]]


def post_reply(client, post):
    """The "Leave a Reply" POST of the post page, as a browser sends it."""
    return client.post(
        post.get_absolute_url(), REPLY | {"ts": make_form_timestamp()}, REMOTE_ADDR="192.0.2.10"
    )


# --- Settings --------------------------------------------------------------------------

PRIMARY = {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": "wflm",
    "USER": "wflm",
    "PASSWORD": "secret",
    "HOST": "db1.example.org",
    "PORT": 5432,
    "OPTIONS": {"sslmode": "require"},
    "CONN_MAX_AGE": 60,
    "CONN_HEALTH_CHECKS": True,
    "TEST": {"NAME": "test_wflm"},
}


@pytest.mark.parametrize("urls", ["", " ", ",", " , "])
def test_no_replica_urls_make_no_aliases(urls):
    assert replicas.replica_databases(urls, PRIMARY) == {}


def test_one_replica_url_makes_replica1_with_the_primarys_connection_handling():
    databases = replicas.replica_databases("postgres://reader:pw@db2.example.org:5433/wflm", PRIMARY)

    assert databases == {
        "replica1": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "wflm",
            "USER": "reader",
            "PASSWORD": "pw",
            "HOST": "db2.example.org",
            "PORT": 5433,
            # Its own options only: the primary's sslmode is not the replica's to inherit.
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "TEST": {"MIRROR": "default"},
        }
    }


def test_two_replica_urls_make_replica1_and_replica2_in_order():
    databases = replicas.replica_databases(
        " postgres://db2.example.org/wflm?sslmode=verify-full , postgres:///wflm?host=/run/postgresql ",
        PRIMARY,
    )

    assert list(databases) == ["replica1", "replica2"]
    assert databases["replica1"]["HOST"] == "db2.example.org"
    assert databases["replica1"]["OPTIONS"] == {"sslmode": "verify-full"}
    assert databases["replica2"]["OPTIONS"] == {"host": "/run/postgresql"}
    for config in databases.values():
        assert (config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"]) == (60, True)
        assert config["TEST"] == {"MIRROR": "default"}


@pytest.mark.parametrize("url", ["mysql://reader:hunter2@db2/wflm", "db2.example.org"])
def test_a_replica_url_that_is_not_postgres_is_refused_without_showing_it(url):
    with pytest.raises(ImproperlyConfigured, match="entry 2 must point at PostgreSQL") as error:
        replicas.replica_databases(f"postgres://db2/wflm,{url}", PRIMARY)
    assert "hunter2" not in str(error.value)


def _settings_with(**env):
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_REPLICA_URLS"}
    script = (
        "from django.conf import settings; "
        "print(sorted(settings.DATABASES), settings.DATABASES.get('replica2', {}).get('CONN_MAX_AGE'))"
    )
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
        cwd=BASE_DIR,
        env=environment | env,
        capture_output=True,
        text=True,
    )


def test_database_replica_urls_reach_the_settings():
    result = _settings_with(
        DATABASE_REPLICA_URLS="postgres://db2.example.org/wflm,postgres://db3.example.org/wflm",
        CONN_MAX_AGE="30",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['default', 'replica1', 'replica2'] 30"


def test_a_bad_pin_time_fails_at_start_up():
    result = _settings_with(REPLICA_PIN_SECONDS="0")
    assert result.returncode != 0
    assert "REPLICA_PIN_SECONDS must be at least 1" in result.stderr


# --- The router ------------------------------------------------------------------------


def test_reads_go_where_the_context_says_and_to_the_primary_outside_any():
    assert router.db_for_read(Post) == DEFAULT_DB_ALIAS  # a command, the shell
    with replicas.reading_from("replica2"):
        assert router.db_for_read(Post) == "replica2"
        assert router.db_for_read(Comment, instance=Comment()) == "replica2"
        with replicas.primary():
            assert router.db_for_read(Post) == DEFAULT_DB_ALIAS
        assert router.db_for_read(Post) == "replica2"
    assert router.db_for_read(Post) == DEFAULT_DB_ALIAS


def test_writes_and_migrations_go_to_the_primary_only():
    with replicas.reading_from("replica1"):
        assert router.db_for_write(Post) == DEFAULT_DB_ALIAS
        assert router.db_for_write(Comment, instance=Comment()) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "posts")
    assert not router.allow_migrate("replica1", "posts")
    assert not router.allow_migrate("replica2", "comments", model_name="comment")


def test_a_row_read_from_a_replica_may_be_related_to_one_from_the_primary():
    post = Post(title="A - B (1970)")
    post._state.db = "replica1"
    comment = Comment()
    comment._state.db = DEFAULT_DB_ALIAS
    assert router.allow_relation(post, comment)


# --- Requests --------------------------------------------------------------------------


@pytest.mark.django_db(databases=DATABASES)
def test_a_reader_reads_every_query_of_a_request_from_one_replica(client, post):
    chosen = []
    for _ in range(30):
        with queries_by_alias() as used:
            assert client.get("/").status_code == 200
        replicas_used = [alias for alias in REPLICAS if used[alias]]
        assert len(replicas_used) == 1 and not used[DEFAULT_DB_ALIAS], used
        chosen.append(replicas_used[0])
    assert set(chosen) == set(REPLICAS)  # each request picks again (1 in 2**29 to fail by chance)
    assert replicas.PIN_COOKIE not in client.cookies


# Public pages whose every read, raw SQL included, goes through the router.
# (/search/ joins them once search/models.py reads through it too.)
@pytest.mark.parametrize("url", ["/", "/artists/", "/feed/", "/comments/feed/", "/sitemap.xml"])
@pytest.mark.django_db(databases=DATABASES)
def test_a_readers_page_reads_no_primary(client, url):
    with queries_by_alias() as used:
        assert client.get(url).status_code == 200
    assert replica_queries(used) and not used[DEFAULT_DB_ALIAS], used[DEFAULT_DB_ALIAS]


@pytest.mark.django_db(databases=DATABASES)
def test_a_saved_reply_pins_its_author_to_the_primary_for_the_pin_time_then_not(clock, post):
    parent = make_comment(post)
    author, other_reader = Client(), Client()

    with queries_by_alias() as used:
        response = post_reply(author, post)
    assert response.status_code == 302
    reply = Comment.objects.get(body="My own reply.")
    assert reply.is_approved and response["Location"].endswith(f"#comment-{reply.pk}")
    assert used[DEFAULT_DB_ALIAS] and not replica_queries(used)  # a write reads the primary
    cookie = response.cookies[replicas.PIN_COOKIE]
    assert cookie["max-age"] == 10 and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert not cookie["secure"]  # HTTPS off here; see the next test

    # While the replicas replay (here: never), the author reads the primary:
    # their reply is on the page it was redirected to, and at its permalink.
    clock.now = WRITTEN_AT + 9.5
    with queries_by_alias() as used:
        page = author.get(response["Location"])
        permalink = author.get(reply.get_absolute_url())
    assert page.status_code == 200 and f'id="comment-{reply.pk}"' in page.content.decode()
    assert f'id="comment-{parent.pk}"' in page.content.decode()
    assert permalink.status_code == 301
    assert used[DEFAULT_DB_ALIAS] and not replica_queries(used)

    # Another reader reads a replica, which has not replayed the reply yet.
    with queries_by_alias() as used:
        assert other_reader.get(reply.get_absolute_url()).status_code == 404
    assert replica_queries(used) and not used[DEFAULT_DB_ALIAS]

    # Once the pin time is over, the author reads a replica like everyone else.
    clock.now = WRITTEN_AT + 10.5
    with queries_by_alias() as used:
        assert author.get(reply.get_absolute_url()).status_code == 404
    assert replica_queries(used) and not used[DEFAULT_DB_ALIAS]


@pytest.mark.django_db(databases=DATABASES)
def test_the_pin_cookie_is_secure_over_https(client, post, settings):
    settings.HTTPS = True
    response = client.post(post.get_absolute_url(), REPLY | {"ts": make_form_timestamp()}, secure=True)
    assert response.status_code == 302
    assert response.cookies[replicas.PIN_COOKIE]["secure"]


@pytest.mark.django_db(databases=DATABASES)
def test_a_refused_reply_pins_nothing(client, post):
    with queries_by_alias() as used:
        response = client.post(post.get_absolute_url(), REPLY | {"email": "not an email"})
    assert response.status_code == 400
    assert "My own reply.</textarea>" in response.content.decode()  # the text kept
    assert replicas.PIN_COOKIE not in response.cookies
    assert not replica_queries(used)  # its page, re-rendered, was read from the primary


@pytest.mark.django_db(databases=DATABASES)
def test_a_refused_method_pins_nothing(client, post):
    response = client.delete(post.get_absolute_url())
    assert response.status_code == 405
    assert replicas.PIN_COOKIE not in response.cookies


@pytest.mark.parametrize(
    "value",
    [
        "primary",
        "primary:1vQ7Vx:forged-signature",
        signing.TimestampSigner(salt="comments.cookies.pending").sign("primary"),  # another cookie's salt
        "prïmary:ünicode:ßig",
    ],
)
@pytest.mark.django_db(databases=DATABASES)
def test_a_forged_pin_cookie_is_ignored(client, post, value):
    reply = make_comment(post)
    client.cookies[replicas.PIN_COOKIE] = value
    with queries_by_alias() as used:
        response = client.get(reply.get_absolute_url())
    assert response.status_code == 404  # read from a replica, which lacks it
    assert replica_queries(used) and not used[DEFAULT_DB_ALIAS]


@pytest.mark.django_db(databases=DATABASES)
def test_the_admin_always_reads_the_primary(admin_client, post):
    comment = make_comment(post, body="Waiting for a moderator.", status=Comment.Status.PENDING)
    with queries_by_alias() as used:
        # The session and user, made in this test, exist on the primary only:
        # a replica would send the moderator to the login page.
        changelist = admin_client.get(f"/{settings.ADMIN_URL}comments/comment/")
        change = admin_client.get(f"/{settings.ADMIN_URL}comments/comment/{comment.pk}/change/")
    assert changelist.status_code == 200 and "Waiting for a moderator." in changelist.content.decode()
    assert change.status_code == 200
    assert used[DEFAULT_DB_ALIAS] and not replica_queries(used)
    assert replicas.PIN_COOKIE not in changelist.cookies  # reading pins nothing


def test_without_replicas_everything_reads_the_primary_and_a_writer_still_gets_the_cookie(
    client, settings, post
):
    # As in every other test module: DATABASE_REPLICA_URLS unset.
    saved = {alias: settings.DATABASES.pop(alias) for alias in REPLICAS}
    try:
        assert replicas.replica_aliases() == []
        with queries_by_alias() as used:
            response = post_reply(client, post)
            page = client.get(response["Location"])
    finally:
        settings.DATABASES.update(saved)
    assert response.status_code == 302 and page.status_code == 200
    # It tells caches in front to let the commenter by (deploy/nginx/wflm.conf, posts/pagecache.py).
    assert replicas.PIN_COOKIE in response.cookies
    assert page["Cache-Control"] == "private, no-store"
    assert not replica_queries(used)


@pytest.fixture
def replicas_down():
    """replica1 and replica2 pointing at a port nothing listens on, for one test."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    saved = {alias: settings.DATABASES[alias] for alias in REPLICAS}
    _forget_connections(REPLICAS)
    for alias, config in saved.items():
        settings.DATABASES[alias] = config | {
            "HOST": "127.0.0.1",
            "PORT": port,
            "OPTIONS": {"connect_timeout": 2},
        }
    yield
    _forget_connections(REPLICAS)
    settings.DATABASES.update(saved)


# Committed rows (no test transaction), so the replicas' connections can be swapped.
@pytest.mark.django_db(transaction=True, databases=DATABASES)
def test_with_the_replicas_down_reads_get_the_503_and_replies_still_work(client, replicas_down):
    post = make_post()
    response = client.get("/")
    assert response.status_code == 503 and response["Retry-After"]

    reply = post_reply(client, post)  # to the primary, which is up
    assert reply.status_code == 302 and Comment.objects.filter(body="My own reply.").exists()
    assert client.get(reply["Location"]).status_code == 200  # pinned: the primary
