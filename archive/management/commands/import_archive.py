from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from archive.importers import FORMATS
from archive.importers.base import ImportFailed, parse_status_map, parse_time_zone
from archive.importers.seed import parse_replies
from archive.importing import ImportOptions, import_file
from archive.summary import summary_lines

WARNINGS_SHOWN = 10


class Command(BaseCommand):
    help = (
        "Import comment archives: WordPress WXR (1.0-1.2), Disqus XML, Isso generic JSON, a saved "
        "post page as text, or our own JSON/WXR export. Each file is imported whole or not at all; "
        "importing a file again adds only what is new."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--format", choices=FORMATS, help="Skip detection: the files' format.")
        parser.add_argument("--dry-run", action="store_true", help="Parse and report; write nothing.")
        parser.add_argument(
            "--site-url",
            help="The old blog's base URL: who the files come from (overrides the file's own) and "
            "where its old links pointed.",
        )
        parser.add_argument(
            "--infer-replies",
            action="store_true",
            help='Flat archives: link a comment that writes "@name" to the latest earlier comment by '
            "that name in the same post (recorded as inferred; undoable in the admin).",
        )
        parser.add_argument(
            "--status-map",
            default="",
            help="Override status mapping, SOURCE=STATUS pairs (e.g. trash=pending,missing=approved). "
            "Sources: WordPress comment_approved values, deleted/spam/approved for Disqus, missing.",
        )
        parser.add_argument(
            "--timezone",
            help="Zone of local times given without GMT (e.g. Europe/Paris); by default the offset "
            "of the file's own dated pairs.",
        )
        parser.add_argument(
            "--replies",
            default="",
            help="Saved post pages: reply links stated by the archivist, REPLY=PARENT by response "
            "number (e.g. 2=1,8=7); recorded as inferred.",
        )

    def handle(self, *args, files, verbosity, **options):
        try:
            import_options = ImportOptions(
                format=options["format"],
                dry_run=options["dry_run"],
                site_url=options["site_url"],
                infer_replies=options["infer_replies"],
                status_map=parse_status_map(options["status_map"]),
                time_zone=parse_time_zone(options["timezone"]),
                replies=parse_replies(options["replies"]),
            )
        except ImportFailed as error:
            raise CommandError(str(error)) from error
        if verbosity >= 2 or self.stdout.isatty():
            import_options.progress = self._progress
        failed = 0
        for path in files:
            result = import_file(path, import_options)
            if not result.ok:
                failed += 1
                self.stderr.write(f"{path}: {result.error} Nothing was imported from this file.")
                continue
            if verbosity >= 1:
                self._summary(result, verbosity, import_options.dry_run)
        if failed:
            raise CommandError(f"{failed} of {len(files)} file(s) could not be imported.")

    def _progress(self, count):
        self.stdout.write(f"  … {count:,} comments", ending="\r" if self.stdout.isatty() else "\n")

    def _summary(self, result, verbosity, dry_run):
        outcome = "dry run, nothing written" if dry_run else "imported"
        self.stdout.write(
            self.style.SUCCESS(f"{result.path} ({result.format}, site {result.site}): {outcome}.")
        )
        # The summary speaks the admin's language; the terminal's is English (operator output).
        with translation.override("en"):
            lines = summary_lines(result.report)
        for line in lines:
            self.stdout.write(f"  {line}")
        warnings = result.report.warnings
        if warnings:
            shown = warnings if verbosity >= 2 else warnings[:WARNINGS_SHOWN]
            total = result.report.warning_total
            more = "" if len(shown) == total else f" (first {len(shown)} below; -v 2 shows all)"
            self.stdout.write(f"  warnings: {total}{more}")
            for warning in shown:
                self.stdout.write(self.style.WARNING(f"    {warning}"))
