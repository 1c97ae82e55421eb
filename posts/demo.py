"""The demo archive: the seed page's post and its 13 captured responses."""

import json
from pathlib import Path

from django.db import transaction
from django.utils.dateparse import parse_datetime

from comments.models import Comment
from posts.models import Post

DEMO_FILE = Path(__file__).resolve().parent / "demo" / "ascenseur-pour-lechafaud.json"


@transaction.atomic
def load_demo_archive(path=DEMO_FILE):
    """Create the demo post and its thread; return the post."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    post_data = dict(data["post"])
    post_data["published_at"] = parse_datetime(post_data["published_at"])
    post = Post.objects.create(**post_data)
    by_number = {}
    for item in data["comments"]:
        by_number[item["number"]] = Comment.objects.create(
            post=post,
            parent=by_number.get(item["reply_to"]),
            name=item["name"],
            body=item["body"],
            created_at=parse_datetime(item["created_at"]),
            status=Comment.Status.APPROVED,
        )
    return post
