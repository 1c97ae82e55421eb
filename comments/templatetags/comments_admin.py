from django import template

from comments.admin_queue import pending_count

register = template.Library()


@register.simple_tag(takes_context=True)
def pending_comment_count(context):
    """The moderation queue's length: one query per request, however often it is shown."""
    return pending_count(context.get("request"))


@register.simple_tag
def undo_comment_id(message):
    """The comment an admin message offers to undo a step on (extra_tags "undo:<id>"), or ""."""
    tag = next((tag for tag in message.extra_tags.split() if tag.startswith("undo:")), "")
    comment_id = tag.removeprefix("undo:")
    return int(comment_id) if comment_id.isdigit() else ""
