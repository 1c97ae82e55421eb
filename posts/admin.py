from django.contrib import admin
from django.db.models import Count
from django.utils import timezone
from django.utils.formats import localize
from django.utils.translation import gettext_lazy as _

from comments.models import Comment
from posts.models import Post, Tag


class CommentInline(admin.TabularInline):
    model = Comment
    fields = ["name", "email", "body", "status", "parent", "written"]
    # Status changes go through the comment actions, which log them.
    readonly_fields = ["status", "written"]
    raw_id_fields = ["parent"]
    extra = 0
    show_change_link = True
    ordering = ["path"]

    @admin.display(description=_("date"))
    def written(self, comment):
        # The "add another" row's comment is unsaved: its created_at is the
        # database's default still, which would print as an object.
        return localize(timezone.localtime(comment.created_at)) if comment.pk else "—"


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["title", "published_at", "comments_open"]
    list_filter = ["comments_open"]
    search_fields = ["title", "artist", "album"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["tags"]
    inlines = [CommentInline]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "post_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    # Meta.ordering does not survive the post count's GROUP BY.
    ordering = ["name", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(post_count=Count("posts"))

    @admin.display(description=_("posts"), ordering="post_count")
    def post_count(self, tag):
        return tag.post_count
