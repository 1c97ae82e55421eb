"""One file in, all or nothing: parse, write, record the run."""

import datetime
import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.db import DatabaseError, transaction
from django.utils import timezone

from archive.importers import IMPORTERS, detect_format
from archive.importers.base import Cleaner, ImportFailed, Report
from archive.importers.seed import file_date
from archive.importers.xml import USUAL_PREFIXES, UndeclaredPrefix
from archive.models import ImportRun
from archive.pipeline import PARALLEL_FROM_BYTES, BackgroundRecords
from archive.restore import RestoreWriter, is_our_export
from archive.writer import ArchiveWriter

HEAD_BYTES = 64 * 1024
logger = logging.getLogger(__name__)


@dataclass
class ImportOptions:
    format: str | None = None
    dry_run: bool = False
    site_url: str | None = None
    infer_replies: bool = False
    status_map: dict = field(default_factory=dict)
    time_zone: datetime.tzinfo | None = None
    replies: dict = field(default_factory=dict)  # seed pages: {reply number: parent number}
    parallel: bool | None = None  # parse in a second process; None: for large files
    progress: object = None  # called with the number of comments written so far

    def as_dict(self):
        return {
            "format": self.format,
            "site_url": self.site_url,
            "infer_replies": self.infer_replies,
            "status_map": self.status_map,
            "timezone": str(self.time_zone) if self.time_zone else None,
            "replies": {str(k): v for k, v in self.replies.items()},
        }


@dataclass
class ImportResult:
    path: str
    format: str
    site: str
    report: Report
    run: ImportRun | None = None
    error: str = ""

    @property
    def ok(self):
        return not self.error


class _DryRunRollback(Exception):
    pass


def import_file(path, options):
    """Import one file in one transaction; on any failure nothing is written.

    A failed run (but not a dry run) is still recorded, with its error, so
    the Imports page shows it.
    """
    path = Path(path)
    report = Report()
    started = timezone.now()
    result = ImportResult(path=str(path), format=options.format or "?", site="", report=report)
    try:
        with path.open("rb") as stream:
            result.format = options.format or detect_format(stream.read(HEAD_BYTES))
            stream.seek(0)
            if options.replies and result.format != "seed":
                raise ImportFailed("--replies applies to saved post pages (--format seed) only.")
            importer = _importer(result.format, options, report, path)
            try:
                _attempt(importer, stream, options, result, started)
            except UndeclaredPrefix:
                if not hasattr(importer, "declare_prefixes"):
                    raise
                # Rolled back: read the whole file again, from a fresh report,
                # with the usual prefixes declared (a second failure is final).
                report = result.report = Report()
                result.run = None
                stream.seek(0)
                importer = _importer(result.format, options, report, path)
                importer.declare_prefixes = True
                try:
                    _attempt(importer, stream, options, result, started)
                except UndeclaredPrefix as error:
                    raise ImportFailed(
                        f"{str(error).removesuffix('.')}, even with the usual prefixes "
                        f"({', '.join(USUAL_PREFIXES)}) declared."
                    ) from error
    except ImportFailed as error:
        result.error = str(error)
    except OSError as error:
        result.error = f"cannot read the file: {error.strerror or error}."
    except DatabaseError as error:
        result.error = f"the database refused the data: {str(error).strip().splitlines()[0]}"
    except RecursionError:
        result.error = "the file is nested too deeply to read."
    except Exception as error:  # noqa: BLE001 (any other failure: nothing written, and said so)
        logger.exception("import of %s failed", path)
        result.error = f"unexpected error ({type(error).__name__}: {error}); this is a bug in the importer."
    if result.error and not options.dry_run:
        result.run = ImportRun.objects.create(
            file_name=path.name,
            format=result.format,
            site=result.site,
            status=ImportRun.Status.FAILED,
            started_at=started,
            finished_at=timezone.now(),
            options=options.as_dict(),
            counts={},
            warnings=report.warnings,
            error=result.error,
        )
    return result


def _attempt(importer, stream, options, result, started):
    try:
        with transaction.atomic():
            _write(importer, stream, options, result, started)
            if options.dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        result.run = None


def _size(stream):
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def _importer(format_name, options, report, path):
    cleaner = Cleaner(report, status_map=options.status_map, time_zone=options.time_zone)
    importer_class = IMPORTERS[format_name]
    if format_name == "seed":
        return importer_class(
            cleaner, site_url=options.site_url, replies=options.replies, file_date=file_date(path)
        )
    return importer_class(cleaner, site_url=options.site_url)


def _write(importer, stream, options, result, started):
    run = None
    if not options.dry_run:
        run = ImportRun.objects.create(
            file_name=Path(result.path).name,
            format=result.format,
            status=ImportRun.Status.SUCCEEDED,
            started_at=started,
            finished_at=started,
            options=options.as_dict(),
        )
        result.run = run
    background = options.parallel or (options.parallel is None and _size(stream) >= PARALLEL_FROM_BYTES)
    records = BackgroundRecords(importer, result.path) if background else importer.records(stream)

    def site_of():
        # Known once the file's header has been read (by whichever process parses).
        return (records.site if background else None) or importer.site

    writer = None
    counts = result.report.counts
    for record in records:
        # The file's own totals, whatever was new: a second import says them.
        counts["file_posts"] += 1
        counts["file_comments"] += len(record.comments)
        counts["file_replies"] += sum(1 for comment in record.comments if comment.parent_key is not None)
        if writer is None:
            result.site = site_of()
            # Our own export is restored (ids kept, no source record for it); anything else is merged.
            writer_class = RestoreWriter if is_our_export(record) else ArchiveWriter
            writer = writer_class(
                site=result.site,
                report=result.report,
                run=run,
                infer_replies=options.infer_replies,
                now=started,
                progress=options.progress,
            )
        writer.add(record)
    if writer is not None:
        writer.finish()
    result.site = site_of()
    if background:
        result.report.merge(records.report)
    if run is not None:
        run.site = result.site
        run.finished_at = timezone.now()
        run.counts = result.report.as_dict()
        run.warnings = result.report.warnings
        run.save(update_fields=["site", "finished_at", "counts", "warnings"])
