"""RSS 2.0 feeds at WordPress's addresses, so old subscriptions keep working.

/feed/ (posts), /comments/feed/ (approved comments), <post permalink>feed/
(that post's comments) and /artists/<slug>/feed/. Every feed goes through
the page cache (posts/pagecache.py) under a key carrying the versions the
database bumps on every write, like the pages: a hit is one small query.

Links are absolute, made from the request (the Host header, checked against
ALLOWED_HOSTS); the page cache keeps one entry per origin. Titles and
channel descriptions made of our text are escaped once more than the XML
needs, as Django does for item titles (#6533): readers treat them as HTML,
so "<b>" in a title must arrive as text.
"""

import re

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpResponseNotAllowed
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import get_language, gettext, gettext_lazy

from comments.models import Comment
from posts import pagecache
from posts.models import Post, SiteVersion, permalink_kwargs
from posts.stamps import stamp_cache
from wflm.languages import language_tag

# Lazy: read in the language of each request (the feeds' page cache key carries it).
SITE_NAME = gettext_lazy("WFLM archive")
TAGLINE = gettext_lazy("An archive of music writeups and their readers' responses.")
# Newest first; WordPress's default is 10.
FEED_ITEMS = 20
# What the post feeds read: not the comments, nor more than an item shows.
POST_FIELDS = ("title", "slug", "artist", "body", "published_at", "updated_at")
COMMENT_FIELDS = ("id", "name", "body_html", "created_at")

# XML 1.0 cannot carry these at all, escaped or not; Django's XML writer
# raises on most of them (a 500) and writes U+FFFE/U+FFFF (a broken feed).
# Imported text may hold them: they are dropped from what a feed prints.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value):
    return _NOT_XML.sub("", str(value))


class CachedFeed(Feed):
    """A feed answered from the page cache; subclasses give cache_key()."""

    item_guid_is_permalink = True

    def __call__(self, request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        key, last_modified = self.cache_key(request, *args, **kwargs)

        def render():
            return super(CachedFeed, self).__call__(request, *args, **kwargs)

        return pagecache.cached_page(request, key, last_modified, render)

    def cache_key(self, request, *args, **kwargs):
        """(cache key, last change): by default the site's version (one query)."""
        version, changed_at = SiteVersion.current()
        return f"feed:{type(self).__name__}:{version}:{kwargs}", changed_at

    @property
    def language(self):
        # RSS's <language>: the interface's, as a tag ("zh-Hans", not Django's "zh-hans").
        return language_tag(get_language())

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at


class PostsFeed(CachedFeed):
    """/feed/: the latest published posts, whole (queries: the site version, the posts)."""

    title = SITE_NAME
    description = TAGLINE

    def link(self):
        return reverse("posts:list")

    def items(self):
        return Post.objects.published().order_by("-published_at", "-id").only(*POST_FIELDS)[:FEED_ITEMS]

    def item_title(self, post):
        return escape(xml_text(post.title))

    def item_description(self, post):
        return xml_text(post.body_html)

    def item_categories(self, post):
        return [xml_text(post.artist)] if post.artist else []


class ArtistFeed(PostsFeed):
    """/artists/<slug>/feed/: that artist's latest posts; 404 for an artist with none."""

    def get_object(self, request, slug):
        posts = list(artist_posts(slug)[:FEED_ITEMS])
        if not posts:
            raise Http404("No posts by this artist.")
        return ArtistPosts(slug, posts[0].artist, posts)

    def title(self, artist):
        return f"{SITE_NAME} » {escape(xml_text(artist.name))}"

    def description(self, artist):
        return gettext("Posts about %(artist)s.") % {"artist": escape(xml_text(artist.name))}

    def link(self, artist):
        return reverse("posts:artist", kwargs={"slug": artist.slug})

    def items(self, artist):
        return artist.posts


class ArtistPosts:
    def __init__(self, slug, name, posts):
        self.slug, self.name, self.posts = slug, name, posts


def artist_posts(slug):
    """The published posts of the artist page at slug (Post.artist_slug), newest first."""
    return (
        Post.objects.published().filter(artist_slug=slug).order_by("-published_at", "-id").only(*POST_FIELDS)
    )


class CommentsFeed(CachedFeed):
    """/comments/feed/: the latest approved comments, newest first.

    Queries: the site version, then the comments with their posts (one join).
    Conversation only: pingbacks and trackbacks are not responses.
    """

    def title(self):
        return gettext("Comments for %(site)s") % {"site": SITE_NAME}

    def description(self):
        return gettext("The latest responses, newest first.")

    def link(self):
        return reverse("posts:list")

    def items(self):
        return (
            Comment.objects.approved()
            .conversation()
            .filter(post__published_at__lte=timezone.now())
            .select_related("post")
            .only(*COMMENT_FIELDS, "post__title", "post__slug", "post__published_at")
            .order_by("-created_at", "-id")[:FEED_ITEMS]
        )

    def item_title(self, comment):
        return escape(
            xml_text(
                gettext("Comment on %(title)s by %(name)s")
                % {"title": comment.post.title, "name": comment.name}
            )
        )

    def item_link(self, comment):
        # The stable permalink: it redirects to the right thread page and anchor.
        return comment.get_absolute_url()

    def item_description(self, comment):
        return xml_text(comment.body_html)

    def item_author_name(self, comment):
        return xml_text(comment.name)

    def item_pubdate(self, comment):
        return comment.created_at

    def item_updateddate(self, comment):
        return comment.created_at


class PostCommentsFeed(CommentsFeed):
    """<post permalink>feed/: that post's latest approved comments.

    Queries: the post's versions (the cache key, as for its page), then the
    post and its comments.
    """

    def cache_key(self, request, year, month, slug):
        stamp = stamp_cache.get(slug, Post.objects.page_stamp)
        if stamp is None or permalink_kwargs(stamp.published_at, slug) != {
            "year": year,
            "month": month,
            "slug": slug,
        }:
            raise Http404("No post at this address.")
        return f"feed:post:{stamp.pk}:{stamp.version}", stamp.last_modified

    def get_object(self, request, year, month, slug):
        return Post.objects.published().only(*POST_FIELDS).get(slug=slug)

    def title(self, post):
        return gettext("Comments on: %(title)s") % {"title": escape(xml_text(post.title))}

    def description(self, post):
        return gettext("Responses to “%(title)s”, newest first.") % {"title": escape(xml_text(post.title))}

    def link(self, post):
        return post.get_absolute_url()

    def items(self, post):
        comments = list(
            Comment.objects.approved()
            .conversation()
            .for_post(post)
            .only(*COMMENT_FIELDS, "post_id")
            .order_by("-created_at", "-id")[:FEED_ITEMS]
        )
        for comment in comments:
            comment.post = post  # the titles need it; already loaded
        return comments
