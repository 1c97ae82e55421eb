"""Changing what a comment says after it was written, and the site's own replies.

edit_comment keeps what the comment said before (a CommentEdit per change:
the oldest one holds the original) and re-renders the text; it runs no
moderation rules, so a commenter's edit runs them itself (comments/views).
reply_as_staff writes a moderator's reply, approved, marked as the site's.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext, gettext_lazy

from comments import notifications
from comments.models import BODY_MAX_LENGTH, Comment, CommentEdit
from comments.text import normalise_newlines

EDITABLE_FIELDS = ("name", "url", "body")
# The statuses a moderator's reply may answer: a pending parent is approved
# first (as WordPress does); spam and removed comments are not answered.
REPLYABLE = {Comment.Status.PENDING, Comment.Status.APPROVED}
# Why the others cannot be answered (the reply page says it too).
NOT_REPLYABLE = {
    Comment.Status.SPAM: gettext_lazy("This comment is marked as spam: approve it before replying."),
    Comment.Status.REMOVED: gettext_lazy("This comment is in the trash: approve it before replying."),
}


def _number(value):
    # Grouped as the interface language writes it ("10,000", "10 000").
    return number_format(value, force_grouping=True)


def clean_body(body):
    """The body as stored: line breaks normalised, trimmed, 1 to BODY_MAX_LENGTH characters."""
    body = normalise_newlines(body or "").strip()
    if not body:
        raise ValidationError({"body": gettext("Please type the comment's text.")}, code="required")
    if len(body) > BODY_MAX_LENGTH:
        message = gettext(
            "The text is %(length)s characters long and the limit is %(limit)s: please shorten it by %(excess)s."
        ) % {
            "length": _number(len(body)),
            "limit": _number(BODY_MAX_LENGTH),
            "excess": _number(len(body) - BODY_MAX_LENGTH),
        }
        raise ValidationError({"body": message}, code="max_length")
    return body


def _validate(comment, fields):
    # The model's own validators (name on one line, no bidi or control
    # characters, http/https website, lengths), for these fields only:
    # the rest of the comment was valid when it was written.
    exclude = {field.name for field in Comment._meta.fields} - set(fields)
    comment.clean_fields(exclude=exclude)


def edit_comment(comment, *, name, url, body, editor=None, by_commenter=False):
    """Change comment's name, website and text, keeping the old ones in a CommentEdit.

    Raises ValidationError (keyed by field) for a bad value and changes
    nothing then. Nothing is stored when nothing changed. One transaction:
    the comment row is locked, so two editors at once each keep the
    other's version in the history. Returns the comment.
    """
    name = (name or "").strip()
    url = (url or "").strip()
    body = clean_body(body)
    with transaction.atomic():
        current = Comment.objects.select_for_update(of=("self",)).only(*EDITABLE_FIELDS).get(pk=comment.pk)
        old = {field: getattr(current, field) for field in EDITABLE_FIELDS}
        new = {"name": name, "url": url, "body": body}
        if new == old:
            return comment
        for field, value in new.items():
            setattr(comment, field, value)
        _validate(comment, EDITABLE_FIELDS)
        CommentEdit.objects.create(
            comment=comment,
            edited_by=editor if editor is not None and editor.is_authenticated else None,
            by_commenter=by_commenter,
            old_name=old["name"],
            old_url=old["url"],
            old_body=old["body"],
        )
        # save() renders body_html again.
        comment.save(update_fields=[*EDITABLE_FIELDS, "body_html"])
    return comment


def display_name(user):
    """How the site signs a moderator's reply: their full name, or their username."""
    return (user.get_full_name().strip() or user.get_username())[:100]


def reply_as_staff(parent, *, user, body, request=None):
    """Store user's reply to parent, approved and marked as the site's (by_staff).

    A pending parent is approved first, through Comment.objects.moderate
    (logged, and its own parent's author told as for any approval).
    Raises ValidationError for a bad text, or a parent that is spam or
    removed. The parent's author is emailed after the commit, if they
    asked to hear about replies (request gives the links' host; see
    _can_email). Returns the reply.
    """
    body = clean_body(body)
    with transaction.atomic():
        parent = Comment.objects.select_for_update(of=("self",)).select_related("post").get(pk=parent.pk)
        if parent.status not in REPLYABLE:
            raise ValidationError(str(NOT_REPLYABLE[parent.status]), code="not_replyable")
        if parent.status == Comment.Status.PENDING:
            approved = Comment.objects.filter(pk=parent.pk).moderate(Comment.Status.APPROVED, by=user)
            if _can_email(request):
                notifications.status_changed(approved, request)
            parent.status = Comment.Status.APPROVED
        reply = Comment(
            post=parent.post,
            parent=parent,
            name=display_name(user),
            email=user.email,
            body=body,
            status=Comment.Status.APPROVED,
            decided_at=timezone.now(),
            by_staff=True,
            user=user,
        )
        _validate(reply, ["name", "email", "body"])
        reply.save()
        if _can_email(request):
            notifications.tell_parent_authors([reply], request)
    return reply


def _can_email(request):
    # The emails' links are absolute: made from the request, or SITE_URL
    # when it is set. Without either (a shell), nobody is emailed.
    return request is not None or settings.SITE_URL_FROM_ENVIRONMENT
