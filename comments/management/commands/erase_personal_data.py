"""WordPress's "Erase Personal Data" for comments: the text stays, who wrote it does not."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from comments.models import Comment


class Command(BaseCommand):
    help = (
        "Anonymise every comment by EMAIL: the name becomes “Anonymous”; email, website, "
        "IP address and user agent are wiped; the text stays. Asks for confirmation."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="The commenter's email address (case-insensitive).")
        parser.add_argument("--dry-run", action="store_true", help="Count the comments; change nothing.")
        parser.add_argument(
            "--no-input", "--noinput", action="store_false", dest="interactive", help="Do not ask to confirm."
        )

    def handle(self, *args, email, dry_run, interactive, **options):
        try:
            validate_email(email)
        except ValidationError as error:
            raise CommandError(f"{email!r} is not an email address.") from error
        comments = Comment.objects.by_email(email)
        count = comments.count()
        if dry_run or not count:
            self.stdout.write(
                f"{count} comment(s) by {email} would be anonymised."
                if dry_run
                else f"No comments by {email}."
            )
            return
        if interactive:
            answer = input(
                f"Anonymise {count} comment(s) by {email}? This cannot be undone. Type 'yes' to go on: "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing was changed.")
        with transaction.atomic():
            erased = comments.erase_personal_data()
        if options["verbosity"] >= 1:
            self.stdout.write(f"Anonymised {erased} comment(s) by {email}.")
