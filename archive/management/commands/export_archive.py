import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from archive.exporters import EXPORTERS
from archive.exporters.records import archive_counts

PROGRESS_EVERY = 1_000


class Command(BaseCommand):
    help = (
        "Export the whole archive: --format json (every field we hold; see docs/import-export.md) or "
        "--format wxr (WordPress eXtended RSS 1.2, for WordPress's importer). Importing the export into "
        "an empty database reproduces every post and comment."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=sorted(EXPORTERS), required=True)
        parser.add_argument("--output", help="File to write (written whole or not at all); default: stdout.")
        parser.add_argument(
            "--site-url",
            default=None,
            help="This archive's public address, for links and as the export's source name "
            "(default: the SITE_URL setting).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be exported; write nothing."
        )

    def handle(self, *args, format, output, site_url, dry_run, verbosity, **options):
        site_url = site_url or settings.SITE_URL
        # With the export on stdout, messages go to stderr.
        self.messages = self.stderr if not output and not dry_run else self.stdout
        if dry_run:
            counts = archive_counts()
            if verbosity >= 1:
                self.stdout.write(
                    f"Would export {counts['posts']:,} posts and {counts['comments']:,} comments as {format}."
                )
            return
        self.verbosity = verbosity
        exporter = EXPORTERS[format]
        progress = self._progress if verbosity >= 2 or self.messages.isatty() else None
        fresh_transaction = not connection.in_atomic_block
        with transaction.atomic():
            if fresh_transaction:
                # One snapshot for the whole export: replies written
                # meanwhile wait for the next export, never half-appear.
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            if output:
                written = self._to_file(Path(output), exporter, site_url, progress)
            else:
                written = exporter(_Unwrapped(self.stdout), site_url, progress)
        if verbosity >= 1:
            where = output or "stdout"
            self.messages.write(
                self.style.SUCCESS(
                    f"Exported {written['posts']:,} posts and {written['comments']:,} comments as {format} to {where}."
                )
            )

    def _to_file(self, path, exporter, site_url, progress):
        directory = path.resolve().parent
        if not directory.is_dir():
            raise CommandError(f"{path}: the directory {directory} does not exist.")
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
                written = exporter(out, site_url, progress)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return written

    def _progress(self, written):
        if written["posts"] % PROGRESS_EVERY == 0:
            self.messages.write(f"  … {written['posts']:,} posts, {written['comments']:,} comments")


class _Unwrapped:
    """The command's stdout without its per-write line ending (the export is written in pieces)."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text):
        self.wrapper.write(text, ending="")
