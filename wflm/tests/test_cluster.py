"""The scaled-out site, proved on one machine: `python -m wflm.cluster`'s servers, for real.

A primary PostgreSQL and its streaming replica, a Redis, two gunicorn app
servers (A and B) and Debian's nginx with deploy/nginx/wflm.conf, all on
loopback in a temporary directory, started once for this module. Every
request is plain HTTP from a "reader" with its own cookies, as a browser
would send it (Origin and Sec-Fetch-Site on a POST).

Needs nginx and redis-server: where either is missing the module is
skipped, saying so, and fails in CI (CI=true), where .ci/run installs both.
"""

import contextlib
import http.client
import http.cookies
import re
import secrets
import shutil
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest

from wflm.cluster import Cluster, Ports
from wflm.cluster_servers import ClusterError, query
from wflm.tests.conftest import missing_tool, wait_for
from wflm.tests.test_faults import form_of

HELD_WORD = "holdforreview"
REPLAY_TIMEOUT = 10  # seconds for the replica to replay a write on loopback
# How long an app server may answer from its own memory after a change it
# was not told of (docs/scaling.md): the bound on "once replay resumes".
PROCESS_MEMORY_SECONDS = 5
MODERATOR = ("moderator", "cluster-test-password")
KEPT_LOGS = Path(__file__).resolve().parents[2] / "var" / "test-cluster-logs"


@pytest.fixture(scope="module")
def cluster():
    missing = [program for program in ("nginx", "redis-server") if shutil.which(program) is None]
    if missing:
        missing_tool(f"{' and '.join(missing)} not installed (apt-get install {' '.join(missing)})")
    # Not under pytest's tmp_path: as root, PostgreSQL runs as another
    # account, which pytest's private /tmp/pytest-of-root would lock out.
    root = Path(tempfile.mkdtemp(prefix="wflm-cluster-"))
    app_env = {
        # One key for both app servers: a cookie signed by A is good on B.
        "SECRET_KEY": secrets.token_urlsafe(50),
        # Test replies come fast, from one address, by first-time commenters.
        "COMMENTS_MIN_SUBMIT_SECONDS": "0",
        "COMMENTS_FLOOD_SECONDS": "0",
        "COMMENTS_MAX_PER_HOUR": "0",
        "COMMENTS_REQUIRE_PREVIOUSLY_APPROVED": "off",
        # ... except a reply with this word, which waits for a moderator.
        "COMMENTS_MODERATION_KEYS": HELD_WORD,
        "PROCESS_MEMORY_SECONDS": str(PROCESS_MEMORY_SECONDS),
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
    }
    site = Cluster(root, Ports.free(), app_env=app_env, own_redis=True)
    try:
        site.start()
    except ClusterError as error:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"the cluster did not start: {error}", pytrace=False)
    try:
        username, password = MODERATOR
        site.manage("shell", "-c", _CREATE_MODERATOR.format(username=username, password=password))
        yield site
    finally:
        site.stop()
        # The servers' logs outlive the run, for a failure's story (var/ is not versioned).
        shutil.rmtree(KEPT_LOGS, ignore_errors=True)
        shutil.copytree(root / "logs", KEPT_LOGS, dirs_exist_ok=True)
        shutil.rmtree(root, ignore_errors=True)


_CREATE_MODERATOR = (
    "from django.contrib.auth import get_user_model; "
    "get_user_model().objects.create_superuser('{username}', 'mod@example.com', '{password}')"
)


@pytest.fixture(scope="module")
def post_path(cluster):
    """The demo post's permalink (make cluster loads the demo into its empty database)."""
    code = "from posts.models import Post; print(Post.objects.order_by('pk').first().get_absolute_url())"
    return cluster.manage("shell", "--no-imports", "-c", code).strip().splitlines()[-1]


class Reader:
    """One browser: its own cookies, plain HTTP/1.1 to any of the cluster's servers."""

    def __init__(self):
        self.cookies = {}

    def request(self, base, method, path, fields=None, headers=None):
        address = urllib.parse.urlsplit(base).netloc
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            # What a browser sends with a form of this site's own page.
            sent |= {"Content-Type": "application/x-www-form-urlencoded", "Origin": base}
            sent.setdefault("Sec-Fetch-Site", "same-origin")
        connection = http.client.HTTPConnection(address, timeout=15)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in http.cookies.SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response, content

    def get(self, base, path):
        return self.request(base, "GET", path)

    def page(self, base, path):
        response, content = self.get(base, path)
        assert response.status == 200, f"GET {base}{path}: {response.status} (server logs: {KEPT_LOGS})"
        return content.decode()

    def reply(self, base, path, body, **fields):
        """Send the post page's form, as read through base, with body; return the new comment's id."""
        form = form_of(self.page(base, path))
        response, content = self.request(base, "POST", form.action.split("#")[0], form.fields | {
            "name": "Cluster Reader", "email": "cluster.reader@example.com", "body": body, **fields
        })  # fmt: skip
        assert response.status == 302, f"reply through {base}: {response.status}\n{content.decode()[:2000]}"
        match = re.search(r"#comment-(\d+)$", response.headers["Location"])
        assert match, response.headers["Location"]
        return int(match[1])


def unique_text(label):
    return f"{label} {secrets.token_hex(6)}"


def wait_for_replay(cluster, timeout=REPLAY_TIMEOUT):
    """Return once the replica has replayed everything the primary has written so far."""
    target = query(cluster.ports.primary, "SELECT pg_current_wal_lsn()::text")[0][0]
    deadline = time.monotonic() + timeout
    while True:
        behind = query(
            cluster.ports.replica,
            "SELECT pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn()) > 0",
            [target],
        )[0][0]
        if not behind:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"the replica did not replay {target} within {timeout}s", pytrace=False)
        time.sleep(0.05)


@contextlib.contextmanager
def replay_paused(cluster):
    query(cluster.ports.replica, "SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        query(cluster.ports.replica, "SELECT pg_wal_replay_resume()")


# --- The tests ------------------------------------------------------------------------------


def test_two_anonymous_readers_get_byte_identical_pages(cluster, post_path):
    # A and B asked for the proxy's host, as nginx forwards it: pages carry
    # absolute links, so they are the same bytes only for the same host.
    as_proxied = {"Host": urllib.parse.urlsplit(cluster.proxy_url).netloc}
    first, second = Reader(), Reader()

    def pages():
        bodies = []
        for base in [*cluster.app_urls.values(), cluster.proxy_url]:
            for reader in (first, second):
                response, content = reader.request(base, "GET", post_path, headers=as_proxied)
                assert response.status == 200
                assert response.headers.get_all("Set-Cookie") is None, (
                    f"{base} set a cookie on an anonymous page"
                )
                assert response.headers["Cache-Control"].startswith("public"), response.headers[
                    "Cache-Control"
                ]
                bodies.append(content)
        return bodies

    # One render, shared through Redis and the proxy; a server may hold its
    # previous copy for PROCESS_MEMORY_SECONDS after a change, so the six
    # answers agree once that has passed, and must then stay the same.
    wait_for(lambda: len(set(pages())) == 1, 10, "the same bytes from A, B and the proxy")
    assert len(set(pages())) == 1, "anonymous readers got different bytes"
    assert first.cookies == second.cookies == {}


def test_a_reply_posted_through_a_is_visible_through_b_at_once(cluster, post_path):
    a, b = cluster.app_urls["A"], cluster.app_urls["B"]
    text = unique_text("Written on A, read on B")
    commenter = Reader()
    commenter.reply(a, post_path, text)
    # The commenter, pinned to the primary by their cookie: B's first answer has it.
    assert text in commenter.page(b, post_path)
    # Anyone else reads a replica: once it has replayed the reply, B's first answer has it too.
    wait_for_replay(cluster)
    assert text in Reader().page(b, post_path)


def test_a_moderator_approving_on_b_updates_the_page_on_a(cluster, post_path):
    a, b = cluster.app_urls["A"], cluster.app_urls["B"]
    text = unique_text(f"Please {HELD_WORD}")
    comment_id = Reader().reply(a, post_path, text)
    wait_for_replay(cluster)
    assert text not in Reader().page(a, post_path)  # held: and now this page is cached on A

    moderator = Reader()
    login = "/admin/login/?next=/admin/comments/comment/"
    form = form_of_named(moderator.page(b, login), "login-form")
    username, password = MODERATOR
    response, _ = moderator.request(b, "POST", login, form | {"username": username, "password": password})
    assert response.status == 302, "the moderator could not sign in on B"
    changelist = "/admin/comments/comment/"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', moderator.page(b, changelist))[1]
    response, _ = moderator.request(
        b,
        "POST",
        changelist,
        {
            "csrfmiddlewaretoken": token,
            "action": "approve",
            "_selected_action": str(comment_id),
            "index": "0",
        },
        headers={"Referer": f"{b}{changelist}"},
    )
    assert response.status == 302, f"approving on B: {response.status}"
    wait_for_replay(cluster)
    assert text in Reader().page(a, post_path)


def form_of_named(html, form_id):
    """Every input of the form with id form_id (the admin's login form)."""
    form = re.search(rf'<form[^>]*id="{form_id}".*?</form>', html, re.DOTALL)
    assert form, f"no form #{form_id}"
    return dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form[0]))


def test_with_replay_paused_the_commenter_still_sees_their_reply_and_others_see_it_after(cluster, post_path):
    a, b = cluster.app_urls["A"], cluster.app_urls["B"]
    text = unique_text("Written while the replica stood still")
    commenter, other = Reader(), Reader()
    assert text not in other.page(a, post_path) and text not in other.page(b, post_path)  # cached now
    with replay_paused(cluster):
        commenter.reply(a, post_path, text)
        assert "wflm_primary" in commenter.cookies, "no pin-to-primary cookie after a reply"
        # Held back a moment, to be sure the replica is behind rather than quick.
        time.sleep(0.5)
        assert query(cluster.ports.replica, "SELECT pg_is_wal_replay_paused()")[0][0]
        assert text in commenter.page(a, post_path)
        assert text in commenter.page(b, post_path)
        assert text not in other.page(a, post_path)
        assert text not in other.page(b, post_path)
    wait_for_replay(cluster)
    # What a server read from the replica while it stood still, it may
    # serve again for PROCESS_MEMORY_SECONDS (no change notice will come).
    bound = PROCESS_MEMORY_SECONDS + 2
    wait_for(lambda: text in other.page(a, post_path), bound, "the reply on A for other readers after replay")
    wait_for(lambda: text in other.page(b, post_path), bound, "the reply on B for other readers after replay")


def test_the_proxy_serves_anonymous_pages_from_its_cache_and_personal_ones_never(cluster, post_path):
    proxy = cluster.proxy_url
    statuses = [Reader().get(proxy, post_path)[0].headers["X-Cache-Status"] for _ in range(3)]
    assert statuses[-1] == "HIT", statuses
    # Remembered details (wflm_commenter) make every page of this reader theirs alone.
    commenter = Reader()
    commenter.reply(proxy, post_path, unique_text("Through the proxy"), remember="on")
    assert {"wflm_commenter", "wflm_primary"} <= commenter.cookies.keys()
    response, content = commenter.get(proxy, post_path)
    assert response.headers["X-Cache-Status"] == "BYPASS"
    assert "no-store" in response.headers["Cache-Control"]
    assert b'value="Cluster Reader"' in content  # their name, filled in
    # ... and the next anonymous reader still gets the shared copy, without it.
    assert b'value="Cluster Reader"' not in Reader().get(proxy, post_path)[1]


def test_a_new_reply_shows_through_the_proxy_within_s_maxage(cluster, post_path):
    proxy = cluster.proxy_url
    response, _ = Reader().get(proxy, post_path)
    s_maxage = int(re.search(r"s-maxage=(\d+)", response.headers["Cache-Control"])[1])
    assert 1 <= s_maxage <= 60
    text = unique_text("Shown within s-maxage")
    Reader().reply(cluster.app_urls["B"], post_path, text)
    wait_for_replay(cluster)
    started = time.monotonic()
    # The stale copy may be served once while nginx refreshes it in the background.
    wait_for(lambda: text in Reader().page(proxy, post_path), s_maxage + 2, "the reply through the proxy")
    assert time.monotonic() - started <= s_maxage + 2


def test_stopping_a_leaves_the_proxy_serving_from_b(cluster, post_path):
    proxy = cluster.proxy_url
    cluster.stop_app("A")
    try:
        for number in range(10):
            # A personal cookie: past the cache, so an app server must answer each one.
            response, content = Reader().request(
                proxy, "GET", post_path, headers={"Cookie": f"sessionid=x{number}"}
            )
            assert response.status == 200, content.decode()[:500]
            assert response.headers["X-Cache-Status"] == "BYPASS"
        text = unique_text("Posted with A down")
        Reader().reply(proxy, post_path, text)
        wait_for_replay(cluster)
        assert (
            text in Reader().request(proxy, "GET", post_path, headers={"Cookie": "sessionid=y"})[1].decode()
        )
    finally:
        cluster.start_app("A")
