"""WordPress exports: every fixture imports with the counts SOURCES.md gives."""

import datetime
from collections import Counter

import pytest
from django.db.models import Count

from archive.models import CommentSource, ImportRun, PostSource
from archive.tests.files import run_import
from comments.models import Comment
from posts.models import Post

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def comment(original_id, **filters):
    return Comment.objects.get(original_id=str(original_id), **filters)


def depth_histogram():
    return dict(Counter(Comment.objects.values_list("depth", flat=True)))


def chain_of(leaf):
    """Original ids from the thread's root down to this comment."""
    ids = []
    node = leaf
    while node is not None:
        ids.append(node.original_id)
        node = node.parent
    return ids[::-1]


class TestThemeUnitTest:
    """wordpress-theme-unit-test.xml: WXR 1.2 with https namespaces."""

    @pytest.fixture
    def result(self, db):
        return run_import("wordpress-theme-unit-test.xml")

    def test_posts_and_pages_imported_other_items_counted_and_skipped(self, result):
        report = result.report
        assert result.site == "wpthemetestdata.wordpress.com"
        # 58 posts (one a draft) and 21 pages; 70 menu items and 37 attachments skipped.
        assert report.types == {"post": 57, "page": 21}
        assert Post.objects.count() == 78
        assert report.skipped == {
            "nav_menu_item items": 70,
            "attachment items": 37,
            "draft posts (not published)": 1,
        }
        assert report.counts["posts_with_comments"] == 7

    def test_comment_counts_statuses_and_kinds(self, result):
        assert Comment.objects.count() == 33
        per_post = dict(
            PostSource.objects.filter(post__comments__isnull=False)
            .values_list("original_id")
            .annotate(n=Count("post__comments"))
        )
        assert per_post == {"1148": 20, "1149": 5, "155": 4, "51": 1, "703": 1, "1168": 1, "1170": 1}
        assert result.report.statuses == {"approved": 30, "pending": 3}
        assert result.report.kinds == {"comment": 29, "pingback": 2, "trackback": 2}
        assert Comment.objects.filter(kind="pingback").count() == 2
        assert Comment.objects.filter(kind="trackback").count() == 2

    def test_threads_ten_deep(self, result):
        assert result.report.counts["replies"] == 10
        assert Comment.objects.filter(parent__isnull=False).count() == 10
        assert depth_histogram() == {1: 23, 2: 2, **dict.fromkeys(range(3, 11), 1)}
        deepest = comment(915)
        assert deepest.depth == 10
        assert chain_of(deepest) == ["904", "905", "906", "907", "910", "911", "912", "913", "914", "915"]
        # The thread trigger's path matches the chain.
        assert len(deepest.path) == 10

    def test_pending_reply_to_an_approved_comment(self, result):
        reply = comment(1017)
        assert reply.status == Comment.Status.PENDING
        assert reply.parent.original_id == "168"
        assert reply.parent.status == Comment.Status.APPROVED

    def test_greek_names_and_text_kept(self, result):
        greek = comment(881)
        assert greek.name == "John Γιάννης Doe Κάποιος"
        assert comment(918).body.endswith("Σίγουρα θα σχολιάσουμε τα τεστς!")

    def test_pingback_names_unescaped_and_long_names_kept_whole_in_the_source(self, result):
        assert comment(924).name == "Ping 3 « What’s a tellyworth?"
        ping = comment(922)  # "Ping 2 with a much longer title ...": 112 characters
        assert len(ping.name) == 100
        assert ping.name.endswith("…")
        whole = ping.sources.get().extra["name"]
        assert whole.startswith("Ping 2 with a much longer title") and whole.endswith("What’s a tellyworth?")
        assert ping.kind == Comment.Kind.TRACKBACK

    def test_cdata_wrapped_values(self, result):
        # comment_approved <![CDATA[1]]> and comment_type <![CDATA[comment]]>.
        assert comment(2).status == Comment.Status.APPROVED
        assert comment(2).kind == Comment.Kind.COMMENT

    def test_gmt_dates_preferred_over_inconsistent_local_times(self, result):
        assert comment(881).created_at == datetime.datetime(2012, 9, 3, 17, 18, 4, tzinfo=UTC)
        post = Post.objects.get(sources__original_id="1148")
        assert post.published_at == datetime.datetime(2012, 1, 3, 17, 11, 37, tzinfo=UTC)
        assert post.get_absolute_url() == "/2012/01/template-comments/"

    def test_comment_html_becomes_the_text_a_reader_saw(self, result):
        anonymous = comment(899)
        assert anonymous.body.startswith("This user it trying to be anonymous.\n\nThey used a fake email")
        # The link stays a link (an allowed tag), its words and address as written.
        assert '<a href="https://gravatar.com/' in anonymous.body
        assert '">Gravatar</a> associated with it.' in anonymous.body
        # What was more than text is kept in the source record.
        assert "<h1>Header one</h1>" in comment(881).sources.get().extra["html"]
        assert "<p>" in comment(881).body_html

    def test_post_fields(self, result):
        post = Post.objects.get(sources__original_id="1148")
        assert post.title == "Template: Comments"
        assert post.slug == "template-comments"
        assert post.comments_open
        assert "Threaded comments up to 10 levels deep" in post.body
        closed = Post.objects.get(sources__original_id="1149")
        assert not closed.comments_open
        source = post.sources.get()
        assert source.original_url == "https://wpthemetestdata.wordpress.com/2012/01/03/template-comments/"
        assert source.author == "Theme Buster"
        assert {"domain": "post_tag", "slug": "template", "name": "template"} in source.categories

    def test_password_protected_post_is_flagged_and_reported(self, result):
        source = PostSource.objects.get(original_id="1168")
        assert source.extra["password_protected"] is True
        assert "enter" not in str(source.extra)
        assert any("password-protected" in warning for warning in result.report.warnings)

    def test_the_run_is_recorded(self, result):
        run = ImportRun.objects.get()
        assert run.status == ImportRun.Status.SUCCEEDED
        assert run.file_name == "wordpress-theme-unit-test.xml"
        assert run.format == "wxr"
        assert run.counts["comments_created"] == 33
        assert run.counts["max_depth"] == 10
        assert CommentSource.objects.filter(run=run).count() == 33


class TestDamagedA11yFile:
    """wordpress-importer-a11y-unit-test-data.xml: stripped items, wp:wp_author, a duplicated post id."""

    @pytest.fixture
    def result(self, db):
        return run_import("wordpress-importer-a11y-unit-test-data.xml")

    def test_everything_recoverable_is_imported(self, result):
        assert Comment.objects.count() == 29
        assert result.report.counts["posts_with_comments"] == 5
        assert result.report.kinds == {"comment": 25, "pingback": 4}
        assert max(depth_histogram()) == 10
        assert chain_of(comment(915))[0] == "904"
        # Both items that share post id 156 are kept.
        assert set(Post.objects.filter(sources__original_id="156").values_list("title", flat=True)) == {
            "Page with comments",
            "Page with comments disabled",
        }
        assert result.report.skipped == {
            "nav_menu_item items": 50,
            "attachment items": 39,
            "draft posts (not published)": 1,
        }

    def test_the_stripped_comment_is_held_and_reported(self, result):
        stripped = comment(167)
        assert stripped.name == "Anon"
        assert stripped.body == "Anonymous comment."
        assert stripped.status == Comment.Status.PENDING
        assert stripped.parent is None
        # No date: dated by its page, itself undated, so by the page's first dated comment.
        assert stripped.created_at == comment(168).created_at
        warnings = "\n".join(result.report.warnings)
        assert "comment 167: the file gives no approval status; imported as pending" in warnings
        assert "comment 167: no date; dated by its post" in warnings
        assert "another item in the file has post id 156; both kept" in warnings

    def test_pretty_printed_values_are_trimmed_and_entities_unescaped(self, result):
        long_ping = Comment.objects.filter(kind="pingback", name__startswith="Ping 2").get()
        assert not long_ping.name.startswith((" ", "\n"))
        assert "« What’s a tellyworth?" in long_ping.sources.get().extra["name"]

    def test_author_block_named_wp_author(self, result):
        # <wp:wp_author> maps the login a11yteam to its display name.
        assert PostSource.objects.get(original_id="1148").author == "Accessibility Tester"


class TestMythzBlog:
    """wxr-mythz-blog-2014.xml: WXR 1.1 from a real blog (scrubbed)."""

    @pytest.fixture
    def result(self, db):
        return run_import("wxr-mythz-blog-2014.xml")

    def test_counts(self, result):
        assert result.site == "mono.servicestack.net/mythz_blog"
        assert Comment.objects.count() == 91
        assert result.report.counts["posts_with_comments"] == 14
        assert result.report.kinds == {"comment": 72, "pingback": 19}
        assert result.report.statuses == {"approved": 91}
        assert result.report.counts["replies"] == 16
        assert max(depth_histogram()) == 2
        assert result.report.types == {"post": 26, "page": 2}
        assert result.report.skipped == {"attachment items": 52, "draft posts (not published)": 3}
        assert Post.objects.get(sources__original_id="748").comments.count() == 10

    def test_escaped_pingback_titles_and_chinese_names(self, result):
        assert Comment.objects.filter(name="Redis Web界面管理工具 : NoSQLfan", kind="pingback").exists()
        names = Comment.objects.filter(kind="pingback").values_list("name", flat=True)
        assert not any("&raquo;" in name or "&#8211;" in name for name in names)
        assert any("»" in name for name in names)

    def test_local_times_converted_by_their_gmt_pair(self, result):
        hello = Comment.objects.get(name="Mr WordPress")
        assert hello.created_at == datetime.datetime(2009, 7, 29, 14, 4, 5, tzinfo=UTC)
        assert hello.body.startswith(
            "Hi, this is a comment.\nTo delete a comment, just log in and view the post's"
        )

    def test_ips_kept_without_printing_them(self, result):
        assert Comment.objects.filter(ip_address__isnull=False).values("ip_address").distinct().count() == 2
        assert Comment.objects.filter(ip_address__isnull=True).count() == 1


class TestIssoWordPress:
    """isso-wordpress.xml: WXR 1.0, partial."""

    @pytest.fixture
    def result(self, db):
        return run_import("isso-wordpress.xml")

    def test_counts_and_depth(self, result):
        assert Comment.objects.count() == 8
        assert result.report.counts["posts_with_comments"] == 2
        assert result.report.statuses == {"approved": 8}
        assert max(depth_histogram()) == 3
        assert comment(8).depth == 3 and comment(9).depth == 3

    def test_comment_ids_are_unique_per_post_only(self, result):
        assert Comment.objects.filter(original_id="11").count() == 2
        assert Comment.objects.filter(original_id="11").values("post").distinct().count() == 2

    def test_gmt_only_comment_and_trimmed_fields(self, result):
        drolf = comment(7)
        assert drolf.body == "Drölfter!"
        assert drolf.created_at == datetime.datetime(2014, 4, 29, 15, 21, 35, tzinfo=UTC)
        assert drolf.email.endswith("posativ.org")  # the trailing newline and spaces are gone
        assert drolf.email == drolf.email.strip()
        assert str(drolf.ip_address).startswith("::ffff:")

    def test_query_string_permalinks_kept(self, result):
        assert PostSource.objects.filter(original_url="http://example.tld/?p=4").exists()
        assert comment(10).body.count("\n") >= 1
