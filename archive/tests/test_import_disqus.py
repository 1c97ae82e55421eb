"""Disqus exports: old style (tanglei), modern (yesilmavihayat), hand-made (Isso's)."""

import datetime
from collections import Counter

import pytest

from archive.models import CommentSource, PostSource
from archive.tests.files import run_import
from comments.models import Comment
from posts.models import Post

pytestmark = pytest.mark.django_db


class TestTanglei:
    """disqus-tanglei-2016.xml: 569 threads, 2,693 posts, <id> repeated, titles escaped 2-3 times."""

    @pytest.fixture
    def result(self, db):
        return run_import("disqus-tanglei-2016.xml")

    def test_counts(self, result):
        assert result.site == "disqus:hexo-tanglei"
        assert Comment.objects.count() == 2693
        assert result.report.counts["disqus_threads"] == 569
        assert Post.objects.count() == 340
        assert result.report.skipped == {"Disqus threads without comments": 229}
        # Only dsq:id is unique: every post kept, though 1,700 <id> values repeat.
        assert CommentSource.objects.values("key").distinct().count() == 2693

    def test_threading(self, result):
        assert Comment.objects.filter(parent__isnull=False).count() == 439
        assert dict(Counter(Comment.objects.values_list("depth", flat=True))) == {
            1: 2254,
            2: 348,
            3: 51,
            4: 25,
            5: 10,
            6: 5,
        }

    def test_deleted_and_spam(self, result):
        assert result.report.statuses == {"approved": 2687, "removed": 6}
        removed = Comment.objects.filter(status=Comment.Status.REMOVED)
        # Deleted spam keeps its text and author.
        assert all(c.body and c.name for c in removed)

    def test_titles_unescaped_repeatedly(self, result):
        titles = list(Post.objects.values_list("title", flat=True))
        assert not any("&amp;" in t or "&#" in t for t in titles)

    def test_comment_fields(self, result):
        sofa = Comment.objects.filter(sources__original_id="2521126011").get()
        assert sofa.body == "前来围观 真正的沙发"
        assert sofa.name == "代码疯子"
        assert sofa.created_at == datetime.datetime(2010, 12, 5, 21, 24, 25, tzinfo=datetime.UTC)
        assert sofa.original_id == "2521126011"  # Disqus anchors are #comment-<dsq:id>
        assert sofa.sources.get().extra == {"id": "wp_id=2", "anonymous": True}

    def test_wordpress_style_identifiers_give_old_post_ids(self, result):
        source = PostSource.objects.filter(extra__identifier__startswith="198 ").first()
        if source is not None:  # the thread may have no comments
            assert source.original_id == "198"
        assert PostSource.objects.exclude(original_id="").exists()


class TestYesilmavihayat:
    """disqus-yesilmavihayat-2023.xml: modern export, no e-mails or IPs, emoji."""

    @pytest.fixture
    def result(self, db):
        return run_import("disqus-yesilmavihayat-2023.xml")

    def test_counts(self, result):
        assert Post.objects.count() == 1
        assert Comment.objects.count() == 51
        assert result.report.statuses == {"approved": 49, "removed": 2}
        assert result.report.depths == {1: 51}
        assert not Comment.objects.exclude(email="").exists()
        assert not Comment.objects.filter(ip_address__isnull=False).exists()
        assert Post.objects.get().title == "Yeşil Mavi Hayat"

    def test_emoji_outside_the_basic_plane_kept(self, result):
        thanks = Comment.objects.get(sources__original_id="6245632673")
        assert thanks.name == "Meltem Soğuk Stropoli"
        assert thanks.body.endswith("teşekkür ederim🙏")
        assert "🙏" in thanks.body_html
        emoji = sum(
            1 for body in Comment.objects.values_list("body", flat=True) for ch in body if ord(ch) > 0xFFFF
        )
        assert emoji >= 16

    def test_deleted_posts_keep_their_text(self, result):
        deleted = Comment.objects.get(sources__original_id="6245541247")
        assert deleted.status == Comment.Status.REMOVED
        assert deleted.body == "Deneme"


class TestIssoDisqus:
    """isso-disqus.xml: empty ids and titles, an orphan, a reply to a deleted post."""

    @pytest.fixture
    def result(self, db):
        return run_import("isso-disqus.xml")

    def test_counts_and_the_orphan(self, result):
        # 6 posts: the one whose thread (1337) does not exist has nowhere to go, and says so.
        assert Comment.objects.count() == 5
        assert result.report.skipped == {
            "comments whose thread is not in the file": 1,
            "Disqus threads without comments": 1,
        }
        assert any("Disqus thread 1337: not in the file" in w for w in result.report.warnings)
        assert max(result.report.depths) == 2

    def test_reply_to_a_deleted_post(self, result):
        deleted = Comment.objects.get(original_id="9")
        assert deleted.status == Comment.Status.REMOVED
        assert deleted.body == ""
        reply = Comment.objects.get(original_id="11")
        assert reply.parent == deleted
        assert reply.status == Comment.Status.APPROVED
        assert reply.body == "Hello, World."

    def test_thread_with_empty_title_is_named_by_its_link(self, result):
        post = Post.objects.get(sources__key="7")
        assert post.title == "blog/2013/02/12/redacted/index.html"
        assert post.sources.get().original_url == "http://localhost:4000/blog/2013/02/12/redacted/index.html"
