"""Scratch databases on the server DATABASE_URL points to, and their schema."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

BASE_DIR = Path(__file__).resolve().parent.parent
WORK_DIR = BASE_DIR / "var" / "bench"
# collectstatic writes here for the benchmark's own processes, so the
# shared var/static is left alone.
STATIC_ROOT = WORK_DIR / "static"


def server_url():
    """DATABASE_URL (the server scratch databases go on), or None after saying how to get one."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        print(
            "DATABASE_URL is not set: run `make bench` (it starts the embedded PostgreSQL).", file=sys.stderr
        )
    return url


def database_name(url):
    return unquote(urlsplit(url).path.lstrip("/"))


def with_database(url, name):
    """url with its database name replaced (host, port and options kept)."""
    return urlunsplit(urlsplit(url)._replace(path="/" + quote(name)))


def _admin_connection(url):
    # The server's own database may not exist (a bare DATABASE_URL for a
    # new project): then the maintenance database.
    try:
        connection = psycopg2.connect(url)
    except psycopg2.OperationalError:
        connection = psycopg2.connect(with_database(url, "postgres"))
    connection.autocommit = True
    return connection


def create(url, name):
    """(Re)create database name on url's server; return its URL."""
    connection = _admin_connection(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()
    return with_database(url, name)


def drop(url, name):
    connection = _admin_connection(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    finally:
        connection.close()


def app_env(database_url, **overrides):
    """The environment of every wflm process the benchmark starts."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="wflm.settings",
        STATIC_ROOT=str(STATIC_ROOT),
        # A developer's .env may turn these on; they would distort timings.
        DEBUG="off",
        LOG_LEVEL="WARNING",
        EMAIL_URL="dummymail://",
        WEB_CONCURRENCY="2",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update({key: str(value) for key, value in overrides.items()})
    return env


def manage(database_url, *args):
    """Run manage.py with args against database_url (a subprocess, as a deploy would)."""
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=app_env(database_url),
        check=True,
    )


def migrate(database_url):
    manage(database_url, "migrate", "--noinput", "--verbosity", "0")


def collectstatic(database_url):
    manage(database_url, "collectstatic", "--noinput", "--verbosity", "0")
