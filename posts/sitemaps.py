"""The sitemap's sections (django.contrib.sitemaps): posts, archives, artists, tags.

Each section answers its items in a fixed number of queries, and its latest
change in one aggregate (the framework's default reads every item for it).
A page's lastmod is the later of its post's last edit and its thread's last
change (Post.thread_changed_at, kept by the database on every comment
write), so a new approved reply moves it.
"""

from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.db.models.functions import Greatest, TruncMonth
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import cached_property

from posts.models import Post, Tag


def _latest(*moments):
    return max(filter(None, moments), default=None)


# PostgreSQL's GREATEST skips NULLs: a post without comments has no thread_changed_at.
LAST_CHANGE = Greatest(Max("updated_at"), Max("thread_changed_at"))


class PostSitemap(Sitemap):
    """Every published post's permalink, oldest first (a stable order for paging)."""

    def items(self):
        return (
            Post.objects.published()
            .order_by("published_at", "id")
            .only("slug", "published_at", "updated_at", "thread_changed_at")
        )

    def lastmod(self, post):
        return _latest(post.updated_at, post.thread_changed_at)

    def get_latest_lastmod(self):
        return Post.objects.published().aggregate(latest=LAST_CHANGE)["latest"]


class ArchiveSitemap(Sitemap):
    """The year and month archive pages (one grouped query for both)."""

    @cached_property
    def _months(self):
        # TruncMonth in the current time zone, as the archive pages and permalinks count months.
        return list(
            Post.objects.published()
            .annotate(month=TruncMonth("published_at"))
            .values("month")
            .annotate(lastmod=LAST_CHANGE)
            .order_by("month")
            .values_list("month", "lastmod")
        )

    def items(self):
        years = {}
        for month, lastmod in self._months:
            years[month.year] = _latest(years.get(month.year), lastmod)
        items = []
        for year, lastmod in years.items():
            items.append((reverse("posts:year", kwargs={"year": year}), lastmod))
            items += [
                (reverse("posts:month", kwargs={"year": month.year, "month": month.month}), month_lastmod)
                for month, month_lastmod in self._months
                if month.year == year
            ]
        return items

    def location(self, item):
        return item[0]

    def lastmod(self, item):
        return item[1]

    def get_latest_lastmod(self):
        return _latest(*(lastmod for _, lastmod in self._months))


class ArtistSitemap(Sitemap):
    """Each artist page (posts:artist), when that part of the site exists."""

    def items(self):
        # A queryset, so the framework's pages are counted and sliced in the database.
        return (
            Post.objects.published()
            .exclude(artist_slug="")
            .values("artist_slug")
            .annotate(lastmod=LAST_CHANGE)
            .order_by("artist_slug")
            .values_list("artist_slug", "lastmod")
        )

    def location(self, item):
        return reverse("posts:artist", kwargs={"slug": item[0]})

    def lastmod(self, item):
        return item[1]

    def get_latest_lastmod(self):
        return Post.objects.published().exclude(artist_slug="").aggregate(latest=LAST_CHANGE)["latest"]


class TagSitemap(Sitemap):
    """Each tag page (posts:tag) with a published post; lastmod from its posts."""

    def items(self):
        return (
            Tag.objects.filter(posts__published_at__lte=timezone.now())
            .annotate(lastmod=Greatest(Max("posts__updated_at"), Max("posts__thread_changed_at")))
            .order_by("slug")
            .only("slug")
        )

    def lastmod(self, tag):
        return tag.lastmod

    def get_latest_lastmod(self):
        return Post.objects.published().filter(tags__isnull=False).aggregate(latest=LAST_CHANGE)["latest"]


def sections():
    """The sitemap's sections by name, in order; artist and tag pages where they exist."""
    found = {"posts": PostSitemap(), "archives": ArchiveSitemap()}
    if has_route("posts:artist"):
        found["artists"] = ArtistSitemap()
    if has_route("posts:tag"):
        found["tags"] = TagSitemap()
    return found


def has_route(name):
    """Whether the URL name (taking a slug) exists (the sitemap lists only pages that do)."""
    try:
        reverse(name, kwargs={"slug": "x"})
    except NoReverseMatch:
        return False
    return True
