"""Delete old spam, as WordPress empties its spam after 30 days.

Nothing else ever deletes comments automatically: held, removed and
approved comments stay until a moderator acts.
"""

import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from comments.models import Comment

AGE = re.compile(r"^(?P<number>\d+)(?P<unit>[hdw])$")
UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def parse_age(value):
    """ "30d" -> timedelta(days=30); also "12h", "2w"."""
    match = AGE.match(value.strip().lower())
    if not match or int(match["number"]) == 0:
        raise CommandError(f"--older-than must look like 30d, 12h or 2w (not {value!r}).")
    return timedelta(**{UNITS[match["unit"]]: int(match["number"])})


class Command(BaseCommand):
    help = (
        "Delete spam comments older than --older-than (default 30d). Spam that has "
        "non-spam replies is kept, so deleting it never takes a reply with it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", default="30d", help="Age such as 30d, 12h or 2w (default 30d).")
        parser.add_argument("--dry-run", action="store_true", help="Count what would go; delete nothing.")

    def handle(self, *args, older_than, dry_run, **options):
        cutoff = timezone.now() - parse_age(older_than)
        with transaction.atomic():
            doomed, kept = Comment.objects.spam().filter(created_at__lt=cutoff).purgeable()
            if dry_run:
                self.stdout.write(f"Would delete {len(doomed)} spam comment(s); keep {kept} with replies.")
                transaction.set_rollback(True)
                return
            deleted = Comment.objects.filter(pk__in=doomed).delete()[1].get("comments.Comment", 0)
        if options["verbosity"] >= 1:
            self.stdout.write(
                f"Deleted {deleted} spam comment(s) older than {older_than}; kept {kept} with replies."
            )
