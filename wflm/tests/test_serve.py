"""`make run`'s processes, for real: Ctrl-C, SIGTERM and SIGHUP (the terminal
closing) each stop gunicorn (master and workers) and then the embedded
PostgreSQL it started, and free the port; a busy port is refused up front.

Each case starts its own `python -m wflm.localdb run -- python -m wflm.serve`
in a new session (as a terminal runs `make run`: one process group, which
a terminal signals as a whole) with its own free port. They share one
embedded PostgreSQL data directory in a temporary directory (WFLM_PGDATA),
never the developer's var/pgdata: initdb and the first migrate happen once.
"""

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

FIRST_START_TIMEOUT = 60  # seconds: initdb, every migration, the demo archive, collectstatic
START_TIMEOUT = 30  # seconds for a later start (the data directory exists)
STOP_TIMEOUT = 20  # seconds for everything to be gone after the signal
RUN = [sys.executable, "-m", "wflm.localdb", "run", "--", sys.executable, "-m", "wflm.serve"]


@pytest.fixture(scope="module")
def workdir():
    """A directory for the shared PGDATA and collected static files; the server is stopped at the end.

    Not under pytest's tmp_path: as root, the server runs as another user,
    and every pytest session (ours or a parallel one) makes pytest's
    directory private again, locking that user (and pg_ctl stop) out.
    """
    directory = Path(tempfile.mkdtemp(prefix="wflm-serve-"))
    try:
        yield directory
    finally:
        # A failed case may leave its server running (it runs in its own session).
        subprocess.run(
            [sys.executable, "-m", "wflm.localdb", "stop"],
            cwd=settings.BASE_DIR,
            env=_environment(directory, port=0),
            capture_output=True,
            timeout=STOP_TIMEOUT,
        )
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def start_timeout():
    """The first start in the module does initdb and migrates; later ones do not."""
    timeouts = iter([FIRST_START_TIMEOUT])
    return lambda: next(timeouts, START_TIMEOUT)


def _environment(workdir, port):
    env = dict(os.environ)
    # No DATABASE_URL: `run` must start (and stop) the embedded server itself.
    for name in ("DATABASE_URL", "TEST_DATABASE_NAME", "DJANGO_SETTINGS_MODULE", "MAKEFLAGS", "MAKELEVEL"):
        env.pop(name, None)
    env.update(
        WFLM_PGDATA=str(workdir / "pgdata"),
        STATIC_ROOT=str(workdir / "static"),
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY="2",
        SECRET_KEY=secrets.token_urlsafe(50),
        DEBUG="off",
        ALLOWED_HOSTS="127.0.0.1",
        HTTPS="off",
        BEHIND_PROXY="off",
    )
    return env


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _port_is_free(port):
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _processes():
    """{pid: (state, ppid, pgid, command line)} of every process, from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # exited meanwhile
        # "pid (name) state ppid pgrp ...": the name may hold spaces and parentheses.
        state, ppid, pgid = stat[stat.rindex(")") + 2 :].split()[:3]
        found[int(entry.name)] = (state, int(ppid), int(pgid), command)
    return found


def _alive(pids):
    """The pids among pids still running (a zombie has stopped running)."""
    processes = _processes()
    return {pid for pid in pids if pid in processes and processes[pid][0] != "Z"}


def _log(path):
    return path.read_text(errors="replace")


def _start(command, workdir, port, timeout):
    """Start command in a new session; return (process, log path) once the site answers GET /."""
    log_path = workdir / f"run-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=_environment(workdir, port),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            pytest.fail(f"{command} exited with {process.returncode}:\n{_log(log_path)}", pytrace=False)
        try:
            with opener.open(f"http://127.0.0.1:{port}/", timeout=5) as response:
                if response.status == 200:
                    return process, log_path
        except urllib.error.HTTPError as error:
            _kill(process)
            pytest.fail(f"GET / answered {error.code}:\n{_log(log_path)}", pytrace=False)
        except OSError:
            pass  # not listening yet
        if time.monotonic() > deadline:
            _kill(process)
            pytest.fail(f"no answer on port {port} within {timeout}s:\n{_log(log_path)}", pytrace=False)
        time.sleep(0.2)


def _kill(process):
    """After a failure: end what this test started (its session's group), by id."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _serving_processes(process, workdir):
    """The pids of what `make run` is made of: its process group, and the PostgreSQL server with its children."""
    processes = _processes()
    group = {pid for pid, (state, _, pgid, _) in processes.items() if pgid == process.pid and state != "Z"}
    gunicorns = [pid for pid in group if "gunicorn" in processes[pid][3]]
    assert len(gunicorns) == 3, f"expected gunicorn's master and 2 workers, found {gunicorns}"
    postmaster = int((workdir / "pgdata" / "postmaster.pid").read_text().split()[0])
    server = {postmaster} | {pid for pid, (_, ppid, _, _) in processes.items() if ppid == postmaster}
    assert _alive(server) and len(server) > 1, "the embedded PostgreSQL should be running, with its workers"
    return group | server


def _stop_and_check(process, log_path, workdir, port, signum, pids):
    os.killpg(process.pid, signum)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        _kill(process)
        pytest.fail(f"still running {STOP_TIMEOUT}s after {signum.name}:\n{_log(log_path)}", pytrace=False)
    deadline = time.monotonic() + STOP_TIMEOUT
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    processes = _processes()
    left = {pid: processes[pid][3] for pid in _alive(pids)}
    assert not left, f"left running after {signum.name}: {left}\n{_log(log_path)}"
    assert _port_is_free(port)
    assert not (workdir / "pgdata" / "postmaster.pid").exists()
    log = _log(log_path)
    assert "Stopped the embedded PostgreSQL." in log
    # gunicorn stopped; it did not reload (its answer to SIGHUP by default).
    assert "Shutting down: Master" in log
    assert "Hang up" not in log
    return log


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_a_stop_signal_to_the_group_stops_gunicorn_then_postgresql(workdir, start_timeout, signum):
    port = _free_port()
    process, log_path = _start(RUN, workdir, port, start_timeout())
    pids = _serving_processes(process, workdir)
    _stop_and_check(process, log_path, workdir, port, signum, pids)
    # gunicorn stopped itself (a clean exit, passed on by `run`), not killed by the signal.
    assert process.returncode == 0, _log(log_path)


def test_closing_the_terminal_of_make_run_stops_everything(workdir, start_timeout):
    # make gets the SIGHUP too: it must wait for its recipe to finish
    # cleaning up rather than leave it behind. `-o`: never reinstall the
    # requirements from a test (another checkout's change may be pending).
    make = shutil.which("make")
    assert make, "make is what the README's `make run` needs"
    command = [make, "--no-print-directory", "-o", ".venv/.runtime-installed", "run"]
    port = _free_port()
    process, log_path = _start(command, workdir, port, start_timeout())
    pids = _serving_processes(process, workdir)
    _stop_and_check(process, log_path, workdir, port, signal.SIGHUP, pids)
    # make re-raises the signal on itself once its recipe is done.
    assert process.returncode == -signal.SIGHUP


def test_a_busy_port_is_refused_before_migrating_or_serving(workdir):
    with socket.socket() as other_server:
        other_server.bind(("127.0.0.1", 0))
        other_server.listen()
        port = other_server.getsockname()[1]
        result = subprocess.run(
            RUN,
            cwd=settings.BASE_DIR,
            env=_environment(workdir, port),
            capture_output=True,
            text=True,
            timeout=FIRST_START_TIMEOUT,  # initdb, if this case runs alone
        )
    assert result.returncode == 1
    assert (
        f"Port {port} on 127.0.0.1 is already in use: is another `make run` running? Set PORT=... to use another"
        in result.stderr
    )
    output = result.stdout + result.stderr
    assert "Serving" not in output
    assert "migrations" not in output.lower()
    # The server `run` started for it is stopped again.
    assert "Stopped the embedded PostgreSQL." in result.stderr
    assert not (workdir / "pgdata" / "postmaster.pid").exists()
