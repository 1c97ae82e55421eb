"""Old links keep working: 301s from the old blog's addresses, never a query on normal pages."""

import datetime

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from archive.models import PostSource
from archive.redirects import legacy_redirect
from archive.tests.files import run_import
from comments.models import Comment
from conftest import make_comment, make_post
from posts.models import Post

pytestmark = pytest.mark.django_db

TEMPLATE_COMMENTS = "/2012/01/template-comments/"


@pytest.fixture
def theme_unit_test(db):
    run_import("wordpress-theme-unit-test.xml")


def location(response):
    assert response.status_code == 301, response.status_code
    return response["Location"]


class TestOldPermalinks:
    def test_the_old_permalink_path(self, client, theme_unit_test, django_assert_num_queries):
        # 1. old permalinks among the source records (with their posts)
        with django_assert_num_queries(1):
            response = client.get("/2012/01/03/template-comments/")
        assert location(response) == TEMPLATE_COMMENTS
        assert client.get(TEMPLATE_COMMENTS).status_code == 200

    def test_without_the_trailing_slash_and_percent_encoded(self, client, db):
        run_import("wxr-mythz-blog-2014.xml")
        post = Post.objects.get(sources__original_id="747")
        assert location(client.get("/mythz_blog/?p=747")) == post.get_absolute_url()
        assert location(client.get("/mythz_blog?p=747")) == post.get_absolute_url()
        about = Post.objects.get(sources__original_id="748")
        assert location(client.get("/mythz_blog/?page_id=748")) == about.get_absolute_url()

    def test_comment_pages(self, client, theme_unit_test):
        assert location(client.get("/2012/01/03/template-comments/comment-page-2/")) == TEMPLATE_COMMENTS
        assert location(client.get("/2012/01/03/template-comments/comment-page-2")) == TEMPLATE_COMMENTS

    def test_replytocom_with_the_old_comment_id(self, client, theme_unit_test):
        comment = Comment.objects.get(original_id="881")
        target = location(client.get("/2012/01/03/template-comments/?replytocom=881"))
        assert target.endswith(f"?replytocom={comment.pk}#respond")
        assert target.startswith(TEMPLATE_COMMENTS)

    def test_archives_and_index_php(self, client, theme_unit_test, django_assert_num_queries):
        assert location(client.get("/archives/1148")) == TEMPLATE_COMMENTS
        assert location(client.get("/archives/1148/")) == TEMPLATE_COMMENTS
        assert location(client.get("/index.php?p=1148")) == TEMPLATE_COMMENTS
        assert client.get("/archives/999999").status_code == 404

    def test_unknown_addresses_are_not_found(self, client, theme_unit_test, django_assert_num_queries):
        # 1. old permalinks (none)
        with django_assert_num_queries(1):
            response = client.get("/2099/01/01/no-such-post/")
        assert response.status_code == 404
        assert b"Not found" in response.content

    def test_posts_not_yet_published_are_not_revealed(self, client, db):
        post = make_post(title="Later", published_at=timezone.now() + datetime.timedelta(days=3))
        PostSource.objects.create(
            post=post, site="old.example", key="5", original_id="5", original_url="/old/later/"
        )
        assert client.get("/old/later/").status_code == 404
        assert client.get("/archives/5").status_code == 404

    def test_posts_are_not_redirected(self, client, theme_unit_test):
        assert client.post("/2012/01/03/template-comments/").status_code == 404

    @pytest.mark.parametrize(
        "address",
        [
            "/foo%00bar/",
            "/?p=1%00",
            "/archives/99999999999999999999999",
            "/index.php?p=99999999999999999999999999",
            "/2012/01/03/template-comments/?replytocom=%00",
            "/2012/01/03/template-comments/?replytocom=99999999999999999999999",
            "/" + "x" * 5000 + "/",
        ],
    )
    def test_hostile_addresses_never_fail(self, client, theme_unit_test, address):
        assert client.get(address).status_code in (301, 404, 200)


class TestLegacyRedirect:
    """archive.redirects.legacy_redirect, for the home page's ?p= and ?page_id=."""

    def test_no_query_without_an_old_id(self, theme_unit_test, django_assert_num_queries):
        factory = RequestFactory()
        with django_assert_num_queries(0):
            assert legacy_redirect(factory.get("/")) is None
            assert legacy_redirect(factory.get("/?page=2")) is None
            assert legacy_redirect(factory.get("/?p=abc")) is None

    def test_old_post_and_page_ids(self, theme_unit_test, django_assert_num_queries):
        factory = RequestFactory()
        # 1. the source records with that id (with their posts)
        with django_assert_num_queries(1):
            assert location(legacy_redirect(factory.get("/?p=1148"))) == TEMPLATE_COMMENTS
        page = Post.objects.get(sources__original_id="155")
        assert location(legacy_redirect(factory.get("/?page_id=155"))) == page.get_absolute_url()
        with django_assert_num_queries(1):
            assert legacy_redirect(factory.get("/?p=424242")) is None

    def test_the_blog_at_this_host_wins_when_ids_collide(self, db, settings):
        # The old blog's domain now points at the archive.
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "wpthemetestdata.wordpress.com"]
        run_import("wordpress-theme-unit-test.xml")
        other = make_post(title="Other blog's 1148")
        PostSource.objects.create(post=other, site="elsewhere.example", key="1148", original_id="1148")
        factory = RequestFactory()
        request = factory.get("/?p=1148", HTTP_HOST="wpthemetestdata.wordpress.com")
        assert location(legacy_redirect(request)) == TEMPLATE_COMMENTS
        assert location(legacy_redirect(factory.get("/?p=1148"))) == other.get_absolute_url()

    def test_disqus_wordpress_identifiers(self, db):
        run_import("disqus-tanglei-2016.xml")
        source = PostSource.objects.exclude(original_id="").first()
        request = RequestFactory().get(f"/?p={source.original_id}")
        assert (
            location(legacy_redirect(request))
            == PostSource.objects.filter(original_id=source.original_id)
            .order_by("-id")
            .first()
            .post.get_absolute_url()
        )


def test_normal_pages_never_touch_the_archive_tables(client, theme_unit_test):
    post = make_post()
    make_comment(post)
    for address in ["/", post.get_absolute_url(), TEMPLATE_COMMENTS]:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(address).status_code == 200
        assert not [q["sql"] for q in queries if "archive_" in q["sql"]]
