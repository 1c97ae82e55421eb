import html
import re
from dataclasses import dataclass
from datetime import datetime

import nh3
from django.contrib.postgres.expressions import ArraySubquery
from django.core.validators import RegexValidator, slug_unicode_re
from django.db import connection, connections, models, router
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import JSONObject, Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _


def reading(model):
    """The connection reads of model go to (the router's choice: a replica, or the primary)."""
    return connections[router.db_for_read(model)]


# "Miles Davis - Ascenseur pour l'echafaud (1958)"
ARTIST_ALBUM_YEAR = re.compile(r"^\s*(?P<artist>.+?)\s+[-–—]\s+(?P<album>.+?)(?:\s+\((?P<year>\d{4})\))?\s*$")


def parse_title(title):
    """Split an "Artist - Album (Year)" title; (artist, album, year) or blanks."""
    match = ARTIST_ALBUM_YEAR.match(title or "")
    if not match:
        return "", "", None
    year = match["year"]
    return match["artist"], match["album"], int(year) if year else None


ARTIST_SLUG_MAX = 200
# A content language as stored (Post.language): "fr", "fr-FR", "zh-Hans", "es-419".
LANGUAGE_TAG_PATTERN = r"\A[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*\Z"


def slug_for_artist(artist):
    """The artist's address on the site ("Miles Davis" -> "miles-davis"); "" for none.

    Spellings that differ only in case or punctuation share a page.
    """
    return slugify(artist or "", allow_unicode=True)[:ARTIST_SLUG_MAX].strip("-")


@dataclass(frozen=True, slots=True)
class PageStamp:
    """What a cached post page depends on, without loading the post."""

    pk: int
    published_at: datetime
    version: str
    last_modified: datetime

    @classmethod
    def from_row(cls, pk, published_at, page_version, updated_at, thread_changed_at, neighbours=""):
        # neighbours: what the page's prev/next links show of the previous
        # and next posts (id, date, slug, a digest of the title): a new,
        # deleted or retitled neighbour is a new version of this page too.
        return cls(
            pk=pk,
            published_at=published_at,
            version=f"{page_version}.{neighbours}",
            last_modified=max(filter(None, [updated_at, thread_changed_at])),
        )


class PostQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published_at__lte=timezone.now())

    def page_stamp(self, slug):
        """The PageStamp of the published post with this slug, or None.

        Plain SQL on purpose: this runs on every cached page view, where
        building the ORM query would cost more than running it. From the
        database reads go to, as SiteVersion.current().
        """
        now = timezone.now()
        with reading(Post).cursor() as cursor:
            cursor.execute(STAMP_SQL, [now, now, slug, now])
            row = cursor.fetchone()
        return PageStamp.from_row(*row) if row else None

    def for_page(self):
        """With what the post page shows beside the post, in the same query.

        tag_rows: its tags (name, slug) by name; previous_row, next_row: the
        posts published just before and after it (title, slug, published_at)
        or None. Two index look-ups on post_published_idx and one on the
        tags' link table; read through Post.tag_list and Post.neighbours.
        """
        return self.annotate(
            tag_rows=ArraySubquery(
                Tag.objects.filter(posts=OuterRef("pk"))
                .order_by(Lower("name"), "id")
                .values(row=JSONObject(name="name", slug="slug"))
            ),
            previous_row=_neighbour(older=True),
            next_row=_neighbour(older=False),
        )


# The post published just before (op "<", DESC) or after (">", ASC) p, by
# (published_at, id): its id and edit time, for the page stamp. The range on
# published_at uses post_published_idx; the id breaks ties.
NEIGHBOUR_SQL = """
    SELECT concat_ws(':', n.id, extract(epoch FROM n.published_at), md5(n.slug || ' ' || n.title))
      FROM posts_post n
     WHERE n.published_at {op}= p.published_at AND n.published_at <= %s
       AND (n.published_at {op} p.published_at OR n.id {op} p.id)
     ORDER BY n.published_at {order}, n.id {order} LIMIT 1
"""
# Only constants are formatted in; the values are parameters.
STAMP_SQL = """
    SELECT p.id, p.published_at, p.page_version, p.updated_at, p.thread_changed_at,
           concat(({previous}), '/', ({next}))
      FROM posts_post p
     WHERE p.slug = %s AND p.published_at <= %s
""".format(  # noqa: S608
    previous=NEIGHBOUR_SQL.format(op="<", order="DESC"), next=NEIGHBOUR_SQL.format(op=">", order="ASC")
)


def _neighbour(*, older):
    """The ORM twin of NEIGHBOUR_SQL: the neighbour's title, slug and date as JSON."""
    date, tie = ("published_at__lte", "id__lt") if older else ("published_at__gte", "id__gt")
    strictly = "published_at__lt" if older else "published_at__gt"
    order = ["-published_at", "-id"] if older else ["published_at", "id"]
    return Subquery(
        Post.objects.published()
        .filter(**{date: OuterRef("published_at")})
        .filter(Q(**{strictly: OuterRef("published_at")}) | Q(**{tie: OuterRef("id")}))
        .order_by(*order)
        .values(row=JSONObject(title="title", slug="slug", published_at="published_at"))[:1]
    )


@dataclass(frozen=True, slots=True)
class Neighbour:
    """A previous or next post, as the post page links it."""

    title: str
    url: str


class Post(models.Model):
    # The admin's labels (verbose_name) are the interface's, translated.
    title = models.CharField(_("title"), max_length=300)
    # allow_unicode: "échafaud" stays readable in the address bar.
    slug = models.SlugField(_("slug"), max_length=200, unique=True, allow_unicode=True)
    artist = models.CharField(_("artist"), max_length=200, blank=True)
    # /artists/<artist_slug>/: kept from artist by save() and the importer.
    # No index of its own: post_artist_idx starts with it.
    artist_slug = models.SlugField(
        _("artist slug"),
        max_length=ARTIST_SLUG_MAX,
        blank=True,
        allow_unicode=True,
        editable=False,
        db_index=False,
    )
    album = models.CharField(_("album"), max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    body = models.TextField(
        _("body"), blank=True, help_text=_("HTML from the archive; sanitised when shown.")
    )
    excerpt = models.TextField(_("excerpt"), blank=True)
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    comments_open = models.BooleanField(_("comments open"), default=True)
    # The content's language (a BCP 47 tag: "fr", "zh-Hans"), from the
    # import's <language> or the admin; blank: the site's (LANGUAGE_CODE).
    # The page marks the post lang="…" when it differs from the interface's.
    language = models.CharField(
        _("language"),
        max_length=35,
        blank=True,
        default="",
        # Rows written by raw SQL and COPY (imports, restores) get it blank too.
        db_default="",
        validators=[
            RegexValidator(LANGUAGE_TAG_PATTERN, _("Enter a language tag such as fr, fr-FR or zh-Hans."))
        ],
        help_text=_(
            "The language the post and its thread are written in (fr, fr-FR, zh-Hans); blank: the site's."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Bumped by the database (posts/migrations/0003_page_versions.py) on
    # every write to this post's comments: the page cache's key and the
    # page's Last-Modified.
    thread_version = models.BigIntegerField(_("thread version"), default=0, editable=False)
    # "N Responses": approved comments, not pingbacks. Kept by the same
    # triggers, so lists need no join with comments.
    response_count = models.PositiveIntegerField(_("responses"), default=0, editable=False)
    thread_changed_at = models.DateTimeField(_("thread changed at"), null=True, blank=True, editable=False)
    # Bumped by the database on every update of this row, whoever makes it
    # (posts/migrations/0010_version_counters.py): the post page's cache key.
    page_version = models.BigIntegerField(_("page version"), default=0, db_default=0, editable=False)
    tags = models.ManyToManyField("Tag", blank=True, related_name="posts", verbose_name=_("tags"))

    objects = PostQuerySet.as_manager()

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["-published_at", "-id"]
        indexes = [
            # The home page: newest first.
            models.Index(fields=["-published_at", "-id"], name="post_published_idx"),
            # The lists' cache version (SiteVersion.current): the latest changes.
            models.Index(fields=["updated_at"], name="post_updated_idx"),
            models.Index(fields=["thread_changed_at"], name="post_thread_changed_idx"),
            # An artist's page (its posts, newest first) and /artists/ (grouped by slug).
            models.Index(fields=["artist_slug", "-published_at", "-id"], name="post_artist_idx"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = self._unique_slug()
        if not (self.artist or self.album):
            self.artist, self.album, parsed_year = parse_title(self.title)
            self.year = self.year or parsed_year
        self.artist_slug = slug_for_artist(self.artist)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "artist" in update_fields:
            kwargs["update_fields"] = {*update_fields, "artist_slug"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("posts:detail", kwargs=self.permalink_kwargs())

    def get_artist_url(self):
        """The artist's page, or None when the post names no artist."""
        if not self.artist_slug:
            return None
        return reverse("posts:artist", kwargs={"slug": self.artist_slug})

    @cached_property
    def tag_list(self):
        """Its tags by name: from for_page()'s tag_rows, else a query."""
        rows = self.__dict__.get("tag_rows")
        if rows is None:
            return list(self.tags.order_by(Lower("name"), "id"))
        return [Tag(name=row["name"], slug=row["slug"]) for row in rows]

    @cached_property
    def neighbours(self):
        """(previous, next) Neighbour or None, by publication date: from for_page(), else a query."""
        if "previous_row" not in self.__dict__:
            loaded = Post.objects.for_page().only("pk").get(pk=self.pk)
            self.previous_row, self.next_row = loaded.previous_row, loaded.next_row
        return _as_neighbour(self.previous_row), _as_neighbour(self.next_row)

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


def _as_neighbour(row):
    if not row:
        return None
    published_at = datetime.fromisoformat(row["published_at"])
    url = reverse("posts:detail", kwargs=permalink_kwargs(published_at, row["slug"]))
    return Neighbour(title=row["title"], url=url)


@dataclass(frozen=True, slots=True)
class AlbumLink:
    title: str
    year: int | None
    url: str


def album_links(rows):
    """An artist's albums, each once, linked to its first post: from rows of
    {album, year, slug, published_at} (JSON, as /artists/ aggregates them)."""
    links, seen = [], set()
    for row in rows:
        album = row["album"] or ""
        identity = (album.lower(), row["year"])
        if not album or identity in seen:
            continue
        seen.add(identity)
        published_at = datetime.fromisoformat(row["published_at"])
        url = reverse("posts:detail", kwargs=permalink_kwargs(published_at, row["slug"]))
        links.append(AlbumLink(title=album, year=row["year"], url=url))
    return links


@dataclass(frozen=True, slots=True)
class ArchiveSize:
    """The archive's size, as the home page says it: "1,245 posts, 38,112 responses"."""

    posts: int
    responses: int

    @classmethod
    def published(cls, now=None):
        """One query: how many posts are published, and their approved responses (Post.response_count).

        The database keeps the totals of every post (SiteVersion); the
        scheduled ones, read through the published_at index, are taken off.
        Read where the page is rendered from, as SiteVersion.current().
        """
        with reading(Post).cursor() as cursor:
            cursor.execute(
                """
                SELECT coalesce(s.posts_total, 0) - f.posts, coalesce(s.responses_total, 0) - f.responses
                  FROM (SELECT count(*) AS posts, coalesce(sum(response_count), 0) AS responses
                          FROM posts_post WHERE published_at > %s) f
                  LEFT JOIN posts_siteversion s ON s.id = 1
                """,
                [now or timezone.now()],
            )
            posts, responses = cursor.fetchone()
        return cls(posts=posts, responses=responses)

    def __str__(self):
        # Numbers grouped as the interface language writes them ("1,245", "1 245").
        posts = ngettext("%(count)s post", "%(count)s posts", self.posts) % {
            "count": number_format(self.posts, force_grouping=True)
        }
        responses = ngettext("%(count)s response", "%(count)s responses", self.responses) % {
            "count": number_format(self.responses, force_grouping=True)
        }
        return gettext("%(posts)s, %(responses)s") % {"posts": posts, "responses": responses}


class TagQuerySet(models.QuerySet):
    def ids_for(self, names, exact_slugs=False):
        """{clean_tag_name(name): tag id} for (name, slug) pairs, creating the missing tags.

        Names match case-insensitively ("Jazz" is "jazz"), as PostgreSQL's
        lower() sees them, so one tag stands for a blog's category and tag
        of the same name. A new tag's slug comes from its name (else the
        slug given, e.g. WordPress's nicename); with exact_slugs (our own
        exports) the slug given comes first. Made unique with -2, -3...
        Three queries, plus one per slug already taken.
        """
        wanted = {}
        for name, fallback in names:
            name = clean_tag_name(name)
            if name:
                wanted.setdefault(name, fallback)
        if not wanted:
            return {}
        found = self._ids_by_name(wanted)
        missing = {name: fallback for name, fallback in wanted.items() if name not in found}
        if missing:
            new = []
            seen = set()
            for name, fallback in missing.items():
                if name.lower() in seen:  # "Jazz" and "jazz" in one batch: one tag
                    continue
                seen.add(name.lower())
                exact = exact_slugs and slug_unicode_re.match(fallback or "") and len(fallback) <= 200
                base = fallback if exact else _slug_base(name, fallback)
                new.append(Tag(name=name, slug=base))
            _unique_slugs(new)
            # A concurrent import may have made one meanwhile: then it is found below.
            Tag.objects.bulk_create(new, ignore_conflicts=True)
            found.update(self._ids_by_name(missing))
        return found

    def _ids_by_name(self, names):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT v.name, t.id FROM unnest(%s::text[]) AS v(name)"
                " JOIN posts_tag t ON lower(t.name) = lower(v.name)",
                [list(names)],
            )
            return dict(cursor.fetchall())


TAG_NAME_MAX = 200
TAG_SLUG_BASE_MAX = 180


def clean_tag_name(name):
    """A tag name as stored: one line, whitespace collapsed, at most TAG_NAME_MAX characters."""
    return " ".join((name or "").split())[:TAG_NAME_MAX]


def _slug_base(name, fallback=""):
    return (
        slugify(name, allow_unicode=True)[:TAG_SLUG_BASE_MAX].strip("-")
        or slugify(fallback or "", allow_unicode=True)[:TAG_SLUG_BASE_MAX].strip("-")
        or "tag"
    )


def _unique_slugs(tags):
    """Give each unsaved tag a slug no other tag has: its base, else base-2, base-3..."""
    bases = {tag.slug for tag in tags}
    taken = set(Tag.objects.filter(slug__in=bases).values_list("slug", flat=True))
    used = set()
    for tag in tags:
        base = slug = tag.slug
        if slug in taken or slug in used:
            pattern = rf"^{re.escape(base)}-[0-9]+$"
            taken |= set(Tag.objects.filter(slug__regex=pattern).values_list("slug", flat=True))
            suffix = 2
            while f"{base}-{suffix}" in taken or f"{base}-{suffix}" in used:
                suffix += 1
            slug = f"{base}-{suffix}"
        tag.slug = slug
        used.add(slug)


class Tag(models.Model):
    """A post's category or tag (imported blogs' categories and tags become these)."""

    name = models.CharField(_("name"), max_length=TAG_NAME_MAX)
    slug = models.SlugField(_("slug"), max_length=200, unique=True, allow_unicode=True, blank=True)

    objects = TagQuerySet.as_manager()

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = [Lower("name"), "id"]
        constraints = [
            # One tag per name whatever its case: imports match names this way.
            models.UniqueConstraint(Lower("name"), name="tag_name_ci_unique"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = _slug_base(self.name)
            _unique_slugs([self])
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("posts:tag", kwargs={"slug": self.slug})


def permalink_kwargs(published_at, slug):
    published = timezone.localtime(published_at)
    return {"year": published.year, "month": published.month, "slug": slug}


class SiteVersion(models.Model):
    """What the cached lists (home, archives, feeds, sitemaps) depend on; one query to read.

    version goes up once per transaction that writes posts, at its commit
    (comments reach their posts through the thread triggers), bumped by the
    database (posts/migrations/0010_version_counters.py); renaming or
    deleting a tag bumps it too (0009). A scheduled post whose time comes
    is no write: the latest published_at up to now is the other half.
    """

    version = models.BigIntegerField(_("version"), default=0)
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)
    # Every post (scheduled ones too) and the sum of their response counts,
    # kept by the same trigger (posts/migrations/0012_archive_totals.py).
    posts_total = models.BigIntegerField(_("posts in all"), default=0, db_default=0, editable=False)
    responses_total = models.BigIntegerField(_("responses in all"), default=0, db_default=0, editable=False)

    class Meta:
        verbose_name = _("site version")
        verbose_name_plural = _("site versions")

    def __str__(self):
        return f"site version {self.version}"

    @classmethod
    def current(cls):
        """(version string, last change or None): one query, two index look-ups.

        Read from the database the page is then rendered from (a replica,
        if there are: wflm/replicas.py), so a key never runs ahead of its content.
        """
        with reading(Post).cursor() as cursor:
            cursor.execute(
                """
                SELECT s.version, s.changed_at,
                       (SELECT max(published_at) FROM posts_post WHERE published_at <= %s)
                  FROM (SELECT 1) one LEFT JOIN posts_siteversion s ON s.id = 1
                """,
                [timezone.now()],
            )
            version, changed_at, latest = cursor.fetchone()
        moments = [value for value in (changed_at, latest) if value]
        key = f"{version or 0}:{latest.timestamp() if latest else ''}"
        return key, max(moments) if moments else None
