"""Import rules on small hand-written files: safety, all-or-nothing, idempotency,
dates, statuses, parents, @name inference, text cleaning."""

import datetime
import json
import zoneinfo

import pytest

from archive import writer
from archive.models import CommentSource, ImportRun
from archive.tests.files import failed_import, fixture_path, run_import
from comments.models import Comment
from conftest import make_post
from posts.models import Post

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def wxr_comment(
    comment_id,
    *,
    parent=0,
    author="Reader",
    content="Hello.",
    approved="1",
    kind="",
    gmt=None,
    local=None,
    extra="",
):
    gmt_xml = f"<wp:comment_date_gmt>{gmt}</wp:comment_date_gmt>" if gmt is not None else ""
    local_xml = f"<wp:comment_date>{local}</wp:comment_date>" if local is not None else ""
    return (
        f"<wp:comment><wp:comment_id>{comment_id}</wp:comment_id>"
        f"<wp:comment_author><![CDATA[{author}]]></wp:comment_author>"
        f"<wp:comment_author_email>reader{comment_id}@example.com</wp:comment_author_email>"
        f"{local_xml}{gmt_xml}"
        f"<wp:comment_content><![CDATA[{content}]]></wp:comment_content>"
        f"<wp:comment_approved>{approved}</wp:comment_approved><wp:comment_type>{kind}</wp:comment_type>"
        f"<wp:comment_parent>{parent}</wp:comment_parent>{extra}</wp:comment>"
    )


def wxr_item(
    post_id,
    comments=(),
    *,
    title=None,
    gmt="2009-05-12 20:00:00",
    local="2009-05-12 22:00:00",
    status="publish",
    post_type="post",
    name=None,
):
    title = title or f"Artist {post_id} - Album {post_id} (1958)"
    return (
        f"<item><title>{title}</title><link>http://old.example/2009/05/post-{post_id}/</link>"
        f"<content:encoded><![CDATA[<p>Post {post_id}.</p>]]></content:encoded>"
        f"<wp:post_id>{post_id}</wp:post_id><wp:post_date>{local}</wp:post_date>"
        f"<wp:post_date_gmt>{gmt}</wp:post_date_gmt><wp:comment_status>open</wp:comment_status>"
        f"<wp:post_name>{name or f'post-{post_id}'}</wp:post_name><wp:status>{status}</wp:status>"
        f"<wp:post_type>{post_type}</wp:post_type>{''.join(comments)}</item>"
    )


def wxr(*items, prolog=""):
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:wp="http://wordpress.org/export/1.1/"><channel><title>Old blog</title>'
        "<link>http://old.example</link><wp:base_blog_url>http://old.example</wp:base_blog_url>\n"
        + "\n".join(items)
        + "\n</channel></rss>\n"
    )


@pytest.fixture
def write(tmp_path):
    def write(text, name="export.xml"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def nothing_written():
    return not Post.objects.exists() and not Comment.objects.exists() and not CommentSource.objects.exists()


class TestHostileAndBrokenFiles:
    def test_billion_laughs_is_refused_and_nothing_written(self, write):
        entities = (
            '<!DOCTYPE rss [<!ENTITY lol "lol">'
            + "".join(
                f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">'
                for n in range(1, 10)
            )
            + "]>"
        )
        path = write(wxr(wxr_item(1, [wxr_comment(1, content="&lol9;")]), prolog=entities))
        result = failed_import(path)
        assert "refused: the file declares the XML entity 'lol'" in result.error
        assert nothing_written()
        run = ImportRun.objects.get()
        assert run.status == ImportRun.Status.FAILED and run.error == result.error

    def test_external_entity_is_refused(self, write):
        prolog = '<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
        path = write(wxr(wxr_item(1, [wxr_comment(1, content="&secret;")]), prolog=prolog))
        result = failed_import(path)
        assert result.error.startswith("refused:")
        assert nothing_written()

    def test_malformed_xml_names_line_and_column(self, write):
        path = write(wxr(wxr_item(1, [wxr_comment(1)]), "<item><title>Broken</titel></item>"))
        result = failed_import(path)
        assert result.error == "not well-formed XML at line 4, column 22: mismatched tag."
        assert nothing_written()

    def test_invalid_utf8_names_line_and_column(self, write, tmp_path):
        path = tmp_path / "latin1.xml"
        path.write_bytes(wxr(wxr_item(1, [wxr_comment(1, content="caf\u00e9")])).encode("latin-1"))
        result = failed_import(path)
        assert result.error.startswith("not well-formed XML at line 3, column")
        assert nothing_written()

    def test_truncated_file_writes_nothing_even_after_batches_were_written(self, write, monkeypatch):
        # Flush after every item, so the first posts are in the database
        # (inside the transaction) when the truncation is reached.
        monkeypatch.setattr(writer, "COMMENT_BATCH", 1)
        text = wxr(*(wxr_item(n, [wxr_comment(n)]) for n in range(1, 6)))
        path = write(text[: text.index("<item><title>Artist 5")] + "<item><title>Art")
        result = failed_import(path)
        assert result.error.startswith("not well-formed XML at line")
        assert "unclosed token" in result.error or "no element found" in result.error
        assert nothing_written()

    def test_a_real_file_cut_in_half(self, tmp_path):
        data = fixture_path("wordpress-theme-unit-test.xml").read_bytes()
        path = tmp_path / "half.xml"
        path.write_bytes(data[: len(data) // 2])
        result = failed_import(path)
        assert "line" in result.error and "column" in result.error
        assert nothing_written()

    def test_missing_file(self, tmp_path):
        result = failed_import(tmp_path / "nope.xml")
        assert result.error.startswith("cannot read the file")

    def test_deeply_nested_json(self, write):
        result = failed_import(write("[" * 100_000 + "]" * 100_000, "deep.json"))
        assert result.error == "the file is nested too deeply to read."
        assert nothing_written()

    def test_our_json_with_wrong_values(self, write):
        post = {
            "id": 1,
            "title": "T",
            "slug": "t",
            "published_at": "2009-01-01T00:00:00+00:00",
            "comments": [],
        }
        header = {"format": "wflm-archive", "version": 1, "site": "x"}
        bad_status = {**post, "comments": [{"id": 1, "name": "A", "status": "lost", "created_at": None}]}
        result = failed_import(write(json.dumps({**header, "posts": [bad_status]}), "a.json"))
        assert (
            result.error == "post 1, comment 1: status 'lost' is not one of pending, approved, spam, removed."
        )
        result = failed_import(write(json.dumps({**header, "posts": [{**post, "year": "abc"}]}), "b.json"))
        assert result.error == "post 1: year 'abc' is not a year."
        result = failed_import(
            write(json.dumps({**header, "posts": [{**post, "published_at": "soon"}]}), "c.json")
        )
        assert result.error == "post 1: 'soon' is not an ISO 8601 date."
        assert nothing_written()

    def test_malformed_json(self, write):
        result = failed_import(write('{"format": "wflm-archive", "version": 1, "posts": [', "x.json"))
        assert result.error.startswith("not valid JSON at line 1, column")
        assert nothing_written()


class TestDryRunAndIdempotency:
    def test_dry_run_reports_and_writes_nothing(self, write):
        path = write(wxr(wxr_item(1, [wxr_comment(1), wxr_comment(2, parent=1)])))
        result = run_import(path, dry_run=True)
        assert result.report.counts["comments_created"] == 2
        assert result.report.counts["replies"] == 1
        assert nothing_written()
        assert not ImportRun.objects.exists()

    def test_same_file_twice_changes_nothing(self, write):
        path = write(wxr(wxr_item(1, [wxr_comment(1), wxr_comment(2, parent=1)])))
        run_import(path)
        before = list(Comment.objects.values_list("id", "name", "body", "parent_id", "status", "created_at"))
        again = run_import(path)
        assert again.report.counts["posts_existing"] == 1
        assert again.report.counts["comments_existing"] == 2
        assert (
            list(Comment.objects.values_list("id", "name", "body", "parent_id", "status", "created_at"))
            == before
        )

    def test_a_newer_export_adds_only_what_is_new(self, write):
        run_import(write(wxr(wxr_item(1, [wxr_comment(1, author="Ann")])), "old.xml"))
        newer = wxr(
            wxr_item(1, [wxr_comment(1, author="Ann"), wxr_comment(2, parent=1, author="Bob")]),
            wxr_item(2, [wxr_comment(3)]),
        )
        result = run_import(write(newer, "new.xml"))
        assert result.report.counts["posts_created"] == 1
        assert result.report.counts["posts_existing"] == 1
        assert result.report.counts["comments_created"] == 2
        assert result.report.counts["comments_existing"] == 1
        bob = Comment.objects.get(name="Bob")
        assert bob.parent == Comment.objects.get(name="Ann")
        assert bob.depth == 2

    def test_the_site_url_option_names_the_source(self, write):
        path = write(wxr(wxr_item(1, [wxr_comment(1)])))
        run_import(path, site_url="https://Old.Example/")
        assert set(CommentSource.objects.values_list("site", flat=True)) == {"old.example"}
        # The same blog seen under its own address is the same source.
        again = run_import(path)
        assert again.report.counts["comments_existing"] == 1


class TestDates:
    def test_gmt_missing_local_converted_with_the_items_own_offset(self, write):
        # The post's pair says local = GMT+2.
        path = write(
            wxr(wxr_item(1, [wxr_comment(1, gmt="0000-00-00 00:00:00", local="2009-05-13 10:00:00")]))
        )
        run_import(path)
        assert Comment.objects.get().created_at == datetime.datetime(2009, 5, 13, 8, 0, tzinfo=UTC)

    def test_timezone_option_wins(self, write):
        path = write(wxr(wxr_item(1, [wxr_comment(1, local="2009-01-13 10:00:00")])))
        run_import(path, time_zone=zoneinfo.ZoneInfo("America/New_York"))
        assert Comment.objects.get().created_at == datetime.datetime(2009, 1, 13, 15, 0, tzinfo=UTC)

    def test_no_dates_at_all(self, write):
        item = wxr_item(1, [wxr_comment(1)], gmt="0000-00-00 00:00:00", local="0000-00-00 00:00:00")
        result = run_import(write(wxr(item)))
        post = Post.objects.get()
        assert post.published_at == result.run.started_at
        assert Comment.objects.get().created_at == post.published_at
        assert any("no date" in w for w in result.report.warnings)

    def test_nonsense_dates_do_not_crash(self, write):
        path = write(wxr(wxr_item(1, [wxr_comment(1, gmt="2009-02-30 25:61:00", local="yesterday")])))
        run_import(path)
        assert Comment.objects.get().created_at == Post.objects.get().published_at


class TestStatusesAndKinds:
    def test_every_wordpress_status(self, write):
        statuses = ["1", "0", "spam", "trash", "post-trashed", "approve", "weird"]
        comments = [wxr_comment(n, approved=status) for n, status in enumerate(statuses, start=1)]
        result = run_import(write(wxr(wxr_item(1, comments))))
        by_id = dict(Comment.objects.values_list("original_id", "status"))
        assert by_id == {
            "1": "approved",
            "2": "pending",
            "3": "spam",
            "4": "removed",
            "5": "removed",
            "6": "approved",
            "7": "pending",
        }
        assert any("unknown status 'weird'; held for moderation" in w for w in result.report.warnings)

    def test_status_map_overrides(self, write):
        comments = [wxr_comment(1, approved="0"), wxr_comment(2, approved="trash")]
        run_import(write(wxr(wxr_item(1, comments))), status_map={"0": "spam", "trash": "pending"})
        assert dict(Comment.objects.values_list("original_id", "status")) == {"1": "spam", "2": "pending"}

    def test_pingbacks_and_trackbacks_stay_apart(self, write):
        comments = [
            wxr_comment(1, kind="pingback"),
            wxr_comment(2, kind="trackback"),
            wxr_comment(3, kind="comment"),
        ]
        run_import(write(wxr(wxr_item(1, comments))))
        assert dict(Comment.objects.values_list("original_id", "kind")) == {
            "1": "pingback",
            "2": "trackback",
            "3": "comment",
        }
        assert list(Comment.objects.conversation().values_list("original_id", flat=True)) == ["3"]


class TestParents:
    def test_a_missing_parent_makes_a_top_level_comment(self, write):
        result = run_import(write(wxr(wxr_item(1, [wxr_comment(1, parent=999)]))))
        orphan = Comment.objects.get()
        assert orphan.parent is None
        assert orphan.sources.get().parent_origin == "missing"
        assert orphan.sources.get().original_parent_id == "999"
        assert result.report.counts["missing_parents"] == 1

    def test_replies_listed_before_their_parents_and_out_of_date_order(self, write):
        comments = [
            wxr_comment(3, parent=2, gmt="2009-05-13 12:00:00"),
            wxr_comment(2, parent=1, gmt="2009-05-13 11:00:00"),
            wxr_comment(1, gmt="2009-05-13 10:00:00"),
        ]
        run_import(write(wxr(wxr_item(1, comments))))
        assert Comment.objects.get(original_id="3").depth == 3
        assert list(Comment.objects.order_by("path").values_list("original_id", flat=True)) == ["1", "2", "3"]

    def test_a_loop_of_parents_is_broken_and_reported(self, write):
        comments = [
            wxr_comment(1, parent=2, gmt="2009-05-13 10:00:00"),
            wxr_comment(2, parent=1, gmt="2009-05-13 11:00:00"),
        ]
        result = run_import(write(wxr(wxr_item(1, comments))))
        first, second = Comment.objects.get(original_id="1"), Comment.objects.get(original_id="2")
        assert first.parent is None and second.parent == first
        assert result.report.counts["parent_loops_broken"] == 1


class TestInferReplies:
    def comments(self):
        return [
            wxr_comment(1, author="Jane", content="First!", gmt="2009-05-13 10:00:00"),
            wxr_comment(2, author="Jane", content="Again.", gmt="2009-05-13 11:00:00"),
            wxr_comment(3, author="Bob", content="@jane: agreed.", gmt="2009-05-13 12:00:00"),
            wxr_comment(4, author="Carl", content="mail me at carl@jane.org", gmt="2009-05-13 13:00:00"),
            wxr_comment(5, author="Bob", content="@Bob talking to myself", gmt="2009-05-13 14:00:00"),
            wxr_comment(6, author="Dee", content="@Bob, you replied to @Jane", gmt="2009-05-13 15:00:00"),
            wxr_comment(7, author="Eve", content="@Zed? ", gmt="2009-05-13 16:00:00"),
        ]

    def test_off_by_default(self, write):
        run_import(write(wxr(wxr_item(1, self.comments()))))
        assert not Comment.objects.filter(parent__isnull=False).exists()

    def test_latest_earlier_comment_by_that_name(self, write):
        result = run_import(write(wxr(wxr_item(1, self.comments()))), infer_replies=True)
        parents = {
            c.original_id: c.parent.original_id
            for c in Comment.objects.filter(parent__isnull=False).select_related("parent")
        }
        # 3 -> the latest Jane (2); 4 is an e-mail address; 5 names its own
        # author; 6 names Bob first (its addressee), then Jane.
        assert parents == {"3": "2", "6": "5"}
        assert Comment.objects.get(original_id="3").reply_inferred
        assert Comment.objects.get(original_id="3").sources.get().inferred_from == "@jane"
        assert any("@Zed names no earlier commenter" in w for w in result.report.warnings)

    def test_recorded_parents_are_never_replaced(self, write):
        comments = [
            wxr_comment(1, author="Jane", gmt="2009-05-13 10:00:00"),
            wxr_comment(2, author="Bob", gmt="2009-05-13 11:00:00"),
            wxr_comment(3, author="Carl", content="@Jane yes", parent=2, gmt="2009-05-13 12:00:00"),
        ]
        run_import(write(wxr(wxr_item(1, comments))), infer_replies=True)
        carl = Comment.objects.get(original_id="3")
        assert carl.parent.original_id == "2" and not carl.reply_inferred

    def test_a_newer_export_can_answer_an_already_imported_comment(self, write):
        run_import(
            write(wxr(wxr_item(1, [wxr_comment(1, author="Jane", gmt="2009-05-13 10:00:00")])), "a.xml")
        )
        newer = wxr(
            wxr_item(
                1,
                [
                    wxr_comment(1, author="Jane", gmt="2009-05-13 10:00:00"),
                    wxr_comment(2, author="Bob", content="@Jane hi", gmt="2009-05-13 11:00:00"),
                ],
            )
        )
        run_import(write(newer, "b.xml"), infer_replies=True)
        assert Comment.objects.get(original_id="2").parent == Comment.objects.get(original_id="1")


class TestText:
    def test_control_characters_removed_and_reported(self, write):
        path = write(wxr(wxr_item(1, [wxr_comment(1, author="Bad\x85Name", content="Hi\x9f there")])))
        result = run_import(path)
        comment = Comment.objects.get()
        assert comment.name == "BadName" and comment.body == "Hi there"
        assert result.report.counts["control_characters_removed"] == 2
        assert any("removed 1 control character(s) from the author name" in w for w in result.report.warnings)

    def test_nul_and_crlf_in_json(self, write):
        threads = [
            {
                "id": "/p/",
                "title": "T",
                "comments": [
                    {"author": "A\u0000B", "text": "one\r\ntwo\rthree", "created": "2009-01-01 00:00:00"}
                ],
            }
        ]
        result = run_import(write(json.dumps(threads), "isso.json"))
        comment = Comment.objects.get()
        assert comment.name == "AB"
        assert comment.body == "one\ntwo\nthree"
        assert result.report.counts["control_characters_removed"] == 1

    def test_names_and_titles_unescaped_repeatedly(self, write):
        path = write(
            wxr(wxr_item(1, [wxr_comment(1, author="Tom &amp;amp;amp; Jerry")], title="Caf&amp;amp;#233;"))
        )
        run_import(path)
        assert Comment.objects.get().name == "Tom & Jerry"
        assert Post.objects.get().title == "Café"

    def test_emoji_and_long_bodies_kept(self, write):
        body = "🎺 " * 6000  # longer than the reply form's 10,000 characters
        run_import(write(wxr(wxr_item(1, [wxr_comment(1, content=body)]))))
        assert Comment.objects.get().body == body.strip()

    def test_invalid_email_and_website_kept_in_the_source_only(self, write):
        extra = "<wp:comment_author_url>javascript:alert(1)</wp:comment_author_url>"
        path = write(
            wxr(wxr_item(1, [wxr_comment(1, extra=extra).replace("reader1@example.com", "not an email")]))
        )
        result = run_import(path)
        comment = Comment.objects.get()
        assert comment.email == "" and comment.url == ""
        assert comment.sources.get().extra == {"email": "not an email", "url": "javascript:alert(1)"}
        assert result.report.counts["invalid_emails"] == 1
        assert not any("not an email" in w for w in result.report.warnings)  # reports never print addresses


class TestPosts:
    def test_slug_taken_by_another_post(self, write):
        make_post(title="Someone else", slug="post-1")
        run_import(write(wxr(wxr_item(1))))
        assert Post.objects.get(sources__original_id="1").slug == "post-1-2"

    def test_drafts_and_menu_items_skipped_with_their_comments_reported(self, write):
        path = write(
            wxr(wxr_item(1, [wxr_comment(1)], status="draft"), wxr_item(2, post_type="nav_menu_item"))
        )
        result = run_import(path)
        assert not Post.objects.exists()
        assert result.report.skipped == {
            "draft posts (not published)": 1,
            "comments on skipped items": 1,
            "nav_menu_item items": 1,
        }

    def test_percent_encoded_non_ascii_slug(self, write):
        run_import(write(wxr(wxr_item(1, name="%c3%a9chafaud"))))
        assert Post.objects.get().slug == "échafaud"


def test_parsing_in_a_second_process_gives_the_same_archive():
    def snapshot():
        return sorted(
            Comment.objects.values_list(
                "original_id",
                "parent__original_id",
                "depth",
                "status",
                "kind",
                "name",
                "body",
                "body_html",
                "created_at",
            )
        )

    serial = run_import("wordpress-theme-unit-test.xml", parallel=False)
    expected = snapshot()
    Post.objects.all().delete()
    CommentSource.objects.all().delete()
    background = run_import("wordpress-theme-unit-test.xml", parallel=True)
    assert snapshot() == expected
    assert background.report.as_dict() == serial.report.as_dict()
    assert background.report.warnings == serial.report.warnings


class TestNames:
    def test_line_breaks_and_bidi_controls_are_stripped_and_reported(self, write):
        path = write(
            wxr(
                wxr_item(
                    1,
                    [
                        wxr_comment(1, author="Eve\r\nBcc: all@example.com"),
                        wxr_comment(2, author="\u202enimda"),
                        wxr_comment(3, author="&#8238;toor&#x2066;"),
                        wxr_comment(4, author="\u202e"),
                    ],
                )
            )
        )
        result = run_import(path)
        names = dict(Comment.objects.values_list("original_id", "name"))
        assert names == {"1": "Eve Bcc: all@example.com", "2": "nimda", "3": "toor", "4": "Anonymous"}
        warnings = "\n".join(result.report.warnings)
        assert "spans several lines" in warnings
        assert "removed 1 text-direction control character(s)" in warnings
        assert "removed 2 text-direction control character(s)" in warnings
