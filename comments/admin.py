"""The moderation queue, WordPress-style, in the Django admin.

Every status change goes through Comment.objects.moderate() (logged: who,
when, from, to) and then notifications.status_changed() (an approved reply
tells its parent's author). The status is read-only in the change form for
that reason: it changes by the buttons and actions only.
"""

import json

from django.contrib import admin, messages
from django.db import models
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from comments import editing
from comments.admin_queue import (
    MODERATION,
    PostFilter,
    QueueColumns,
    StatusFilter,
    narrow_search,
    pending_count,
)
from comments.admin_views import QueueViews, keyboard_shortcuts_enabled, moderate, script_words, with_pending
from comments.models import Comment, StatusChange


class StatusChangeInline(admin.TabularInline):
    """The comment's moderation history, newest first (read-only)."""

    model = StatusChange
    fields = ["changed_at", "from_status", "to_status", "changed_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = _("status change")
    verbose_name_plural = _("Status changes (who, when, from, to)")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")


@admin.register(Comment)
class CommentAdmin(QueueViews, admin.ModelAdmin):
    # The columns are made per request (get_list_display): the row actions
    # return to the very page they were clicked on.
    list_display_links = None
    list_filter = [
        StatusFilter,
        PostFilter,
        "created_at",
        ("moderation_rule", admin.ChoicesFieldListFilter),
    ]
    search_fields = ["name", "email", "ip_address", "body", "post__title"]
    list_select_related = ["post", "parent"]
    # Newest first, as WordPress lists them (comment_status_idx for one status).
    ordering = ["-created_at", "-id"]
    # No date_hierarchy: its two queries read every comment's date (130 ms
    # at 100,000); the "created at" filter gives today, 7 days, month, year.
    raw_id_fields = ["post", "parent"]
    readonly_fields = [
        "status",
        "by_staff",
        "moderation_rule",
        "moderation_note",
        "decided_at",
        "created_at",
        "ip_address",
        "user_agent",
        "depth",
        "reply_notified_at",
        "view_on_site_link",
        "edit_history",
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
        "by_staff",
        "moderation_rule",
        "moderation_note",
        "decided_at",
        "created_at",
        "ip_address",
        "user_agent",
        "depth",
        "reply_notified_at",
        "view_on_site_link",
        "edit_history",
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
    # No COUNT of the whole table beside the filtered one (100,000 rows).
    show_full_result_count = False
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

    def get_search_results(self, request, queryset, search_term):
        narrowed, _ = narrow_search(queryset, search_term)
        if narrowed is not None:
            return narrowed, False
        return super().get_search_results(request, queryset, search_term)

    def get_list_display(self, request):
        return QueueColumns(request.get_full_path()).columns()

    def changelist_view(self, request, extra_context=None):
        pending = pending_count(request)
        extra_context = {
            "title": gettext("Comments (%(count)s pending)") % {"count": pending},
            "pending_count": pending,
            # The list gets the whole width: with the navigation sidebar
            # beside it, a 1280 px window left the rows 631 px.
            "is_nav_sidebar_enabled": False,
            "keyboard_shortcuts": keyboard_shortcuts_enabled(request.user),
            "shortcuts_url": reverse("admin:comments_comment_shortcuts"),
            # What static/js/admin-queue.js says, rendered with json_script (no inline script to run).
            "queue_script_words": script_words(),
        } | (extra_context or {})
        return super().changelist_view(request, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = (extra_context or {}) | {"pending_count": pending_count(request)}
        if object_id:
            extra_context["moderation_buttons"] = [(name, step.label) for name, step in MODERATION.items()]
        return super().changeform_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, *args, **kwargs):
        context["title"] = with_pending(context.get("title", ""), request)
        return super().render_change_form(request, context, *args, **kwargs)

    # --- The change page ------------------------------------------------------------

    @admin.display(description=_("On the site"))
    def view_on_site_link(self, comment):
        return format_html('<a href="{0}">{0}</a>', comment.get_absolute_url())

    @admin.display(description=_("Edit history (what it said before each edit)"))
    def edit_history(self, comment):
        edits = list(comment.edits.select_related("edited_by"))
        if not edits:
            return gettext("Never edited.")
        by_commenter = gettext("the commenter")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    edit.edited_at.strftime("%Y-%m-%d %H:%M:%S"),
                    by_commenter if edit.by_commenter else (edit.edited_by or "—"),
                    edit.old_name,
                    edit.old_url or "—",
                    edit.old_body,
                )
                for edit in edits
            ),
        )
        return format_html(
            '<table class="edit-history"><thead><tr><th>{}</th><th>{}</th><th>{}</th>'
            "<th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            gettext("Edited at"),
            gettext("By"),
            gettext("Name was"),
            gettext("Website was"),
            gettext("Text was"),
            rows,
        )

    def save_model(self, request, obj, form, change):
        if change:
            # Name, website and text go through edit_comment, which keeps
            # what they were (the edit history) and renders the text again.
            editing.edit_comment(obj, name=obj.name, url=obj.url, body=obj.body, editor=request.user)
        super().save_model(request, obj, form, change)

    # --- Bulk actions ---------------------------------------------------------------

    def _bulk(self, request, queryset, name):
        count = moderate(request, queryset, name)
        self.message_user(request, MODERATION[name].done_count % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Approve selected comments"), permissions=["change"])
    def approve(self, request, queryset):
        self._bulk(request, queryset, "approve")

    @admin.action(description=_("Unapprove selected comments (back to pending)"), permissions=["change"])
    def unapprove(self, request, queryset):
        self._bulk(request, queryset, "unapprove")

    @admin.action(description=_("Mark selected comments as spam"), permissions=["change"])
    def mark_spam(self, request, queryset):
        self._bulk(request, queryset, "spam")

    @admin.action(description=_("Not spam: approve selected spam"), permissions=["change"])
    def not_spam(self, request, queryset):
        self._bulk(request, queryset, "not_spam")

    @admin.action(description=_("Move selected comments to the trash"), permissions=["change"])
    def remove(self, request, queryset):
        self._bulk(request, queryset, "remove")

    @admin.action(description=_("Restore selected comments from the trash"), permissions=["change"])
    def restore(self, request, queryset):
        self._bulk(request, queryset, "restore")

    # --- Privacy (WordPress's "Export/Erase Personal Data") -------------------------

    @admin.action(
        description=_("Export personal data of the selected comments' authors (JSON)"), permissions=["view"]
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
        description=_("Erase personal data of the selected comments' authors…"), permissions=["change"]
    )
    def erase_personal_data(self, request, queryset):
        emails = _emails_of(queryset)
        authored = Comment.objects.by_emails(emails)
        if request.POST.get("confirm") == "yes":
            count = authored.erase_personal_data()
            # Two counts, each with its own plural: the authors' phrase goes into the comments' sentence.
            authors = ngettext("%(count)d author", "%(count)d authors", len(emails)) % {"count": len(emails)}
            erased = ngettext(
                "Personal data erased from %(count)d comment by %(authors)s.",
                "Personal data erased from %(count)d comments by %(authors)s.",
                count,
            ) % {"count": count, "authors": authors}
            self.message_user(request, erased, messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Erase personal data?"),
            "opts": self.model._meta,
            "emails": emails,
            "comment_count": authored.count(),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "action": "erase_personal_data",
        }
        return TemplateResponse(request, "comments/admin/erase_confirm.html", context)


def _emails_of(queryset):
    """The distinct author addresses among queryset (case-insensitive), sorted."""
    by_key = {}
    for email in queryset.exclude(email="").values_list("email", flat=True):
        by_key.setdefault(email.lower(), email)
    return sorted(by_key.values(), key=str.lower)


# The admin index shows the moderation queue's length (templates/comments/admin/index.html).
admin.site.index_template = "comments/admin/index.html"
