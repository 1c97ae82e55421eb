"""Load wflm's benchmark thread (JSON from bench/threadgen.export_thread) into xtd."""

import json
from datetime import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand
from django.db import transaction
from django_comments_xtd.models import XtdComment

from articles.models import Article


class Command(BaseCommand):
    help = "Create the article and its comments, parents first, through XtdComment.save()."

    def add_arguments(self, parser):
        parser.add_argument("path")

    @transaction.atomic
    def handle(self, path, **options):
        with open(path, encoding="utf-8") as source:
            thread = json.load(source)
        article = Article.objects.create(
            title=thread["title"],
            slug=thread["slug"],
            body=thread["body"],
            published_at=datetime.fromisoformat(thread["published_at"]),
        )
        content_type = ContentType.objects.get_for_model(Article)
        new_ids = {}
        # Rows arrive parents first (wflm ids ascend in writing order), so
        # each reply's parent already has its xtd id; save() then sets
        # thread_id, level and order, renumbering as xtd always does.
        for row in thread["comments"]:
            comment = XtdComment(
                content_type=content_type,
                object_pk=str(article.pk),
                site_id=settings.SITE_ID,
                user_name=row["name"],
                user_email=row["email"],
                user_url=row["url"],
                comment=row["body"],
                submit_date=datetime.fromisoformat(row["created_at"]),
                is_public=True,
                is_removed=False,
                parent_id=new_ids[row["parent_id"]] if row["parent_id"] else 0,
            )
            comment.save()
            new_ids[row["id"]] = comment.pk
        levels = XtdComment.objects.filter(object_pk=str(article.pk)).values_list("level", flat=True)
        self.stdout.write(f"{len(new_ids)} comments, deepest level {max(levels, default=0)}")
