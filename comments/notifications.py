"""Emails about comments: to moderators for each held comment, and to a
commenter who asked to hear about replies, once per approved reply.

Everything is sent after the transaction commits (nothing is announced
that a rollback takes back) through Django's email framework (EMAIL_URL).
A failing mail server is logged, never raised: it costs a request at most
EMAIL_TIMEOUT seconds, and the comment is saved whatever happens.
"""

import logging

from django.conf import settings
from django.core import mail, signing
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, override

from comments.models import Comment

logger = logging.getLogger(__name__)

_UNSUBSCRIBE_SALT = "comments.notifications.unsubscribe"
DAY = 24 * 60 * 60
# What the admin's moderation links may do, in the emails' order.
MODERATION_ACTIONS = ("approve", "spam", "remove")


def comment_posted(comment, request):
    """Queue what a new comment causes: a held one tells the moderators,
    an approved reply tells its parent's author (if they asked)."""
    if comment.status == Comment.Status.PENDING:
        tell_moderators([comment], request)
    elif comment.is_approved:
        tell_parent_authors([comment], request)


def status_changed(comments, request):
    """Queue what moderation causes: newly approved replies tell their parent's author."""
    tell_parent_authors([comment for comment in comments if comment.is_approved], request)


def tell_moderators(comments, request):
    """One email per held comment to MODERATOR_EMAILS (none when it is empty)."""
    if not settings.MODERATOR_EMAILS or not comments:
        return
    messages = [_moderator_message(comment, request) for comment in comments]
    transaction.on_commit(lambda: send(messages))


def tell_parent_authors(replies, request):
    """Email each reply's parent author who ticked "Notify me", once per reply.

    Reads the parents not already loaded (one query), then claims each
    reply with an UPDATE, so approving a reply twice never emails twice.
    """
    replies = [reply for reply in replies if reply.parent_id and reply.reply_notified_at is None]
    if not replies:
        return
    parents = {reply.parent_id: reply.parent for reply in replies if Comment.parent.is_cached(reply)}
    missing = {reply.parent_id for reply in replies} - parents.keys()
    if missing:
        fields = ("id", "post_id", "name", "email", "notify_replies", "status")
        parents |= Comment.objects.only(*fields).in_bulk(missing)
    messages = []
    now = timezone.now()
    for reply in replies:
        parent = parents.get(reply.parent_id)
        if not _wants_to_hear(parent, reply):
            continue
        claimed = Comment.objects.filter(pk=reply.pk, reply_notified_at__isnull=True).update(
            reply_notified_at=now
        )
        if claimed:
            reply.reply_notified_at = now
            messages.append(_reply_message(reply, parent, request))
    if messages:
        transaction.on_commit(lambda: send(messages))


def send(messages):
    """Send, logging (never raising) any failure; one dead server costs one timeout."""
    connection = mail.get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception:
        logger.exception(
            "Could not reach the mail server; %d email(s) not sent: %s",
            len(messages),
            "; ".join(f"{message.subject!r} to {', '.join(message.to)}" for message in messages),
        )
        return
    try:
        for message in messages:
            try:
                connection.send_messages([message])
            except Exception:
                logger.exception("Email %r to %s not sent", message.subject, ", ".join(message.to))
    finally:
        try:
            connection.close()
        except Exception:
            logger.warning("Closing the mail connection failed", exc_info=True)


# --- Unsubscribe tokens ----------------------------------------------------------------


def unsubscribe_token(comment):
    """A signed, expiring token naming the comment whose author is emailed."""
    return signing.dumps(comment.pk, salt=_UNSUBSCRIBE_SALT)


def comment_for_unsubscribe_token(token):
    """The comment a valid token names (with its email still on file), or None."""
    try:
        pk = signing.loads(token, salt=_UNSUBSCRIBE_SALT, max_age=settings.COMMENTS_UNSUBSCRIBE_DAYS * DAY)
    except (signing.BadSignature, ValueError):  # forged, expired or garbled
        return None
    if not isinstance(pk, int) or isinstance(pk, bool):
        return None
    return Comment.objects.exclude(email="").select_related("post").filter(pk=pk).first()


# --- The messages ----------------------------------------------------------------------


def _wants_to_hear(parent, reply):
    return (
        parent is not None
        and parent.notify_replies
        and parent.email
        # Answering yourself is no news.
        and parent.email.lower() != reply.email.lower()
    )


def _absolute(request, path):
    # SITE_URL when set: behind a proxy the request's own host may be an inner one.
    if settings.SITE_URL_FROM_ENVIRONMENT:
        return settings.SITE_URL + path
    return request.build_absolute_uri(path)


def in_site_language(build):
    """Emails are written in the site's language (LANGUAGE_CODE), not the
    language of whichever reader's request caused them (LANGUAGE_FROM_BROWSER)."""

    def built(*args):
        with override(settings.LANGUAGE_CODE):
            return build(*args)

    return built


@in_site_language
def _reply_message(reply, parent, request):
    unsubscribe_url = _absolute(request, reverse("comments:unsubscribe", args=[unsubscribe_token(parent)]))
    context = {
        "reply": reply,
        "parent": parent,
        "post": reply.post,
        "reply_url": _absolute(request, reply.get_absolute_url()),
        "unsubscribe_url": unsubscribe_url,
    }
    return mail.EmailMessage(
        subject=gettext("New reply to your comment on “%(title)s”") % {"title": reply.post.title},
        body=render_to_string("comments/email/reply_notification.txt", context),
        to=[parent.email],
        headers={
            # RFC 8058: mail clients show an "Unsubscribe" button that POSTs here.
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


@in_site_language
def _moderator_message(comment, request):
    def admin_url(name, *args):
        return _absolute(request, reverse(f"admin:comments_comment_{name}", args=args))

    context = {
        "comment": comment,
        "post": comment.post,
        "post_url": _absolute(request, comment.post.get_absolute_url()),
        "rule": comment.get_moderation_rule_display(),
        "links": [(action, admin_url("moderate", comment.pk, action)) for action in MODERATION_ACTIONS],
        "change_url": admin_url("change", comment.pk),
        "queue_url": admin_url("changelist") + "?status__exact=pending",
    }
    return mail.EmailMessage(
        subject=gettext("[WFLM] Please moderate: “%(title)s”") % {"title": comment.post.title},
        body=render_to_string("comments/email/moderator_notification.txt", context),
        to=settings.MODERATOR_EMAILS,
    )
