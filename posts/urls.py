from django.urls import path, register_converter

from posts import feeds, machine, post_page, views


class FourDigitYear:
    regex = "[1-9][0-9]{3}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{value:04d}"


class TwoDigitMonth:
    regex = "0[1-9]|1[0-2]"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{value:02d}"


class PageNumber:
    # Bounded, so a huge number is a 404 rather than an overflow.
    regex = "[1-9][0-9]{0,5}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


class DatabaseId:
    # A bigint at most, so an absurd id is a 404, not a database error.
    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


class UnicodeSlug:
    # Any letters, not just ASCII ("échafaud"), but no slash and no control
    # character (PostgreSQL refuses NUL), and no longer than the field.
    regex = "[^/\x00-\x1f\x7f]{1,200}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(FourDigitYear, "yyyy")
register_converter(UnicodeSlug, "uslug")
register_converter(DatabaseId, "id")
register_converter(TwoDigitMonth, "mm")
register_converter(PageNumber, "page")

app_name = "posts"
urlpatterns = [
    path("", views.post_list, name="list"),
    path("<yyyy:year>/", views.archive_year, name="year"),
    path("<yyyy:year>/<mm:month>/", views.archive_month, name="month"),
    path("<yyyy:year>/<mm:month>/<uslug:slug>/", post_page.post_detail, name="detail"),
    # WordPress's address for later pages of a long thread.
    path(
        "<yyyy:year>/<mm:month>/<uslug:slug>/comment-page-<page:page>/",
        post_page.post_detail,
        name="comments_page",
    ),
    # Feeds and machine formats (posts/feeds.py, posts/machine.py). The uslug
    # converter stops at "/", so these never reach the permalink route above.
    path("<yyyy:year>/<mm:month>/<uslug:slug>/feed/", feeds.PostCommentsFeed(), name="post_comments_feed"),
    path("<yyyy:year>/<mm:month>/<uslug:slug>/comments.json", machine.comments_json, name="comments_json"),
    path(
        "<yyyy:year>/<mm:month>/<uslug:slug>/comment-page-<page:page>/comments.json",
        machine.comments_json,
        name="comments_json_page",
    ),
    path("feed/", feeds.PostsFeed(), name="feed"),
    path("comments/feed/", feeds.CommentsFeed(), name="comments_feed"),
    path("artists/<uslug:slug>/feed/", feeds.ArtistFeed(), name="artist_feed"),
    path("sitemap.xml", machine.sitemap_index, name="sitemap"),
    path("sitemap-<slug:section>.xml", machine.sitemap_section, name="sitemap_section"),
    path("robots.txt", machine.robots_txt, name="robots"),
    path("comments/<id:comment_id>/", views.comment_permalink, name="comment"),
    path(
        "comments/by-original-id/<id:post_id>/<str:original_id>/",
        views.comment_by_original_id,
        name="comment_by_original_id",
    ),
    path("artists/", views.artist_list, name="artists"),
    path("artists/<uslug:slug>/", views.artist_detail, name="artist"),
    path("tags/<uslug:slug>/", views.tag_detail, name="tag"),
]
