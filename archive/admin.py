from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from archive.models import CommentSource, ImportRun, PostSource
from archive.summary import summary_lines


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what an import did: written by import_archive, read here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    list_display = [
        "file_name",
        "format",
        "site",
        "status",
        "started_at",
        "posts",
        "comments",
        "warning_count",
    ]
    list_filter = ["status", "format", "site"]
    search_fields = ["file_name", "site", "error"]
    date_hierarchy = "started_at"
    fields = [
        "file_name",
        "format",
        "site",
        "status",
        "started_at",
        "finished_at",
        "options",
        "summary",
        "error",
        "warning_list",
    ]
    readonly_fields = fields

    @admin.display(description=_("Posts created"))
    def posts(self, run):
        return run.counts.get("posts_created", 0)

    @admin.display(description=_("Comments created"))
    def comments(self, run):
        return run.counts.get("comments_created", 0)

    @admin.display(description=_("Warnings"))
    def warning_count(self, run):
        return run.counts.get("warnings", len(run.warnings))

    @admin.display(description=_("Summary"))
    def summary(self, run):
        if not run.counts:
            return "—"
        lines = summary_lines(run.counts)
        posts = reverse("admin:archive_postsource_changelist") + f"?run__id__exact={run.pk}"
        comments = reverse("admin:archive_commentsource_changelist") + f"?run__id__exact={run.pk}"
        return format_html(
            '<ul>{}</ul><p><a href="{}">{}</a> · <a href="{}">{}</a></p>',
            format_html_join("", "<li>{}</li>", ((line,) for line in lines)),
            posts,
            gettext("Posts from this import"),
            comments,
            gettext("Comments from this import"),
        )

    # The warnings themselves stay as the import wrote them: the command's
    # operator-facing English, stored with the run.
    @admin.display(description=_("Warnings"))
    def warning_list(self, run):
        if not run.warnings:
            return gettext("No warnings")
        more = run.counts.get("warnings", 0) - len(run.warnings)
        tail = (
            format_html(
                "<li>{}</li>",
                ngettext("… and %(count)s more", "… and %(count)s more", more) % {"count": more},
            )
            if more > 0
            else ""
        )
        return format_html(
            "<ol>{}{}</ol>", format_html_join("", "<li>{}</li>", ((w,) for w in run.warnings)), tail
        )


@admin.register(PostSource)
class PostSourceAdmin(ReadOnlyAdmin):
    list_display = ["post", "site", "key", "original_id", "original_url", "post_type", "post_status", "run"]
    list_filter = ["site", "post_type", "run"]
    search_fields = ["site", "key", "original_id", "original_url", "post__title"]
    list_select_related = ["post", "run"]
    fields = [
        "post",
        "run",
        "site",
        "key",
        "original_id",
        "original_url",
        "path_key",
        "post_type",
        "post_status",
        "author",
        "categories",
        "extra",
    ]
    readonly_fields = fields


class InferredFilter(admin.SimpleListFilter):
    title = _("reply link")
    parameter_name = "link"

    def lookups(self, request, model_admin):
        return [("inferred", _("Inferred (@name or stated)")), ("undone", _("Inferred, undone"))]

    def queryset(self, request, queryset):
        if self.value() == "inferred":
            return queryset.inferred()
        if self.value() == "undone":
            return queryset.undone()
        return queryset


@admin.register(CommentSource)
class CommentSourceAdmin(ReadOnlyAdmin):
    list_display = ["excerpt", "post", "site", "original_id", "parent_origin", "inferred_from", "in_reply_to"]
    list_filter = [InferredFilter, "parent_origin", "site", "run"]
    search_fields = ["site", "key", "original_id", "comment__name", "inferred_from"]
    list_select_related = ["comment__post", "comment__parent"]
    fields = [
        "comment",
        "run",
        "site",
        "key",
        "original_id",
        "original_parent_id",
        "parent_origin",
        "inferred_from",
        "extra",
    ]
    readonly_fields = fields
    actions = ["undo_inferred_links", "restore_inferred_links"]

    @admin.display(description=_("Comment"))
    def excerpt(self, source):
        return f"{source.comment.name}: {Truncator(source.comment.body).words(10)}"

    @admin.display(description=_("Post"))
    def post(self, source):
        return source.comment.post

    @admin.display(description=_("In reply to"))
    def in_reply_to(self, source):
        parent = source.comment.parent
        if parent is None:
            return "—"
        url = reverse("admin:comments_comment_change", args=[parent.pk])
        return format_html('<a href="{}">{}</a>', url, f"{parent.name} (#{parent.pk})")

    def has_change_permission(self, request, obj=None):
        # The list's actions change comments' parents; the records themselves stay read-only.
        return obj is None and request.user.has_perm("comments.change_comment")

    # permissions=["change"]: without it Django offers an action to anyone who may view the list.
    @admin.action(
        description=_("Undo the inferred reply links of the selected comments"), permissions=["change"]
    )
    def undo_inferred_links(self, request, queryset):
        count = queryset.undo_inferred_links()
        message = ngettext(
            "%(count)d inferred reply link undone.", "%(count)d inferred reply links undone.", count
        )
        self.message_user(request, message % {"count": count}, messages.SUCCESS)

    @admin.action(
        description=_("Restore the undone reply links of the selected comments"), permissions=["change"]
    )
    def restore_inferred_links(self, request, queryset):
        count = queryset.restore_inferred_links()
        message = ngettext("%(count)d reply link restored.", "%(count)d reply links restored.", count)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)
