"""Render every stored comment's body_html again from its body.

body_html is computed once, when a comment is written; after the
rendering rules change (comment formatting, the link-punctuation fix),
run this once so comments written before show as new ones do.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from comments.models import Comment
from comments.text import comment_to_html

BATCH = 2_000


class Command(BaseCommand):
    help = "Render the HTML of every stored comment again from its text (after rendering rules change)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count the comments that would change; write nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        seen = changed = 0
        last_pk = 0
        while True:
            # Keyset pagination: one query per batch, whatever the table's size.
            batch = list(
                Comment.objects.filter(pk__gt=last_pk).order_by("pk").only("pk", "body", "body_html")[:BATCH]
            )
            if not batch:
                break
            last_pk = batch[-1].pk
            stale = []
            for comment in batch:
                rendered = comment_to_html(comment.body)
                if rendered != comment.body_html:
                    comment.body_html = rendered
                    stale.append(comment)
            seen += len(batch)
            changed += len(stale)
            if stale and not dry_run:
                with transaction.atomic():
                    Comment.objects.bulk_update(stale, ["body_html"])
            if options["verbosity"] >= 2:
                self.stdout.write(f"{seen:,} comments read, {changed:,} to render again")
        verb = "would change" if dry_run else "rendered again"
        self.stdout.write(f"{seen:,} comments read; {changed:,} {verb}.")
