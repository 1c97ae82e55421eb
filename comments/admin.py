from django.contrib import admin, messages
from django.utils.text import Truncator

from comments.models import Comment


class CommentAdmin(admin.ModelAdmin):
    list_display = ["excerpt", "post", "name", "email", "status", "created_at"]
    list_filter = ["status", ("post", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "email", "ip_address", "body"]
    list_select_related = ["post"]
    date_hierarchy = "created_at"
    raw_id_fields = ["post", "parent"]
    readonly_fields = ["created_at", "ip_address", "user_agent", "depth"]
    fields = [
        "post",
        "parent",
        "name",
        "email",
        "url",
        "body",
        "status",
        "created_at",
        "ip_address",
        "user_agent",
        "depth",
    ]
    actions = ["approve", "mark_spam", "remove"]
    list_per_page = 50

    @admin.display(description="Comment")
    def excerpt(self, comment):
        return Truncator(comment.body).words(12)

    def _set_status(self, request, queryset, status, verb):
        updated = queryset.exclude(status=status).update(status=status)
        self.message_user(
            request, f"{updated} comment{'s' if updated != 1 else ''} {verb}.", messages.SUCCESS
        )

    @admin.action(description="Approve selected comments")
    def approve(self, request, queryset):
        self._set_status(request, queryset, Comment.Status.APPROVED, "approved")

    @admin.action(description="Mark selected comments as spam")
    def mark_spam(self, request, queryset):
        self._set_status(request, queryset, Comment.Status.SPAM, "marked as spam")

    @admin.action(description="Remove selected comments")
    def remove(self, request, queryset):
        self._set_status(request, queryset, Comment.Status.REMOVED, "removed")


admin.site.register(Comment, CommentAdmin)
