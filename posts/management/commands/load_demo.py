from django.core.management.base import BaseCommand

from posts.demo import load_demo_archive
from posts.models import Post


class Command(BaseCommand):
    help = "Load the demo archive (one post, 13 responses) into an empty database."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing (and succeed) when any post exists."
        )

    def handle(self, *args, if_empty, **options):
        if Post.objects.exists():
            if if_empty:
                if options["verbosity"] > 1:
                    self.stdout.write("The archive already has posts; demo not loaded.")
                return
            self.stderr.write(
                "The archive already has posts; the demo is only loaded into an empty database."
            )
            raise SystemExit(1)
        post = load_demo_archive()
        self.stdout.write(
            self.style.SUCCESS(f"Loaded the demo post “{post.title}” with {post.comments.count()} responses.")
        )
