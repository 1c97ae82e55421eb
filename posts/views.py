from django.conf import settings
from django.contrib.postgres.aggregates import ArrayAgg
from django.core.paginator import EmptyPage, Paginator
from django.db.models import Case, Count, Max, Q, When
from django.db.models.functions import JSONObject, Lower
from django.http import Http404, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_safe

from archive.redirects import legacy_redirect
from comments.models import Comment
from comments.threads import comment_url
from posts import pagecache
from posts.models import ArchiveSize, Post, SiteVersion, Tag, album_links
from wflm.ids import parse_id

ARTISTS_PER_PAGE = 100
RECENT_RESPONSES = 10
# What a list shows of each post (the artist's page: album and year too).
LIST_FIELDS = (
    "title",
    "slug",
    "artist",
    "album",
    "year",
    "excerpt",
    "body",
    "published_at",
    "response_count",
    # lang="…" on a post in another language than the interface's.
    "language",
)


# --- Lists ----------------------------------------------------------------------


@require_safe
def post_list(request):
    # An imported blog's /?p=123 links: no query unless ?p= or ?page_id= holds digits.
    if redirect := legacy_redirect(request):
        return redirect
    return _post_list_page(request, Post.objects.all(), "home", title="", home=True)


@require_safe
def archive_year(request, year):
    return _post_list_page(
        request, Post.objects.filter(published_at__year=year), f"year:{year}", title=str(year)
    )


@require_safe
def archive_month(request, year, month):
    posts = Post.objects.filter(published_at__year=year, published_at__month=month)
    # "May 2009", "mai 2009", "2009年5月": the interface language's month (the cache key carries it).
    title = date_format(timezone.datetime(year, month, 1), "YEAR_MONTH_FORMAT")
    return _post_list_page(request, posts, f"month:{year}:{month}", title=title)


def _post_list_page(
    request, posts, name, title, *, home=False, template="posts/post_list.html", allow_empty=True
):
    """A cached, paginated list: 1 query on a hit (the site version), 3 on a miss.

    Counts come from Post.response_count: no join with the comments. The
    home page also shows the recent responses and the archive's size: one
    more query (the size's post count is the paginator's, so no count query).
    A list with no posts at all is a 404 when allow_empty is False.
    """
    # One cache entry and ETag per real page: ?page=a1, ?page=01, ?page=999 are
    # not new pages (a 404, or page 1 under its one key).
    page_number = pagecache.page_number(request)
    version, changed_at = SiteVersion.current()

    def render():
        listed = posts.published().order_by("-published_at", "-id").only(*LIST_FIELDS)
        paginator = Paginator(listed, settings.POSTS_PER_PAGE, allow_empty_first_page=allow_empty)
        extra = {}
        if home:
            size = ArchiveSize.published()
            paginator.count = size.posts  # the same rows: spare the paginator its count
            extra |= {"archive_size": size, "recent_responses": _recent_responses()}
        try:
            page = paginator.page(page_number)
        except EmptyPage as error:
            raise Http404("No such page of this list.") from error
        return TemplateResponse(
            request,
            template,
            # site_version: the header's archive years need no query of their own (posts/templatetags/site_nav.py).
            {"page": page, "archive_title": title, "is_home": home, "site_version": version, **extra},
        ).render()

    key = f"list:{name}:{version}:{page_number}"
    return pagecache.cached_page(request, key, changed_at, render)


def _recent_responses():
    """The last approved responses (not pingbacks) on published posts, with their posts' titles.

    One query, newest first from comment_status_idx.
    """
    return list(
        Comment.objects.approved()
        .conversation()
        .filter(post__published_at__lte=timezone.now())
        .select_related("post")
        .only("id", "name", "created_at", "post__title")
        .order_by("-created_at", "-id")[:RECENT_RESPONSES]
    )


# --- Browsing: artists and tags ---------------------------------------------------


@require_safe
def artist_list(request):
    """/artists/: every artist with their albums and post counts, by name (their slug).

    1 query on a hit (the site version); on a miss 2 more: the count of
    artists and one grouped query for the page (albums aggregated per artist).
    """
    page_number = pagecache.page_number(request)
    version, changed_at = SiteVersion.current()

    def render():
        artists = (
            Post.objects.published()
            .exclude(artist_slug="")
            .values("artist_slug")
            .annotate(
                name=Max("artist"),
                post_count=Count("id"),
                albums=ArrayAgg(
                    JSONObject(album="album", year="year", slug="slug", published_at="published_at"),
                    order_by=("year", Lower("album"), "published_at", "id"),
                ),
            )
            # By slug (lower-case, so "by name" whatever the case): the
            # groups then come in post_artist_idx order, and a page stops
            # reading after its last artist instead of grouping them all.
            .order_by("artist_slug")
        )
        try:
            page = Paginator(artists, ARTISTS_PER_PAGE).page(page_number)
        except EmptyPage as error:
            raise Http404("No such page of this list.") from error
        for artist in page.object_list:
            artist["albums"] = album_links(artist["albums"])
        return TemplateResponse(
            request, "posts/artist_list.html", {"page": page, "site_version": version}
        ).render()

    return pagecache.cached_page(request, f"artists:{version}:{page_number}", changed_at, render)


@require_safe
def artist_detail(request, slug):
    """/artists/<slug>/: that artist's posts, newest first; 404 if none is published.

    1 query on a hit (the site version), 3 on a miss (see _post_list_page);
    the artist's name is read from the page's first post.
    """
    return _post_list_page(
        request,
        Post.objects.filter(artist_slug=slug),
        f"artist:{slug}",
        title="",
        template="posts/artist_detail.html",
        allow_empty=False,
    )


@require_safe
def tag_detail(request, slug):
    """/tags/<slug>/: a tag's posts, newest first.

    1 query on a hit (the site version: renaming or deleting a tag bumps
    it, see posts/migrations/0009); on a miss 3 more: the tag, the count,
    the page.
    """
    page_number = pagecache.page_number(request)
    version, changed_at = SiteVersion.current()

    def render():
        tag = get_object_or_404(Tag, slug=slug)
        listed = tag.posts.published().order_by("-published_at", "-id").only(*LIST_FIELDS)
        try:
            page = Paginator(listed, settings.POSTS_PER_PAGE).page(page_number)
        except EmptyPage as error:
            raise Http404("No such page of this list.") from error
        return TemplateResponse(
            request, "posts/tag_detail.html", {"page": page, "tag": tag, "site_version": version}
        ).render()

    return pagecache.cached_page(request, f"tag:{slug}:{version}:{page_number}", changed_at, render)


# --- Comments' own addresses ----------------------------------------------------


@require_safe
def comment_permalink(request, comment_id):
    """/comments/<id>/: the stable address of a comment, wherever its page is."""
    comment = get_object_or_404(
        Comment.objects.approved().conversation().select_related("post").only("id", "path", "post"),
        pk=comment_id,
        post__published_at__lte=timezone.now(),
    )
    return HttpResponsePermanentRedirect(comment_url(comment))


@require_safe
def comment_by_original_id(request, post_id, original_id):
    """Where an imported comment shows, by its id on the old blog: {"id", "url"} (null: none).

    Old links (#comment-<old id>) reach page 1 of a thread; static/js/old-anchor.js
    asks here when that anchor is on another page. As on the page, an id of
    ours wins over an old id (#comment-<id> on another page of the thread).
    """
    ours = parse_id(original_id)
    match = Q(original_id=original_id) | Q(pk=ours) if ours else Q(original_id=original_id)
    comment = (
        Comment.objects.approved()
        .conversation()
        .select_related("post")
        .only("id", "path", "post")
        .filter(match, post_id=post_id, post__published_at__lte=timezone.now())
        .order_by(Case(When(pk=ours or 0, then=0), default=1), "id")
        .first()
    )
    if comment is None:
        # Not an error of the page's: an old link to a comment not kept (or held).
        return JsonResponse({"id": None, "url": None})
    return JsonResponse({"id": comment.pk, "url": comment_url(comment)})
