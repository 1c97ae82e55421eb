from django.contrib import admin

from comments.models import Comment
from posts.models import Post


class CommentInline(admin.TabularInline):
    model = Comment
    fields = ["name", "email", "body", "status", "parent", "created_at"]
    # Status changes go through the comment actions, which log them.
    readonly_fields = ["status", "created_at"]
    raw_id_fields = ["parent"]
    extra = 0
    show_change_link = True
    ordering = ["path"]


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["title", "published_at", "comments_open"]
    list_filter = ["comments_open"]
    search_fields = ["title", "artist", "album"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}
    inlines = [CommentInline]
