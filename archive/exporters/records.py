"""The archive as plain dicts, post by post: what both exports write.

One dict per post with every Post field we hold (but the bookkeeping
created/updated times and cache versions), its source records, and its
comments in thread order (parents first), each with every Comment field
and its source records. docs/import-export.md documents the fields.
"""

from django.db.models import Count
from django.db.models.functions import Lower

from archive.importers.wxr import site_of
from archive.models import CommentSource, PostSource
from comments.models import Comment
from posts.models import Post

POSTS_PER_QUERY = 200

POST_FIELDS = ("title", "slug", "artist", "album", "year", "body", "excerpt", "comments_open", "language")
COMMENT_FIELDS = (
    "name",
    "email",
    "url",
    "body",
    "status",
    "kind",
    "user_agent",
    "original_id",
    "reply_inferred",
)
# Moderation history, where the Comment model has it.
COMMENT_OPTIONAL_FIELDS = tuple(
    name
    for name in (
        "moderation_rule",
        "moderation_note",
        "decided_at",
        "notify_replies",
        "reply_notified_at",
        "by_staff",
    )
    if any(field.name == name for field in Comment._meta.concrete_fields)
)
POST_SOURCE_FIELDS = (
    "site",
    "key",
    "original_id",
    "original_url",
    "post_type",
    "post_status",
    "author",
    "categories",
    "extra",
)
COMMENT_SOURCE_FIELDS = (
    "site",
    "key",
    "original_id",
    "original_parent_id",
    "parent_origin",
    "inferred_from",
    "extra",
)


def _date(value):
    return value.isoformat() if value else None


def archive_counts():
    comments = Comment.objects.aggregate(total=Count("id"))["total"]
    return {"posts": Post.objects.count(), "comments": comments}


def export_site(site_url):
    return site_of(site_url) or "wflm"


def post_dicts(site_url):
    """Every post as a dict (with its comments), by id; a few queries per 200 posts."""
    post_ids = list(Post.objects.order_by("id").values_list("id", flat=True))
    for start in range(0, len(post_ids), POSTS_PER_QUERY):
        chunk = post_ids[start : start + POSTS_PER_QUERY]
        posts = Post.objects.filter(id__in=chunk).order_by("id")
        comments = {}
        for comment in Comment.objects.filter(post_id__in=chunk).order_by("post_id", "path"):
            comments.setdefault(comment.post_id, []).append(comment)
        post_sources = {}
        for source in PostSource.objects.filter(post_id__in=chunk).order_by("id"):
            post_sources.setdefault(source.post_id, []).append(source)
        comment_sources = {}
        for source in CommentSource.objects.filter(comment__post_id__in=chunk).order_by("id"):
            comment_sources.setdefault(source.comment_id, []).append(source)
        tags = {}
        links = Post.tags.through.objects.filter(post_id__in=chunk).select_related("tag")
        for link in links.order_by(Lower("tag__name"), "tag_id"):
            tags.setdefault(link.post_id, []).append({"name": link.tag.name, "slug": link.tag.slug})
        for post in posts:
            yield post_dict(
                post,
                site_url,
                post_sources.get(post.pk, []),
                comments.get(post.pk, []),
                comment_sources,
                tags.get(post.pk, []),
            )


def post_dict(post, site_url, sources, comments, comment_sources, tags=()):
    data = {"id": post.pk, **{name: getattr(post, name) for name in POST_FIELDS}}
    data["published_at"] = _date(post.published_at)
    data["url"] = site_url.rstrip("/") + post.get_absolute_url()
    data["post_type"] = next((s.post_type for s in sources if s.post_type in {"post", "page"}), "post")
    data["sources"] = [{name: getattr(source, name) for name in POST_SOURCE_FIELDS} for source in sources]
    data["tags"] = list(tags)
    data["comments"] = [comment_dict(comment, comment_sources.get(comment.pk, [])) for comment in comments]
    return data


def comment_dict(comment, sources):
    data = {"id": comment.pk, "parent": comment.parent_id}
    data.update({name: getattr(comment, name) for name in COMMENT_FIELDS})
    data["created_at"] = _date(comment.created_at)
    data["ip_address"] = comment.ip_address
    for name in COMMENT_OPTIONAL_FIELDS:
        value = getattr(comment, name)
        data[name] = _date(value) if name.endswith("_at") else value
    data["sources"] = [{name: getattr(source, name) for name in COMMENT_SOURCE_FIELDS} for source in sources]
    return data
