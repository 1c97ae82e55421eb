"""Flood control holds across processes: two real gunicorn servers, hit at once.

Each test starts two gunicorns of one worker each (their limits come from
the environment) against the test database, as two app servers would be,
and fires simultaneous replies from one address (127.0.0.1), alternately at
each: which process answers which request is then certain, not left to
the kernel's choice of worker.
"""

import http.client
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import connection, transaction

from comments.forms import CommentForm
from comments.models import Comment
from conftest import make_comment, make_form_timestamp
from wflm.tests.conftest import database_url


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_serving(process, port, log_path, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not listen within {timeout}s:\n{log_path.read_text()}")


def _stop(process):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("flood-static")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=settings.BASE_DIR,
        env=os.environ | {"STATIC_ROOT": str(root)},
        check=True,
    )
    return root


@pytest.fixture
def start_gunicorn(django_db_setup, transactional_db, static_root, tmp_path):
    """start_gunicorn(**environment) -> (port, access log path); stopped after the test."""
    processes = []

    def start(**extra_environment):
        environment = os.environ | {
            "DATABASE_URL": database_url(connection.settings_dict),
            "DEBUG": "off",
            "ALLOWED_HOSTS": "127.0.0.1",
            "STATIC_ROOT": str(static_root),
            # The test signs the form's timestamp with the same key.
            "SECRET_KEY": settings.SECRET_KEY,
            "PYTHONUNBUFFERED": "1",
        }
        environment.pop("TEST_DATABASE_NAME", None)
        port = _free_port()
        log_path = tmp_path / f"gunicorn-{port}.log"
        access_log = tmp_path / f"access-{port}.log"
        gunicorn = Path(sys.executable).parent / "gunicorn"
        command = [
            gunicorn, "wflm.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--no-control-socket",
            "--access-logfile", str(access_log), "--access-logformat", "%(p)s %(m)s %(s)s",
        ]  # fmt: skip
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=environment | {key: str(value) for key, value in extra_environment.items()},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        processes.append(process)
        _wait_until_serving(process, port, log_path)
        return port, access_log

    yield start
    for process in processes:
        _stop(process)


def fire_at_once(ports, path, count):
    """POST count different replies at the same moment, alternately to each port; their HTTP statuses."""
    csrf = secrets.token_hex(16)  # 32 characters: a valid CSRF secret, sent as cookie and field
    barrier = threading.Barrier(count)
    statuses = [None] * count

    def send(number):
        body = urlencode(
            {
                "csrfmiddlewaretoken": csrf,
                "name": f"Flooder {number}",
                "email": f"flooder{number}@example.com",
                "body": f"Flood message number {number}.",
                "ts": make_form_timestamp(),
            }
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf}"}
        conn = http.client.HTTPConnection("127.0.0.1", ports[number % len(ports)], timeout=30)
        conn.connect()
        barrier.wait()
        conn.request("POST", path, body=body, headers=headers)
        statuses[number] = conn.getresponse().status
        conn.close()

    threads = [threading.Thread(target=send, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def worker_pids(access_log):
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        posts = [line.split() for line in access_log.read_text().splitlines() if " POST " in line]
        if posts:
            return {fields[0] for fields in posts}
        time.sleep(0.1)
    return set()


def test_one_reply_per_15_seconds_across_two_servers(start_gunicorn, post):
    servers = [start_gunicorn(), start_gunicorn()]

    statuses = fire_at_once([port for port, _ in servers], post.get_absolute_url(), 8)

    assert sorted(statuses) == [302] + [429] * 7
    assert Comment.objects.count() == 1
    pids = [worker_pids(access_log) for _, access_log in servers]
    assert all(len(server_pids) == 1 for server_pids in pids) and pids[0] != pids[1]


def test_the_hourly_limit_across_two_servers(start_gunicorn, post):
    # Earlier comments from this address in the last hour count too.
    make_comment(post, ip_address="127.0.0.1", body="Earlier today.")
    limits = {"COMMENTS_FLOOD_SECONDS": 0, "COMMENTS_MAX_PER_HOUR": 4}
    servers = [start_gunicorn(**limits), start_gunicorn(**limits)]

    statuses = fire_at_once([port for port, _ in servers], post.get_absolute_url(), 10)

    assert sorted(statuses) == [302] * 3 + [429] * 7
    assert Comment.objects.filter(ip_address="127.0.0.1").count() == 4
    pids = [worker_pids(access_log) for _, access_log in servers]
    assert all(len(server_pids) == 1 for server_pids in pids) and pids[0] != pids[1]


def test_a_second_post_from_one_ip_waits_for_the_first_to_commit(transactional_db, post):
    """The per-IP lock: without it the second would not see the first's uncommitted comment."""
    first_saved = threading.Event()
    outcome = {}

    def validate_and_save(number, hold_for=0.0):
        data = {"name": f"N{number}", "email": f"n{number}@example.com", "body": f"Text {number}."}
        form = CommentForm(post, data=data | {"ts": make_form_timestamp()}, ip_address="192.0.2.50")
        try:
            started = time.monotonic()
            with transaction.atomic():
                valid = form.is_valid()
                if valid:
                    form.save()
                    first_saved.set()
                    time.sleep(hold_for)  # still inside the transaction: the lock is held
            outcome[number] = (valid, form.refusal_status, time.monotonic() - started)
        finally:
            connection.close()

    first = threading.Thread(target=validate_and_save, args=(1, 1.0))
    first.start()
    assert first_saved.wait(10)
    second = threading.Thread(target=validate_and_save, args=(2,))
    second.start()
    first.join()
    second.join()

    assert outcome[1][0] is True
    valid, status, waited = outcome[2]
    assert (valid, status) == (False, 429)
    assert waited > 0.5  # it queued behind the first's transaction
    assert Comment.objects.count() == 1
