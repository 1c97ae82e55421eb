import html
import re
from dataclasses import dataclass
from datetime import datetime

import nh3
from django.db import connection, models
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.utils.text import slugify

# "Miles Davis - Ascenseur pour l'echafaud (1958)"
ARTIST_ALBUM_YEAR = re.compile(r"^\s*(?P<artist>.+?)\s+[-–—]\s+(?P<album>.+?)(?:\s+\((?P<year>\d{4})\))?\s*$")


def parse_title(title):
    """Split an "Artist - Album (Year)" title; (artist, album, year) or blanks."""
    match = ARTIST_ALBUM_YEAR.match(title or "")
    if not match:
        return "", "", None
    year = match["year"]
    return match["artist"], match["album"], int(year) if year else None


@dataclass(frozen=True, slots=True)
class PageStamp:
    """What a cached post page depends on, without loading the post."""

    pk: int
    published_at: datetime
    version: str
    last_modified: datetime

    @classmethod
    def from_row(cls, pk, published_at, thread_version, updated_at, thread_changed_at):
        return cls(
            pk=pk,
            published_at=published_at,
            version=f"{thread_version}.{updated_at.timestamp()}",
            last_modified=max(filter(None, [updated_at, thread_changed_at])),
        )


class PostQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published_at__lte=timezone.now())

    def page_stamp(self, slug):
        """The PageStamp of the published post with this slug, or None.

        Plain SQL on purpose: this runs on every cached page view, where
        building the ORM query would cost more than running it.
        """
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, published_at, thread_version, updated_at, thread_changed_at FROM posts_post"
                " WHERE slug = %s AND published_at <= %s",
                [slug, timezone.now()],
            )
            row = cursor.fetchone()
        return PageStamp.from_row(*row) if row else None


class Post(models.Model):
    title = models.CharField(max_length=300)
    # allow_unicode: "échafaud" stays readable in the address bar.
    slug = models.SlugField(max_length=200, unique=True, allow_unicode=True)
    artist = models.CharField(max_length=200, blank=True)
    album = models.CharField(max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.TextField(blank=True, help_text="HTML from the archive; sanitised when shown.")
    excerpt = models.TextField(blank=True)
    published_at = models.DateTimeField(default=timezone.now)
    comments_open = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Bumped by the database (posts/migrations/0003_page_versions.py) on
    # every write to this post's comments: the page cache's key and the
    # page's Last-Modified.
    thread_version = models.BigIntegerField(default=0, editable=False)
    # "N Responses": approved comments, not pingbacks. Kept by the same
    # triggers, so lists need no join with comments.
    response_count = models.PositiveIntegerField(default=0, editable=False)
    thread_changed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            # The home page: newest first.
            models.Index(fields=["-published_at", "-id"], name="post_published_idx"),
            # The lists' cache version (SiteVersion.current): the latest changes.
            models.Index(fields=["updated_at"], name="post_updated_idx"),
            models.Index(fields=["thread_changed_at"], name="post_thread_changed_idx"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = self._unique_slug()
        if not (self.artist or self.album):
            self.artist, self.album, parsed_year = parse_title(self.title)
            self.year = self.year or parsed_year
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("posts:detail", kwargs=self.permalink_kwargs())

    def permalink_kwargs(self):
        return permalink_kwargs(self.published_at, self.slug)

    def _unique_slug(self):
        base = slugify(self.title, allow_unicode=True)[:180] or "post"
        slug, suffix = base, 2
        while Post.objects.filter(slug=slug).exclude(pk=self.pk).exists():
            slug, suffix = f"{base}-{suffix}", suffix + 1
        return slug

    @cached_property
    def body_html(self):
        # Archive HTML is trusted to be ours, but it came from old blogs:
        # an allow-list keeps scripts and event handlers out all the same.
        return mark_safe(nh3.clean(self.body, link_rel="nofollow noopener"))  # noqa: S308 (sanitised)

    @cached_property
    def excerpt_text(self):
        if self.excerpt:
            return self.excerpt
        text = " ".join(html.unescape(nh3.clean(self.body, tags=set())).split())
        return text[:300] + ("…" if len(text) > 300 else "")


def permalink_kwargs(published_at, slug):
    published = timezone.localtime(published_at)
    return {"year": published.year, "month": published.month, "slug": slug}


class SiteVersion(models.Model):
    """What the cached lists (home, archives) depend on; one query to read.

    A list changes when a post is written (updated_at), when a post's
    comments change (thread_changed_at, kept by the triggers), when a
    scheduled post's time comes (the latest published_at up to now), or
    when a post is deleted (this one row, bumped by a trigger on deletes
    only). Maxima of indexed columns rather than a counter bumped on every
    write: a long import then locks only its own posts, never a row every
    commenter needs.
    """

    version = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"site version {self.version}"

    @classmethod
    def current(cls):
        """(version string, last change or None): one query, four index look-ups."""
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT (SELECT version FROM posts_siteversion WHERE id = 1),
                       (SELECT max(updated_at) FROM posts_post),
                       (SELECT max(thread_changed_at) FROM posts_post),
                       (SELECT max(published_at) FROM posts_post WHERE published_at <= %s)
                """,
                [timezone.now()],
            )
            row = cursor.fetchone()
        moments = [value for value in row[1:] if value]
        version = ":".join(str(value.timestamp() if isinstance(value, datetime) else value) for value in row)
        return version, max(moments) if moments else None
