from django import template

from comments.models import Comment

register = template.Library()


@register.simple_tag(takes_context=True)
def pending_comment_count(context):
    """The moderation queue's length: one query per request, however often it is shown."""
    request = context.get("request")
    cached = getattr(request, "_pending_comment_count", None)
    if cached is None:
        cached = Comment.objects.pending().count()
        if request is not None:
            request._pending_comment_count = cached
    return cached
