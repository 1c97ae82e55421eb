"""What `make run` does once the database is up: migrate, load the demo
archive into an empty database, collect static files, then serve with
gunicorn in the foreground (Ctrl-C stops it)."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wflm.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=1)
    call_command("load_demo", if_empty=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    workers = os.environ.get("WEB_CONCURRENCY", "2")
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    print(f"Serving the WFLM archive on http://{address}/ (Ctrl-C stops it)", flush=True)
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    os.execv(  # noqa: S606 (a fixed program: the venv's gunicorn)
        gunicorn,
        [
            gunicorn,
            "wflm.wsgi",
            "--bind",
            address,
            "--workers",
            workers,
            "--access-logfile",
            "-",
            "--no-control-socket",
        ],
    )


if __name__ == "__main__":
    main()
