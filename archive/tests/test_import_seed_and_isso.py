"""The saved seed page, Isso's generic JSON, and how formats are told apart."""

import datetime

import pytest

from archive.importers import detect_format
from archive.importers.base import ImportFailed
from archive.models import CommentSource
from archive.tests.files import SEED, failed_import, fixture_path, run_import, shared_file
from comments.models import Comment
from posts.models import Post

pytestmark = pytest.mark.django_db

# The five replies "The archive runs" lists for the seed page (reply: parent).
DEMO_REPLIES = {2: 1, 7: 6, 8: 7, 9: 8, 12: 10}


def replies_by_number():
    number = {c.pk: int(c.original_id) for c in Comment.objects.all()}
    return {number[c.pk]: number[c.parent_id] for c in Comment.objects.filter(parent__isnull=False)}


class TestSeedPage:
    def test_the_page_becomes_the_demo_post(self):
        result = run_import(shared_file(SEED))
        post = Post.objects.get()
        assert post.title == "Miles Davis - Ascenseur pour l'echafaud (1958)"
        assert (post.artist, post.album, post.year) == ("Miles Davis", "Ascenseur pour l'echafaud", 1958)
        assert post.body.startswith("<p>complete sessions from Miles' only film score")
        assert Comment.objects.count() == 13
        names = dict(Comment.objects.values_list("original_id", "name"))
        assert names == {
            "1": "Anonymous",
            "2": "Anonymous",
            "3": "Anonymous",
            "4": "Anonymous",
            "5": "kurt",
            "6": "poetichigh",  # named by how 7 addresses it
            "7": "Anonymous",
            "8": "Anonymous",
            "9": "Anonymous",
            "10": "Anonymous",
            "11": "Anonymous",
            "12": "Anonymous",
            "13": "Feguillerme",  # its signature
        }
        assert replies_by_number() == {}  # a flat page records no reply links
        warnings = "\n".join(result.report.warnings)
        assert "the page says 14 responses; 13 are on it" in warnings
        assert (
            "response 6: the page shows no author; named 'poetichigh' from how response 7 addresses it"
            in warnings
        )

    def test_bodies_keep_their_paragraphs(self):
        run_import(shared_file(SEED))
        six = Comment.objects.get(original_id="6")
        assert six.body.startswith("First off, I'd like to thank you")
        assert "\n\nAs this played through my speakers" in six.body
        assert Comment.objects.get(original_id="13").body.endswith("Thanks!!!\n\n\nFeguillerme")
        assert Comment.objects.get(original_id="2").body.startswith("i believe Tribute to JJ")

    def test_responses_keep_the_page_order(self):
        run_import(shared_file(SEED))
        thread = list(Comment.objects.order_by("path").values_list("original_id", flat=True))
        assert thread == [str(n) for n in range(1, 14)]

    def test_infer_replies_finds_the_one_at_name_reply_the_text_supports(self):
        result = run_import(shared_file(SEED), infer_replies=True)
        # 7 opens with "@poetichigh": inferred. 9's "@ill" names nobody on the
        # page; 2, 8 and 12 answer without naming anyone: not inferable.
        assert replies_by_number() == {7: 6}
        seven = Comment.objects.get(original_id="7")
        assert seven.reply_inferred
        assert seven.sources.get().parent_origin == CommentSource.ParentOrigin.AT_NAME
        assert seven.sources.get().inferred_from == "@poetichigh"
        assert result.report.counts["replies_at_name"] == 1
        assert any("comment 9: @ill names no earlier commenter" in w for w in result.report.warnings)

    def test_the_archivist_states_the_rest(self):
        run_import(shared_file(SEED), infer_replies=True, replies={2: 1, 8: 7, 9: 8, 12: 10})
        assert replies_by_number() == DEMO_REPLIES
        origins = dict(
            CommentSource.objects.filter(comment__parent__isnull=False).values_list(
                "original_id", "parent_origin"
            )
        )
        assert origins == {"2": "stated", "7": "at_name", "8": "stated", "9": "stated", "12": "stated"}
        assert Comment.objects.filter(parent__isnull=False, reply_inferred=False).count() == 0
        assert Comment.objects.get(original_id="9").depth == 4  # 6 -> 7 -> 8 -> 9

    def test_replies_only_for_saved_pages_and_only_to_earlier_responses(self):
        from archive.importers.seed import parse_replies

        with pytest.raises(ImportFailed, match="only answer an earlier one"):
            parse_replies("2=3")
        with pytest.raises(ImportFailed, match="REPLY=PARENT"):
            parse_replies("two=one")
        result = failed_import(fixture_path("isso-generic.json"), replies={2: 1})
        assert "--replies applies to saved post pages" in result.error
        result = failed_import(shared_file(SEED), replies={40: 1})
        assert "response 40 is not on the page" in result.error
        assert not Post.objects.exists()

    def test_importing_again_changes_nothing(self):
        run_import(shared_file(SEED), infer_replies=True)
        again = run_import(shared_file(SEED), infer_replies=True)
        assert again.report.counts["posts_existing"] == 1
        assert again.report.counts["comments_existing"] == 13
        assert again.report.counts.get("comments_created", 0) == 0
        assert Comment.objects.count() == 13


class TestIssoGeneric:
    def test_threads_and_comments(self):
        result = run_import("isso-generic.json")
        assert result.format == "isso"
        assert set(Post.objects.values_list("title", flat=True)) == {"Test post", "Nat & Miguel"}
        assert Comment.objects.count() == 2
        crazy = Comment.objects.get(name="Richard Crinshaw")
        assert crazy.body == "Ja-make-a me crazzy mon :)"
        assert crazy.created_at == datetime.datetime(2005, 5, 8, 6, 50, 26, tzinfo=datetime.UTC)
        assert any("Isso dates carry no time zone" in w for w in result.report.warnings)

    def test_timezone_option_converts_local_times(self):
        import zoneinfo

        run_import("isso-generic.json", time_zone=zoneinfo.ZoneInfo("Europe/Paris"))
        crazy = Comment.objects.get(name="Richard Crinshaw")
        assert crazy.created_at == datetime.datetime(2005, 5, 8, 4, 50, 26, tzinfo=datetime.UTC)

    def test_importing_again_changes_nothing(self):
        run_import("isso-generic.json")
        again = run_import("isso-generic.json")
        assert again.report.counts["comments_existing"] == 2
        assert Comment.objects.count() == 2


class TestDetection:
    @pytest.mark.parametrize(
        "name, expected",
        [
            ("wordpress-theme-unit-test.xml", "wxr"),
            ("isso-wordpress.xml", "wxr"),
            ("wordpress-importer-a11y-unit-test-data.xml", "wxr"),
            ("wxr-mythz-blog-2014.xml", "wxr"),
            ("disqus-tanglei-2016.xml", "disqus"),
            ("disqus-yesilmavihayat-2023.xml", "disqus"),
            ("isso-disqus.xml", "disqus"),
            ("isso-generic.json", "isso"),
        ],
    )
    def test_every_fixture(self, name, expected):
        assert detect_format(fixture_path(name).read_bytes()[:65536]) == expected

    def test_the_seed_page(self):
        assert detect_format(shared_file(SEED).read_bytes()) == "seed"

    @pytest.mark.parametrize(
        "head, message",
        [
            (b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'/>", "neither WXR nor Disqus"),
            (b"<rss version='2.0'><channel/></rss>", "without WordPress's export namespace"),
            (b"just some words", "cannot tell the format"),
            (b"", "cannot tell the format"),
        ],
    )
    def test_unknown_files_are_named_as_such(self, head, message):
        with pytest.raises(ImportFailed, match=message):
            detect_format(head)
