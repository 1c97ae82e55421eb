"""WordPress's "Export Personal Data" for comments: everything stored about one email address."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from comments.models import Comment


class Command(BaseCommand):
    help = "Print (or write to --output) every comment by EMAIL, with its personal data, as JSON."

    def add_arguments(self, parser):
        parser.add_argument("email", help="The commenter's email address (case-insensitive).")
        parser.add_argument("--output", help="Write the JSON to this file instead of standard output.")

    def handle(self, *args, email, output, **options):
        try:
            validate_email(email)
        except ValidationError as error:
            raise CommandError(f"{email!r} is not an email address.") from error
        comments = Comment.objects.by_email(email).personal_data()
        document = json.dumps({"email": email, "comments": comments}, indent=2, ensure_ascii=False)
        if output:
            with open(output, "w", encoding="utf-8") as file:
                file.write(document + "\n")
            if options["verbosity"] >= 1:
                self.stderr.write(f"Wrote {len(comments)} comment(s) by {email} to {output}.")
        else:
            self.stdout.write(document)
