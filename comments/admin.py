"""The moderation queue, WordPress-style, in the Django admin.

Every status change goes through Comment.objects.moderate() (logged: who,
when, from, to) and then notifications.status_changed() (an approved reply
tells its parent's author). The status is read-only in the change form for
that reason: it changes by the buttons and actions only.
"""

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator
from django.views.decorators.http import require_http_methods

from comments import notifications
from comments.models import Comment, StatusChange

Status = Comment.Status

# name -> (label, past tense, the statuses it applies to (None: any), target status or "restore")
MODERATION = {
    "approve": ("Approve", "approved", None, Status.APPROVED),
    "unapprove": ("Unapprove", "unapproved", [Status.APPROVED], Status.PENDING),
    "spam": ("Spam", "marked as spam", None, Status.SPAM),
    "not_spam": ("Not spam", "restored from spam", [Status.SPAM], Status.APPROVED),
    "remove": ("Remove", "removed", None, Status.REMOVED),
    "restore": ("Restore", "restored", [Status.REMOVED], "restore"),
}
# The one-click buttons on each row of the list, by the row's status.
ROW_BUTTONS = {
    Status.PENDING: ["approve", "spam"],
    Status.APPROVED: ["unapprove", "spam"],
    Status.SPAM: ["not_spam"],
    Status.REMOVED: ["restore"],
}


def moderate(request, queryset, name):
    """Apply one MODERATION step to queryset as request.user; returns how many changed."""
    _label, _done, applies_to, target = MODERATION[name]
    if applies_to is not None:
        queryset = queryset.filter(status__in=applies_to)
    if target == "restore":
        changed = queryset.restore(by=request.user)
    else:
        changed = queryset.moderate(target, by=request.user)
    notifications.status_changed(changed, request)
    return len(changed)


def pending_count():
    return Comment.objects.pending().count()


class StatusChangeInline(admin.TabularInline):
    """The comment's moderation history, newest first (read-only)."""

    model = StatusChange
    fields = ["changed_at", "from_status", "to_status", "changed_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "status change"
    verbose_name_plural = "Status changes (who, when, from, to)"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["excerpt", "post", "in_reply_to", "author", "status", "rule", "created_at", "row_actions"]
    list_filter = [
        "status",
        ("post", admin.RelatedOnlyFieldListFilter),
        "created_at",
        ("moderation_rule", admin.ChoicesFieldListFilter),
    ]
    search_fields = ["name", "email", "ip_address", "body"]
    list_select_related = ["post", "parent"]
    date_hierarchy = "created_at"
    raw_id_fields = ["post", "parent"]
    readonly_fields = [
        "status",
        "moderation_rule",
        "moderation_note",
        "decided_at",
        "created_at",
        "ip_address",
        "user_agent",
        "depth",
        "reply_notified_at",
        "view_on_site_link",
    ]
    fields = [
        "post",
        "parent",
        "name",
        "email",
        "url",
        "body",
        "notify_replies",
        "status",
        "moderation_rule",
        "moderation_note",
        "decided_at",
        "created_at",
        "ip_address",
        "user_agent",
        "depth",
        "reply_notified_at",
        "view_on_site_link",
    ]
    inlines = [StatusChangeInline]
    # What a new comment written here is made of; the rest (dates, depth,
    # moderation record) comes from the database and the rules when saved.
    add_fields = ["post", "parent", "name", "email", "url", "body", "notify_replies"]
    actions = [
        "approve",
        "unapprove",
        "mark_spam",
        "not_spam",
        "remove",
        "restore",
        "export_personal_data",
        "erase_personal_data",
    ]
    list_per_page = 50
    # Django 6's default, today (and no deprecation warning).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    change_list_template = "comments/admin/change_list.html"
    change_form_template = "comments/admin/change_form.html"

    def get_fields(self, request, obj=None):
        # An unsaved comment's depth and dates are database defaults, not values to show.
        return self.add_fields if obj is None else super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else super().get_readonly_fields(request, obj)

    # --- The list ---------------------------------------------------------------

    @admin.display(description="Comment")
    def excerpt(self, comment):
        return Truncator(comment.body).words(12)

    @admin.display(description="In reply to")
    def in_reply_to(self, comment):
        if comment.parent_id is None:
            return "—"
        url = reverse("admin:comments_comment_change", args=[comment.parent_id])
        return format_html('<a href="{}">{}</a>', url, comment.parent.name)

    @admin.display(description="Author", ordering="name")
    def author(self, comment):
        return format_html(
            "{}<br><small>{}<br>{}</small>", comment.name, comment.email, comment.ip_address or ""
        )

    @admin.display(description="Decided by", ordering="moderation_rule")
    def rule(self, comment):
        if not comment.moderation_rule:
            return "—"
        return format_html(
            '<span title="{}">{}</span>', comment.moderation_note, comment.get_moderation_rule_display()
        )

    @admin.display(description="Moderate")
    def row_actions(self, comment):
        # Buttons of the list's own form (which carries the CSRF token),
        # each posting to its moderation URL: one click per comment.
        buttons = [
            format_html(
                '<button type="submit" class="button" formaction="{}" formmethod="post">{}</button>',
                reverse("admin:comments_comment_moderate", args=[comment.pk, name]),
                MODERATION[name][0],
            )
            for name in ROW_BUTTONS.get(comment.status, [])
        ]
        view = format_html('<a href="{}">View</a>', comment.get_absolute_url())
        return format_html("{} {}", format_html(" ".join(["{}"] * len(buttons)), *buttons), view)

    @admin.display(description="On the site")
    def view_on_site_link(self, comment):
        return format_html('<a href="{0}">{0}</a>', comment.get_absolute_url())

    def changelist_view(self, request, extra_context=None):
        pending = pending_count()
        extra_context = {"title": f"Comments ({pending} pending)", "pending_count": pending} | (
            extra_context or {}
        )
        return super().changelist_view(request, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = (extra_context or {}) | {"pending_count": pending_count()}
        if object_id:
            extra_context["moderation_buttons"] = [(name, MODERATION[name][0]) for name in MODERATION]
        return super().changeform_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, *args, **kwargs):
        context["title"] = f"{context.get('title', '')} ({context.get('pending_count', 0)} pending)"
        return super().render_change_form(request, context, *args, **kwargs)

    # --- Bulk actions ---------------------------------------------------------------

    def _bulk(self, request, queryset, name):
        count = moderate(request, queryset, name)
        done = MODERATION[name][1]
        self.message_user(request, f"{count} comment{'s' if count != 1 else ''} {done}.", messages.SUCCESS)

    @admin.action(description="Approve selected comments", permissions=["change"])
    def approve(self, request, queryset):
        self._bulk(request, queryset, "approve")

    @admin.action(description="Unapprove selected comments (back to pending)", permissions=["change"])
    def unapprove(self, request, queryset):
        self._bulk(request, queryset, "unapprove")

    @admin.action(description="Mark selected comments as spam", permissions=["change"])
    def mark_spam(self, request, queryset):
        self._bulk(request, queryset, "spam")

    @admin.action(description="Not spam: approve selected spam", permissions=["change"])
    def not_spam(self, request, queryset):
        self._bulk(request, queryset, "not_spam")

    @admin.action(description="Remove selected comments", permissions=["change"])
    def remove(self, request, queryset):
        self._bulk(request, queryset, "remove")

    @admin.action(description="Restore selected removed comments", permissions=["change"])
    def restore(self, request, queryset):
        self._bulk(request, queryset, "restore")

    # --- Privacy (WordPress's "Export/Erase Personal Data") -------------------------

    @admin.action(
        description="Export personal data of the selected comments' authors (JSON)", permissions=["view"]
    )
    def export_personal_data(self, request, queryset):
        emails = _emails_of(queryset)
        data = {email: Comment.objects.by_email(email).personal_data() for email in emails}
        response = HttpResponse(
            json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="comment-personal-data.json"'
        return response

    @admin.action(
        description="Erase personal data of the selected comments' authors…", permissions=["change"]
    )
    def erase_personal_data(self, request, queryset):
        emails = _emails_of(queryset)
        authored = Comment.objects.by_emails(emails)
        if request.POST.get("confirm") == "yes":
            count = authored.erase_personal_data()
            self.message_user(
                request,
                f"Personal data erased from {count} comment{'s' if count != 1 else ''} "
                f"by {len(emails)} author{'s' if len(emails) != 1 else ''}.",
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Erase personal data?",
            "opts": self.model._meta,
            "emails": emails,
            "comment_count": authored.count(),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "action": "erase_personal_data",
        }
        return TemplateResponse(request, "comments/admin/erase_confirm.html", context)

    # --- One comment, from the list's buttons and the moderators' emails ---------------

    def get_urls(self):
        view = self.admin_site.admin_view(self.moderate_view)
        return [
            path("<int:object_id>/moderate/<str:name>/", view, name="comments_comment_moderate"),
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

    def moderate_view(self, request, object_id, name):
        """GET: "You are about to approve this comment" (the emails' links); POST: do it."""
        return require_http_methods(["GET", "HEAD", "POST"])(self._moderate_view)(request, object_id, name)

    def _moderate_view(self, request, object_id, name):
        if name not in MODERATION:
            raise Http404("No such moderation step.")
        comment = Comment.objects.select_related("post").filter(pk=object_id).first()
        if comment is None:
            raise Http404("No such comment (it may have been deleted).")
        if not self.has_change_permission(request, comment):
            raise PermissionDenied
        label, done, applies_to, _target = MODERATION[name]
        if request.method == "POST":
            changed = moderate(request, Comment.objects.filter(pk=comment.pk), name)
            if changed:
                self.message_user(request, f"Comment by {comment.name} {done}.", messages.SUCCESS)
            else:
                self.message_user(
                    request,
                    f"Comment by {comment.name} was already {comment.get_status_display().lower()}.",
                    messages.WARNING,
                )
            return HttpResponseRedirect(self._next_url(request))
        context = {
            **self.admin_site.each_context(request),
            "title": f"{label} this comment? ({pending_count()} pending)",
            "opts": self.model._meta,
            "comment": comment,
            "label": label,
            "applies": applies_to is None or comment.status in applies_to,
            "next": request.GET.get("next", ""),
        }
        return TemplateResponse(request, "comments/admin/moderate_confirm.html", context)


def _emails_of(queryset):
    """The distinct author addresses among queryset (case-insensitive), sorted."""
    by_key = {}
    for email in queryset.exclude(email="").values_list("email", flat=True):
        by_key.setdefault(email.lower(), email)
    return sorted(by_key.values(), key=str.lower)


# The admin index shows the moderation queue's length (templates/comments/admin/index.html).
admin.site.index_template = "comments/admin/index.html"
