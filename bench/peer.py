"""The peer, django-comments-xtd, in its own virtualenv and scratch database.

Installed from PyPI into var/bench-xtd-venv by the benchmark (never
vendored, never in wflm's requirements), with the same Django, psycopg2,
gunicorn and django-environ versions as wflm so only the comments app
differs. The project is bench/peer_xtd.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.scratch import BASE_DIR

PEER_DIR = BASE_DIR / "bench" / "peer_xtd"
VENV = BASE_DIR / "var" / "bench-xtd-venv"
PYTHON = VENV / "bin" / "python"
GUNICORN = VENV / "bin" / "gunicorn"
SPEC = "django-comments-xtd>=2.10,<3"
RESULT_PREFIX = "BENCH-RESULT "


class PeerUnavailable(Exception):
    """The peer could not be installed or run; the message says why."""


def _pinned(package):
    """package==version as wflm's requirements.txt pins it."""
    for line in (BASE_DIR / "requirements.txt").read_text().splitlines():
        name = line.split("==")[0].strip()
        if name.lower() == package.lower() and "==" in line:
            return line.split("#")[0].strip()
    return package


def requirements():
    return [SPEC, *(_pinned(name) for name in ("Django", "psycopg2-binary", "gunicorn", "django-environ"))]


def ensure_installed(log):
    """Create the venv and install the peer unless already there; return xtd's version."""
    wanted = "\n".join(requirements())
    marker = VENV / "bench-requirements.txt"
    if not (PYTHON.exists() and marker.exists() and marker.read_text() == wanted):
        log(f"Installing the peer into {VENV}: {', '.join(requirements())}")
        steps = {
            "creating the venv": [sys.executable, "-m", "venv", "--clear", str(VENV)],
            f"pip install of {SPEC}": [
                str(PYTHON),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                *requirements(),
            ],
        }
        for what, command in steps.items():
            done = subprocess.run(command, capture_output=True, text=True, timeout=900)
            if done.returncode != 0:
                lines = (done.stderr or done.stdout).strip().splitlines()
                errors = [line for line in lines if line.startswith("ERROR")] or lines[-2:]
                reason = " / ".join(error[:200] for error in errors[-2:])
                raise PeerUnavailable(f"{what} failed: {reason}")
        marker.write_text(wanted)
    done = subprocess.run(
        [str(PYTHON), "-c", "import importlib.metadata as m; print(m.version('django-comments-xtd'))"],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise PeerUnavailable("django-comments-xtd does not import: " + done.stderr.strip()[-300:])
    return done.stdout.strip()


def env(database_url):
    environment = dict(os.environ)
    # wflm's own settings module must not leak into the peer.
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    environment.update(DATABASE_URL=database_url, PYTHONDONTWRITEBYTECODE="1")
    return environment


def manage(database_url, *args, timeout=900):
    done = subprocess.run(
        [str(PYTHON), "manage.py", *args],
        cwd=PEER_DIR,
        env=env(database_url),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise PeerUnavailable(f"manage.py {args[0]} failed: {done.stderr.strip()[-600:]}")
    return done.stdout


def prepare(database_url, thread, work_dir):
    """Migrate the peer's scratch database and load thread (from export_thread); return its URL path."""
    manage(database_url, "migrate", "--noinput", "--verbosity", "0")
    path = Path(work_dir) / "peer-thread.json"
    path.write_text(json.dumps(thread))
    manage(database_url, "load_thread", str(path))
    return f"/{thread['slug']}/"


def render_times(database_url, url, repeat):
    output = manage(database_url, "bench_render", url, "--repeat", str(repeat))
    for line in output.splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX) :])
    raise PeerUnavailable("bench_render printed no result")
