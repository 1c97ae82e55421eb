"""The moderation queue's one-comment views: a row's step and its undo, a reply as the site,
the keyboard-shortcut setting. Mixed into CommentAdmin (comments/admin.py).

Each answers a plain form POST with a message and a redirect to the page it
came from (next, checked to be this site's), and the list's script
(static/js/admin-queue.js, which asks for JSON) with the row's new cells.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from comments import editing, notifications
from comments.admin_queue import MODERATION, REPLYABLE, QueueColumns, pending_count
from comments.models import Comment, ModeratorPreference, StatusChange

Status = Comment.Status
# A step that changed nothing, by the status the comment already had.
ALREADY = {
    Status.PENDING: gettext_lazy("Comment by %(name)s was already pending."),
    Status.APPROVED: gettext_lazy("Comment by %(name)s was already approved."),
    Status.SPAM: gettext_lazy("Comment by %(name)s was already marked as spam."),
    Status.REMOVED: gettext_lazy("Comment by %(name)s was already in the trash."),
}
# An undone step, by the status the comment went back to.
BACK_TO = {
    Status.PENDING: gettext_lazy("Comment by %(name)s back to pending."),
    Status.APPROVED: gettext_lazy("Comment by %(name)s back to approved."),
    Status.SPAM: gettext_lazy("Comment by %(name)s back to spam."),
    Status.REMOVED: gettext_lazy("Comment by %(name)s back in the trash."),
}


def with_pending(title, request):
    """ "Reply to Ada (3 pending)": a page's title with the queue's length."""
    return gettext("%(title)s (%(count)s pending)") % {"title": title, "count": pending_count(request)}


def pending_text(count):
    """The header's queue length (templates/admin/base_site.html), for the script to show after a step."""
    if not count:
        return gettext("No comments awaiting moderation")
    return ngettext(
        "%(counter)s comment awaiting moderation", "%(counter)s comments awaiting moderation", count
    ) % {"counter": count}


def script_words():
    """What static/js/admin-queue.js says, in the page's language (the list's JSON block)."""
    return {
        "undo": gettext("Undo"),
        "forbidden": gettext("You may not moderate comments (403): nothing changed."),
        "failed": gettext("The server answered %(status)s: nothing changed."),
        "answered": gettext("The server answered %(status)s."),
        "unreachable": gettext("The server could not be reached: nothing changed."),
        "reply_label": gettext("Reply as the site:"),
        "reply_label_pending": gettext("Reply as the site (approves the comment first):"),
        "reply": gettext("Reply"),
        "cancel": gettext("Cancel"),
    }


def moderate(request, queryset, name):
    """Apply one MODERATION step to queryset as request.user; returns how many changed."""
    step = MODERATION[name]
    if step.applies_to is not None:
        queryset = queryset.filter(status__in=step.applies_to)
    if step.target == "restore":
        changed = queryset.restore(by=request.user)
    else:
        changed = queryset.moderate(step.target, by=request.user)
    notifications.status_changed(changed, request)
    return len(changed)


def undo_last_change(request, comment):
    """Put comment back to the status before its latest change (logged as a change too).

    Returns the status it went back to, or None when there is nothing to
    undo (no change logged, or the comment moved on since).
    """
    last = StatusChange.objects.filter(comment=comment).order_by("-changed_at", "-id").first()
    if last is None or last.to_status != comment.status:
        return None
    changed = Comment.objects.filter(pk=comment.pk, status=last.to_status).moderate(
        last.from_status, by=request.user
    )
    notifications.status_changed(changed, request)
    return last.from_status if changed else None


def wants_json(request):
    # static/js/admin-queue.js asks for JSON; a plain form POST gets a redirect.
    return request.headers.get("Accept", "").startswith("application/json")


def keyboard_shortcuts_enabled(user):
    """Whether this moderator turned the list's keyboard shortcuts on (one query)."""
    return ModeratorPreference.objects.filter(user=user, keyboard_shortcuts=True).exists()


class QueueViews:
    """The views; self is the CommentAdmin."""

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path(
                "<int:object_id>/moderate/<str:name>/",
                view(self.moderate_view),
                name="comments_comment_moderate",
            ),
            path("<int:object_id>/undo/", view(self.undo_view), name="comments_comment_undo"),
            path("<int:object_id>/reply/", view(self.reply_view), name="comments_comment_reply"),
            path("shortcuts/", view(self.shortcuts_view), name="comments_comment_shortcuts"),
            *super().get_urls(),
        ]

    @staticmethod
    def _next_url(request):
        for candidate in (request.POST.get("next"), request.GET.get("next"), request.headers.get("referer")):
            if candidate and url_has_allowed_host_and_scheme(
                candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                return candidate
        return reverse("admin:comments_comment_changelist")

    def _comment_to_change(self, request, object_id):
        """The comment with its post, if request.user may change it (404, 403 otherwise)."""
        comment = Comment.objects.select_related("post", "parent").filter(pk=object_id).first()
        if comment is None:
            raise Http404("No such comment (it may have been deleted).")
        if not self.has_change_permission(request, comment):
            raise PermissionDenied
        return comment

    def _answer(self, request, comment, message, level=messages.SUCCESS, undo=False, link=None):
        """The reply to a row's step: JSON for the script, else a message and the page it came from.

        link: (text, url) shown after the message.
        """
        if wants_json(request):
            comment = Comment.objects.select_related("post", "parent").get(pk=comment.pk)
            columns = QueueColumns(self._next_url(request))
            pending = Comment.objects.pending().count()
            return JsonResponse(
                {
                    "ok": level == messages.SUCCESS,
                    "message": message,
                    "link": dict(zip(["text", "url"], link, strict=True)) if link else None,
                    "status": comment.status,
                    "state_html": columns.state(comment),
                    "actions_html": columns.actions(comment),
                    "undo_url": reverse("admin:comments_comment_undo", args=[comment.pk]) if undo else "",
                    "pending": pending,
                    "pending_text": pending_text(pending),
                }
            )
        if link:
            message = format_html('{} <a href="{}">{}</a>', message, link[1], link[0])
        # extra_tags "undo:<id>": templates/admin/base_site.html adds an Undo button.
        self.message_user(request, message, level, extra_tags=f"undo:{comment.pk}" if undo else "")
        return HttpResponseRedirect(self._next_url(request))

    def moderate_view(self, request, object_id, name):
        """GET: "You are about to approve this comment" (the emails' links); POST: do it."""
        if request.method not in ("GET", "HEAD", "POST"):
            return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
        if name not in MODERATION:
            raise Http404("No such moderation step.")
        comment = self._comment_to_change(request, object_id)
        step = MODERATION[name]
        if request.method == "POST":
            if moderate(request, Comment.objects.filter(pk=comment.pk), name):
                return self._answer(request, comment, step.done % {"name": comment.name}, undo=True)
            return self._answer(
                request, comment, ALREADY[comment.status] % {"name": comment.name}, messages.WARNING
            )
        context = {
            **self.admin_site.each_context(request),
            "title": with_pending(step.question, request),
            "opts": self.model._meta,
            "comment": comment,
            "label": step.label,
            # Our own catalogue's sentence, with its <strong>: no one else's text in it.
            "about_to": mark_safe(step.about_to),  # noqa: S308
            "applies": step.applies_to is None or comment.status in step.applies_to,
            "next": request.GET.get("next", ""),
        }
        return TemplateResponse(request, "comments/admin/moderate_confirm.html", context)

    def undo_view(self, request, object_id):
        """POST: the comment back to the status it had before its latest change."""
        return require_POST(self._undo)(request, object_id)

    def _undo(self, request, object_id):
        comment = self._comment_to_change(request, object_id)
        restored = undo_last_change(request, comment)
        if restored is None:
            return self._answer(
                request, comment, gettext("Nothing to undo: the comment changed since."), messages.WARNING
            )
        return self._answer(request, comment, BACK_TO[restored] % {"name": comment.name})

    def reply_view(self, request, object_id):
        """Reply as the site: GET shows the form (the page without a script), POST stores the reply."""
        if request.method not in ("GET", "HEAD", "POST"):
            return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
        parent = self._comment_to_change(request, object_id)
        body, error = "", ""
        if request.method == "POST":
            body = request.POST.get("body", "")
            try:
                reply = editing.reply_as_staff(parent, user=request.user, body=body, request=request)
            except ValidationError as refusal:
                error = " ".join(refusal.messages)
            else:
                link = (gettext("View it on the site"), reply.get_absolute_url())
                posted = gettext("Reply to %(name)s posted.") % {"name": parent.name}
                return self._answer(request, parent, posted, link=link)
            if wants_json(request):
                return JsonResponse({"ok": False, "message": error}, status=400)
        context = {
            **self.admin_site.each_context(request),
            "title": with_pending(gettext("Reply to %(name)s") % {"name": parent.name}, request),
            "opts": self.model._meta,
            "comment": parent,
            "replyable": parent.status in REPLYABLE,
            "not_replyable": editing.NOT_REPLYABLE.get(parent.status, ""),
            "body": body,
            "error": error,
            "next": self._next_url(request),
        }
        return TemplateResponse(request, "comments/admin/reply.html", context, status=400 if error else 200)

    def shortcuts_view(self, request):
        """POST: turn the list's keyboard shortcuts on or off for this moderator."""
        return require_POST(self._shortcuts)(request)

    def _shortcuts(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        enabled = request.POST.get("enabled") == "1"
        ModeratorPreference.objects.update_or_create(
            user=request.user, defaults={"keyboard_shortcuts": enabled}
        )
        self.message_user(
            request,
            gettext("Keyboard shortcuts on: press ? for the list.")
            if enabled
            else gettext("Keyboard shortcuts off."),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._next_url(request))
