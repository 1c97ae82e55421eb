"""Real-browser fixtures: a real gunicorn on the test database, and Chromium.

    @pytest.mark.browser
    def test_something(gunicorn_server, new_page):
        page = new_page()  # or new_page(java_script_enabled=False)
        page.goto(post.get_absolute_url())  # relative to gunicorn_server

The site runs in its own processes, as in production (DEBUG off, WhiteNoise
serving collected static files), so it sees only what a test has committed:
`gunicorn_server` brings `transactional_db` (tables are emptied after each
test). Settings changed in a test (the `settings` fixture) do not reach
gunicorn. gunicorn starts once per session, Chromium once per module.
"""

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # The site is on 127.0.0.1: never send it through a proxy from the environment.
    "--no-proxy-server",
]
STARTUP_TIMEOUT = 30  # seconds for gunicorn to answer its first request
STOP_TIMEOUT = 10  # seconds for gunicorn to stop on SIGTERM before it is killed
BROWSER_TIMEOUT = 10_000  # milliseconds for any one browser action or expectation


def database_url(settings_dict):
    """A DATABASE_URL for the database that settings_dict (a connection's) points at.

    A TCP server is in HOST and PORT; the embedded server's Unix socket
    directory arrives as OPTIONS["host"] (django-environ reads ?host=...),
    and goes back there. Other OPTIONS travel as query parameters.
    """
    options = {key: str(value) for key, value in (settings_dict.get("OPTIONS") or {}).items()}
    host = settings_dict.get("HOST") or options.pop("host", "")
    user = urllib.parse.quote(settings_dict.get("USER") or "", safe="")
    password = urllib.parse.quote(settings_dict.get("PASSWORD") or "", safe="")
    userinfo = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    if host.startswith("/"):
        netloc = userinfo
        options["host"] = host
    else:
        port = settings_dict.get("PORT")
        netloc = userinfo + (f"[{host}]" if ":" in host else host) + (f":{port}" if port else "")
    name = urllib.parse.quote(settings_dict["NAME"], safe="")
    query = urllib.parse.urlencode(options)
    return f"postgres://{netloc}/{name}" + (f"?{query}" if query else "")


def _server_environment(static_root):
    env = dict(os.environ)
    # Only this (synchronous) test process needs the exemption; see `browser`.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.pop("TEST_DATABASE_NAME", None)
    env.update(
        DJANGO_SETTINGS_MODULE="wflm.settings",
        # connection.settings_dict names the test database once it exists.
        DATABASE_URL=database_url(connection.settings_dict),
        DEBUG="off",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        STATIC_ROOT=str(static_root),
        # Plain http on 127.0.0.1, whatever a developer's .env says.
        HTTPS="off",
        BEHIND_PROXY="off",
        SECRET_KEY=secrets.token_urlsafe(50),
    )
    return env


def _tail(path, lines=40):
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _wait_until_serving(process, base_url, log_path):
    """Return once gunicorn answers GET / with 200 (a page from the database)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{_tail(log_path)}", pytrace=False)
        try:
            with opener.open(f"{base_url}/", timeout=5) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError as error:
            pytest.fail(f"gunicorn answered GET / with {error.code}:\n{_tail(log_path)}", pytrace=False)
        except OSError:
            pass  # not accepting yet
        if time.monotonic() > deadline:
            pytest.fail(
                f"gunicorn did not answer within {STARTUP_TIMEOUT}s:\n{_tail(log_path)}", pytrace=False
            )
        time.sleep(0.1)


def _stop(process):
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def running_gunicorn(env, log_path, *options):
    """A real gunicorn (2 workers) with env, logging to log_path; yields its base URL once it serves.

    The socket is bound here, on a free port, and handed over: no race for
    the port, and only gunicorn holds it (if it dies, connections are refused).
    """
    with socket.socket() as listener, log_path.open("wb") as log:
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        port = listener.getsockname()[1]
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "wflm.wsgi",
            "--bind",
            f"fd://{listener.fileno()}",
        ]
        # The default control socket is one per user: other servers use it.
        command += ["--workers", "2", "--graceful-timeout", "5", "--no-control-socket", *options]
        process = subprocess.Popen(
            command,
            pass_fds=[listener.fileno()],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=settings.BASE_DIR,
            env=env,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(process, base_url, log_path)
        yield base_url
    finally:
        _stop(process)


COLLECTSTATIC = [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"]


def collect_static(env):
    """collectstatic into env's STATIC_ROOT: the manifest storage serves only what it wrote."""
    subprocess.run(COLLECTSTATIC, cwd=settings.BASE_DIR, env=env, check=True)


def wait_for(check, seconds, what):
    """Poll check() until it is true; fail saying what did not happen."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not within {seconds}s", pytrace=False)
        time.sleep(0.2)


def missing_tool(reason):
    """A program a test needs is not installed: a failure in CI (.ci/run installs it), else a skip."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run this test (.ci/run installs it).", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def _gunicorn(django_db_setup, tmp_path_factory):
    """A real gunicorn (2 workers) serving the test database; yields its base URL.

    Stopped before the test database is dropped (it depends on
    django_db_setup), so no worker connection is left behind.
    """
    workdir = tmp_path_factory.mktemp("gunicorn")
    env = _server_environment(static_root=workdir / "static")
    collect_static(env)
    with running_gunicorn(env, workdir / "gunicorn.log", "--access-logfile", "-") as base_url:
        yield base_url


@pytest.fixture
def gunicorn_server(_gunicorn, transactional_db):
    """gunicorn's base URL ("http://127.0.0.1:<port>"); this test's writes are committed."""
    return _gunicorn


@pytest.fixture(scope="session")
def chromium_executable():
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    missing_tool(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")


@pytest.fixture(scope="module")
def browser(chromium_executable):
    """Chromium driven by Playwright's sync API, for one test module.

    Between calls that API leaves its event loop marked as running in this
    thread, so Django would refuse the test's (synchronous) database access
    as if it came from async code. The exemption lasts exactly as long as
    Playwright does, and stays out of other modules and of gunicorn.
    """
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=chromium_executable, args=CHROMIUM_ARGS, headless=True
            )
            yield chromium
            chromium.close()


@pytest.fixture
def new_page(browser, gunicorn_server):
    """Open a page on gunicorn_server in a fresh browser context (its own cookies).

    Keyword arguments go to browser.new_context, e.g. java_script_enabled=False.
    Page paths are relative to gunicorn_server. An uncaught script error or a
    console error (a CSP refusal, a missing static file) fails the test.
    """
    contexts, errors = [], []

    def on_console(message):
        # Failed loads are judged by on_response: a page's own status is
        # each test's business (a refused form is a 400), and Chromium's own
        # /favicon.ico request is not the page's.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(f"{message.text} ({message.location.get('url')})")

    def on_response(response):
        # The page's scripts, styles and images.
        if response.status >= 400 and response.request.resource_type != "document":
            errors.append(f"{response.status} for {response.request.resource_type} {response.url}")

    def make(**context_options):
        context = browser.new_context(base_url=gunicorn_server, **context_options)
        context.set_default_timeout(BROWSER_TIMEOUT)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
        page.on("console", on_console)
        page.on("response", on_response)
        return page

    yield make
    for context in contexts:
        context.close()
    assert errors == [], "errors in the browser console"
