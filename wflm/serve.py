"""What `make run` does once the database is up: check that the address is
free, migrate, load the demo archive into an empty database, collect static
files, then serve with gunicorn in the foreground, configured by
wflm/gunicorn.conf.py. Ctrl-C, SIGTERM and SIGHUP (the terminal closing) all
stop it."""

import errno
import os
import socket
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
GUNICORN_CONFIG = BASE_DIR / "wflm" / "gunicorn.conf.py"


def read_dotenv():
    """Put .env's values into os.environ (the environment wins), as wflm/settings.py does.

    Here too because HOST, PORT and WEB_CONCURRENCY are read before Django
    is set up: by the port check below, and by gunicorn's master.
    """
    import environ

    environ.Env.read_env(BASE_DIR / ".env")


def listen_address():
    """(host, port) from HOST and PORT; wflm/gunicorn.conf.py binds the same."""
    read_dotenv()
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise SystemExit(f"PORT must be a port number (1-65535), not {port!r}.")
    return host, int(port)


def bind_string(host, port):
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def check_port_free(host, port):
    """Exit with a message if host:port cannot be listened on (e.g. a second `make run`).

    A bind test rather than a connection attempt: it also catches a server
    that is not answering, and binds as gunicorn will (SO_REUSEADDR, so a
    port left in TIME_WAIT by the previous run still counts as free).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                message = (
                    f"Port {port} on {host} is already in use: is another `make run` running?"
                    " Set PORT=... to use another"
                )
            else:
                message = f"Cannot listen on {bind_string(host, port)}: {error.strerror}"
            print(message, file=sys.stderr)
            sys.exit(1)


def main():
    host, port = listen_address()
    # Before anything slow or visible: a second `make run` must not migrate
    # or say "Serving" only for gunicorn to fail on the port afterwards.
    check_port_free(host, port)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wflm.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=1)
    call_command("load_demo", if_empty=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    print(f"Serving the WFLM archive on http://{bind_string(host, port)}/ (Ctrl-C stops it)", flush=True)
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    # exec, not a child process: the process `wflm.localdb run` waits for is
    # gunicorn's master itself, so signals and the exit status need no relay
    # (gunicorn.conf.py explains how SIGHUP becomes a stop).
    os.execv(  # noqa: S606 (a fixed program: the venv's gunicorn)
        gunicorn, [gunicorn, "--config", str(GUNICORN_CONFIG)]
    )


if __name__ == "__main__":
    main()
