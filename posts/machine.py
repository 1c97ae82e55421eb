"""Pages for machines: /sitemap.xml, /robots.txt and a thread's comments.json.

All go through the page cache (posts/pagecache.py) like the HTML pages, under
keys carrying the site's or the post's versions. Formats: docs/machine-formats.md.
"""

import json

from django.conf import settings
from django.contrib.sitemaps.views import SitemapIndexItem
from django.contrib.sites.requests import RequestSite
from django.core.paginator import EmptyPage
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from comments.threads import Thread
from posts import pagecache, sitemaps
from posts.models import Post, SiteVersion, permalink_kwargs
from posts.stamps import stamp_cache

# Deeper replies are listed among their parent's siblings (each still names
# its parent): a reply chain thousands deep must not exhaust json's recursion.
MAX_JSON_NESTING = 100


# --- Sitemap and robots.txt ---------------------------------------------------------


@require_safe
def sitemap_index(request):
    """/sitemap.xml: the index of the sections' sitemap pages.

    Queries: the site version; on a miss, per section its page count and
    latest change (two each; one for the archives).
    """
    version, changed_at = SiteVersion.current()

    def render():
        entries = []
        for name, section in sitemaps.sections().items():
            location = request.build_absolute_uri(reverse("posts:sitemap_section", kwargs={"section": name}))
            lastmod = section.get_latest_lastmod()
            for number in section.paginator.page_range:
                entries.append(
                    SitemapIndexItem(location if number == 1 else f"{location}?page={number}", lastmod)
                )
        return _xml(TemplateResponse(request, "sitemap_index.xml", {"sitemaps": entries}))

    return _not_for_indexing(pagecache.cached_page(request, f"sitemap:{version}", changed_at, render))


@require_safe
def sitemap_section(request, section):
    """/sitemap-<section>.xml[?page=N]: one page of a section, as many URLs as the framework puts on one.

    Pages are ?page=N rather than the framework's ?p=N: the page cache keys
    on ?page only. Queries: the site version, then the page's count and rows.
    """
    found = sitemaps.sections().get(section)
    if found is None:
        raise Http404("No such sitemap.")
    page = pagecache.page_number(request)
    version, changed_at = SiteVersion.current()

    def render():
        try:
            urls = found.get_urls(page=page, site=RequestSite(request), protocol=request.scheme)
        except EmptyPage as error:
            raise Http404("No such sitemap page.") from error
        return _xml(TemplateResponse(request, "sitemap.xml", {"urlset": urls}))

    key = f"sitemap:{section}:{version}:{page}"
    return _not_for_indexing(pagecache.cached_page(request, key, changed_at, render))


def _xml(response):
    response["Content-Type"] = "application/xml; charset=utf-8"
    return response.render()


def _not_for_indexing(response):
    # As the framework's sitemap views: the sitemap lists pages, it is not one.
    response["X-Robots-Tag"] = "noindex, noodp, noarchive"
    return response


@require_safe
def robots_txt(request):
    """/robots.txt: where the sitemap is; the admin kept out (no query)."""

    def render():
        lines = ["User-agent: *"]
        # A custom ADMIN_URL is there to be hard to guess: it is not published here
        # (the admin's pages say noindex themselves).
        if settings.ADMIN_URL == "admin/":
            lines.append(f"Disallow: /{settings.ADMIN_URL}")
        else:
            lines.append("Disallow:")
        lines.append(f"Sitemap: {request.build_absolute_uri(reverse('posts:sitemap'))}")
        return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")

    return pagecache.cached_page(request, f"robots:{settings.ADMIN_URL}", None, render)


# --- A thread as JSON ----------------------------------------------------------------


@require_safe
def comments_json(request, year, month, slug, page=None):
    """<permalink>comments.json, <permalink>comment-page-N/comments.json: a thread page as a tree.

    The same pages as the HTML thread (COMMENTS_PER_PAGE top-level comments
    with all their replies), approved comments only, no pingbacks.
    Queries: as the post page (see Thread.for_post); a hit, the post's versions.
    """
    stamp = stamp_cache.get(slug, Post.objects.page_stamp)
    if stamp is None or permalink_kwargs(stamp.published_at, slug) != {
        "year": year,
        "month": month,
        "slug": slug,
    }:
        raise Http404("No post at this address.")

    def render():
        post = get_object_or_404(
            Post.objects.only("title", "slug", "published_at", "response_count"), pk=stamp.pk
        )
        thread = Thread.for_post(post, page=page)
        body = json.dumps(thread_document(request, post, thread), ensure_ascii=False, indent=1)
        return HttpResponse(body, content_type="application/json")

    key = f"comments-json:{stamp.pk}:{stamp.version}:{page}"
    response = pagecache.cached_page(request, key, stamp.last_modified, render)
    # Public, read-only, without cookies: other sites' scripts may embed it.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def thread_document(request, post, thread):
    """The JSON for one page of post's thread (see docs/machine-formats.md)."""
    absolute = request.build_absolute_uri
    pagination = thread.pagination
    number = pagination.number if pagination else 1
    num_pages = pagination.num_pages if pagination else 1
    default = pagination.default_page if pagination else 1

    def json_url(page):
        if not 1 <= page <= num_pages:
            return None
        if page == default:
            return absolute(reverse("posts:comments_json", kwargs=post.permalink_kwargs()))
        return absolute(reverse("posts:comments_json_page", kwargs={**post.permalink_kwargs(), "page": page}))

    return {
        "post": {"id": post.pk, "title": post.title, "url": absolute(post.get_absolute_url())},
        "response_count": thread.approved_count,
        "page": number,
        "num_pages": num_pages,
        "links": {
            "self": json_url(number),
            "html": absolute(pagination.current_url if pagination else post.get_absolute_url()),
            "first": json_url(1),
            "last": json_url(num_pages),
            "prev": json_url(number - 1),
            "next": json_url(number + 1),
        },
        "comments": comment_tree(request, thread),
    }


def comment_tree(request, thread):
    """The thread's approved comments, each with its replies in "children", in thread order."""
    # One reverse for every /comments/<id>/ (a page may hold thousands of comments).
    prefix = request.build_absolute_uri(reverse("posts:comment", kwargs={"comment_id": 1}))[:-2]
    roots, nodes, child_lists, depths = [], {}, {}, {}
    for comment in thread:
        if not comment.is_approved:
            continue
        parent = _shown_parent(comment, nodes)
        node = {
            "id": comment.pk,
            "parent": parent,
            "number": comment.number,
            "author": comment.name.unescape(),
            "author_url": comment.url.unescape() or None,
            "date": comment.created_at.isoformat(),
            "body": str(comment.body_html),
            "permalink": f"{prefix}{comment.pk}/",
            "children": [],
        }
        nodes[comment.pk] = node
        depths[comment.pk] = depth = depths[parent] + 1 if parent else 1
        (child_lists[parent] if parent else roots).append(node)
        # Past the nesting limit, replies go beside their parent instead of under it.
        child_lists[comment.pk] = node["children"] if depth < MAX_JSON_NESTING else child_lists[parent]
    return roots


def _shown_parent(comment, shown):
    """The id of the comment this one hangs under, as on the page: its parent, or
    the nearest ancestor shown when the parent is hidden; None for a top-level one."""
    if comment.parent_id in shown:
        return comment.parent_id
    for ancestor_id in reversed(comment.path[:-1]):
        if ancestor_id in shown:
            return ancestor_id
    return None
