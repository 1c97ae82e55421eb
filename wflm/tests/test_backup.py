"""`make backup` / `make restore`: a real pg_dump and pg_restore round trip.

The data is written by the test (committed: transactional_db), dumped by
`python -m wflm.backup backup` in a subprocess, as make runs it, and
restored the same way into scratch databases created on the same server
and dropped at the end.
"""

import contextlib
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.db import connection
from psycopg2 import sql

from comments.models import Comment
from conftest import make_comment, make_post
from wflm import backup
from wflm.tests.conftest import database_url

TIMEOUT = 60  # seconds for one backup or restore command


def run_backup_module(*arguments, database):
    """`python -m wflm.backup ARGUMENTS` against the database named database."""
    env = dict(os.environ)
    env.pop("TEST_DATABASE_NAME", None)
    env["DATABASE_URL"] = database_url(connection.settings_dict | {"NAME": database})
    return subprocess.run(
        [sys.executable, "-m", "wflm.backup", *arguments],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


@contextlib.contextmanager
def scratch_database(suffix):
    """Create an empty database next to the test database; yield its name; drop it."""
    name = f"{connection.settings_dict['NAME']}_{suffix}"
    # transactional_db: Django's connection is in autocommit, as CREATE DATABASE needs.
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def connect(database):
    """A plain psycopg2 connection (autocommit) to database on the test server."""
    raw = psycopg2.connect(**(connection.get_connection_params() | {"dbname": database}))
    raw.autocommit = True
    try:
        yield raw
    finally:
        raw.close()


def rows(database, table):
    """Every row of table, in id order, as {column: value}."""
    with connect(database) as raw, raw.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} ORDER BY id")  # noqa: S608 (fixed names)
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def catalogue(database):
    """Row counts of every table, the sequences' positions and the triggers: what a restore must rebuild."""
    with connect(database) as raw, raw.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S') ORDER BY 1"
        )
        counts = {}
        for relation, kind in cursor.fetchall():
            query = "SELECT count(*) FROM {}" if kind == "r" else "SELECT last_value FROM {}"
            cursor.execute(sql.SQL(query).format(sql.Identifier(relation)))
            counts[relation] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2"
        )
        return counts, cursor.fetchall()


def make_archive():
    """Posts and comments covering what a backup must keep: threads, statuses, kinds, non-ASCII."""
    post = make_post(
        title="Miles Davis - Ascenseur pour l'échafaud (1958)",
        body="<p>Jeanne Moreau erre dans Paris, «la nuit» — 夜の散歩 🎺</p>",
    )
    other = make_post(title="Ørjan Nilsen - Ελληνικά (2009)", comments_open=False)
    first = make_comment(
        post,
        name="Zoë Ångström",
        email="zoe@example.com",
        url="https://example.org/zoë",
        body="Première réponse…\n\nDeux paragraphes, https://example.com/a?b=c",
        ip_address="2001:db8::1",
        user_agent="Mozilla/5.0 (X11; Linux x86_64)",
    )
    reply = make_comment(post, parent=first, name="poetichigh", body="@Zoë → merci ✓", notify_replies=True)
    make_comment(post, parent=reply, name="Feguillerme", body="Third level: 日本語")
    make_comment(post, name="Held", body="Waiting", status=Comment.Status.PENDING, ip_address="192.0.2.7")
    make_comment(post, name="Spammer", body="buy now", status=Comment.Status.SPAM)
    make_comment(post, name="Gone", body="removed text", status=Comment.Status.REMOVED)
    make_comment(post, name="Other blog", body="linked here", kind=Comment.Kind.PINGBACK)
    make_comment(other, name="Ole", body="Æ, ø, å")
    return post, first, reply


@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_into_an_empty_database_keeps_every_field():
    post, first, reply = make_archive()
    post.refresh_from_db()
    reply.refresh_from_db()
    # What the triggers computed, and the dump must carry as it is.
    assert post.response_count == 3
    assert (reply.path, reply.depth) == ([first.pk, reply.pk], 2)
    source = connection.settings_dict["NAME"]

    result = run_backup_module("backup", database=source)
    assert result.returncode == 0, result.stderr
    dump = Path(result.stdout.strip())
    try:
        assert dump.parent == backup.BACKUP_DIR
        assert re.fullmatch(r"\d{8}T\d{6}Z(-\d+)?\.dump", dump.name)
        # Readers' emails and IP addresses: the owner's eyes only.
        assert stat.S_IMODE(dump.stat().st_mode) == 0o600
        assert dump.read_bytes()[:5] == b"PGDMP"  # the custom format pg_restore reads

        with scratch_database("restored") as target:
            result = run_backup_module("restore", str(dump), database=target)
            assert result.returncode == 0, result.stderr
            assert f'into the database "{target}"' in result.stdout

            for table in ("posts_post", "comments_comment"):
                restored = rows(target, table)
                assert restored == rows(source, table), table
            restored_comments = {row["id"]: row for row in rows(target, "comments_comment")}
            assert restored_comments[reply.pk]["path"] == [first.pk, reply.pk]
            assert restored_comments[reply.pk]["body"] == "@Zoë → merci ✓"
            assert {row["status"] for row in restored_comments.values()} == {
                "approved",
                "pending",
                "spam",
                "removed",
            }
            assert rows(target, "posts_post")[0]["response_count"] == 3
            # Every other table too, the sequences (new rows get new ids) and the triggers.
            assert catalogue(target) == catalogue(source)

            # A second restore into it is refused, and changes nothing...
            with connect(target) as raw, raw.cursor() as cursor:
                cursor.execute("UPDATE posts_post SET title = 'Changed since the backup'")
            result = run_backup_module("restore", str(dump), database=target)
            assert result.returncode == 1
            assert f'Refusing to restore into the database "{target}": it is not empty' in result.stderr
            assert "posts_post (2 rows) and comments_comment (8 rows)" in result.stderr
            assert "FORCE=1" in result.stderr
            assert {row["title"] for row in rows(target, "posts_post")} == {"Changed since the backup"}

            # ...unless forced, which puts back exactly what the backup holds.
            result = run_backup_module("restore", str(dump), "--force", database=target)
            assert result.returncode == 0, result.stderr
            assert rows(target, "posts_post") == rows(source, "posts_post")
            assert rows(target, "comments_comment") == rows(source, "comments_comment")
            assert catalogue(target) == catalogue(source)
    finally:
        dump.unlink(missing_ok=True)


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_with_any_table_even_empty(tmp_path):
    dump = tmp_path / "any.dump"
    dump.write_bytes(b"never read: the refusal comes first")
    with scratch_database("leftover") as target:
        with connect(target) as raw, raw.cursor() as cursor:
            cursor.execute("CREATE TABLE leftover (id integer)")
        result = run_backup_module("restore", str(dump), database=target)
    assert result.returncode == 1
    assert "it is not empty (1 table: public.leftover)" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_a_failed_restore_says_so_and_leaves_the_database_empty(tmp_path):
    dump = tmp_path / "broken.dump"
    dump.write_bytes(b"PGDMP but truncated")
    with scratch_database("broken") as target:
        result = run_backup_module("restore", str(dump), database=target)
        assert result.returncode == 1
        assert f'pg_restore failed (its message is above): the database "{target}" is unchanged.' in (
            result.stderr
        )
        with connect(target) as raw, raw.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            assert cursor.fetchone()[0] == 0


def test_restore_without_a_file_says_which_is_needed():
    # Refused before any query: no database is touched.
    result = run_backup_module("restore", "", database=connection.settings_dict["NAME"])
    assert result.returncode == 1
    assert "Which backup? make restore FILE=" in result.stderr


def _fake_client(directory, name, version):
    """An executable that answers --version as PostgreSQL's clients do."""
    directory.mkdir(exist_ok=True)
    program = directory / name
    program.write_text(f"#!/bin/sh\necho '{name} (PostgreSQL) {version} (Debian {version}-1)'\n")
    program.chmod(0o755)
    return program


def test_the_embedded_client_is_preferred_when_new_enough():
    embedded = backup._embedded_bin_dir() / "pg_dump"
    assert backup.client_program("pg_dump", backup._client_major_version(embedded)) == embedded


def test_a_client_on_path_is_used_when_the_wheel_has_none(tmp_path, monkeypatch):
    monkeypatch.setattr(backup, "_embedded_bin_dir", lambda: tmp_path / "no-wheel")
    program = _fake_client(tmp_path / "bin", "pg_restore", "16.4")
    monkeypatch.setenv("PATH", str(program.parent))
    assert backup.client_program("pg_restore", 16) == program
    assert backup.client_program("pg_restore", 12) == program


def test_a_client_older_than_the_server_is_refused_with_a_message(tmp_path, monkeypatch):
    monkeypatch.setattr(backup, "_embedded_bin_dir", lambda: tmp_path / "no-wheel")
    program = _fake_client(tmp_path / "bin", "pg_dump", "15.20")
    monkeypatch.setenv("PATH", str(program.parent))
    with pytest.raises(backup.BackupError) as refusal:
        backup.client_program("pg_dump", 17)
    assert str(refusal.value).startswith(
        f"The database server runs PostgreSQL 17, but {program} is version 15: pg_dump must be version 17 or newer"
    )
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(backup.BackupError, match="pg_dump not found"):
        backup.client_program("pg_dump", 17)
