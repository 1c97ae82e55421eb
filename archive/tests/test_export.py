"""Exports, and the round trip: export, empty the database, import: everything is back exactly."""

import datetime
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from archive.models import CommentSource, ImportRun, PostSource
from archive.tests.files import SEED, run_import, shared_file
from archive.text import unescape_repeatedly
from comments.models import Comment
from conftest import make_comment, make_post
from posts.models import Post

pytestmark = pytest.mark.django_db

SITE_URL = "https://old-wflm.example"


def build_archive():
    """Imported threads (deep, pending, pingbacks, removed, inferred and stated links) and native ones."""
    run_import("wordpress-theme-unit-test.xml")
    run_import("isso-disqus.xml")
    run_import(shared_file(SEED), infer_replies=True, replies={2: 1, 8: 7, 9: 8, 12: 10})
    post = make_post(title="Native - Post (2024)", slug="Native-Post", excerpt="Ours.", comments_open=False)
    root = make_comment(
        post,
        name="Tom &amp; Jerry <b>",
        email="tom@example.com",
        url="https://tom.example/",
        body="Line one\nline two]]> & <not a tag>\n\n\ttabbed 🎺",
        ip_address="2001:db8::1",
        user_agent="Mozilla/5.0 (X11)",
    )
    reply = make_comment(post, parent=root, name="Ζωή", body="Reply.", status=Comment.Status.PENDING)
    make_comment(
        post, parent=reply, name="Spammer", body="buy", status=Comment.Status.SPAM, ip_address="192.0.2.9"
    )
    Comment.objects.filter(pk=reply.pk).update(
        moderation_rule="first_time_author",
        moderation_note="first comment from this address",
        decided_at=timezone.now(),
        notify_replies=True,
        by_staff=True,  # a moderator's reply: its "author" badge survives the round trip
    )
    make_comment(make_post(title="Empty"), name="Removed", body="gone", status=Comment.Status.REMOVED)


def signature(comment):
    return (comment.post.slug, comment.created_at, comment.name, comment.body) if comment else None


COMMENT_FIELDS = [
    "name",
    "email",
    "url",
    "body",
    "body_html",
    "status",
    "kind",
    "created_at",
    "ip_address",
    "user_agent",
    "original_id",
    "reply_inferred",
    "depth",
    "moderation_rule",
    "moderation_note",
    "decided_at",
    "notify_replies",
    "reply_notified_at",
    "by_staff",
]
POST_FIELDS = ["title", "slug", "artist", "album", "year", "body", "excerpt", "published_at", "comments_open"]


def snapshot(ignore_sites=()):
    posts = sorted(Post.objects.values_list(*POST_FIELDS))
    comments = sorted(
        (
            (c.post.slug, *(getattr(c, name) for name in COMMENT_FIELDS), signature(c.parent))
            for c in Comment.objects.select_related("post", "parent", "parent__post")
        ),
        key=repr,
    )
    post_sources = sorted(
        PostSource.objects.exclude(site__in=ignore_sites).values_list(
            "post__slug",
            "site",
            "key",
            "original_id",
            "original_url",
            "post_type",
            "post_status",
            "author",
            "categories",
            "extra",
        ),
        key=repr,
    )
    comment_sources = sorted(
        CommentSource.objects.exclude(site__in=ignore_sites).values_list(
            "comment__post__slug",
            "comment__created_at",
            "site",
            "key",
            "original_id",
            "original_parent_id",
            "parent_origin",
            "inferred_from",
            "extra",
        ),
        key=repr,
    )
    return posts, comments, post_sources, comment_sources


def empty_the_archive():
    Post.objects.all().delete()  # comments and source records go with their posts
    ImportRun.objects.all().delete()
    assert not Comment.objects.exists() and not CommentSource.objects.exists()


@pytest.mark.parametrize("export_format", ["json", "wxr"])
def test_round_trip_is_exact(export_format, tmp_path):
    build_archive()
    before = snapshot()
    ids = sorted(Comment.objects.values_list("post_id", "id"))
    assert len(before[1]) == 33 + 5 + 13 + 4
    output = tmp_path / f"archive.{export_format}"
    call_command("export_archive", format=export_format, output=str(output), site_url=SITE_URL, verbosity=0)
    empty_the_archive()

    result = run_import(output)

    assert result.format == export_format
    assert snapshot() == before
    # A restore: ids (and so /comments/<id>/ permalinks) kept, and no source
    # record for our own export, as if it were a foreign blog.
    assert sorted(Comment.objects.values_list("post_id", "id")) == ids
    assert not PostSource.objects.filter(site="old-wflm.example").exists()
    assert not CommentSource.objects.filter(site="old-wflm.example").exists()

    again = run_import(output)
    assert again.report.counts.get("posts_created", 0) == 0
    assert again.report.counts.get("comments_created", 0) == 0
    assert snapshot() == before


def test_a_newer_export_adds_only_what_is_new(tmp_path):
    post = make_post(title="A - B (1999)")
    first = make_comment(post, name="Ann")
    old = tmp_path / "old.json"
    call_command("export_archive", format="json", output=str(old), site_url=SITE_URL, verbosity=0)
    make_comment(post, parent=first, name="Bob")
    new = tmp_path / "new.json"
    call_command("export_archive", format="json", output=str(new), site_url=SITE_URL, verbosity=0)
    empty_the_archive()

    run_import(old)
    result = run_import(new)
    assert result.report.counts["comments_created"] == 1
    assert result.report.counts["comments_existing"] == 1
    assert Comment.objects.get(name="Bob").parent == Comment.objects.get(name="Ann")


def test_wxr_standard_fields_alone_carry_the_threads(tmp_path):
    """What WordPress's importer reads (our <wflm:record> elements removed) holds the whole archive."""
    build_archive()
    before = snapshot()
    output = tmp_path / "archive.xml"
    call_command("export_archive", format="wxr", output=str(output), site_url=SITE_URL, verbosity=0)
    text = output.read_text(encoding="utf-8")
    plain = re.sub(r"\s*<wflm:record>.*?</wflm:record>", "", text, flags=re.S)
    assert "wflm:record" not in plain
    output.write_text(plain, encoding="utf-8")
    empty_the_archive()

    run_import(output)

    assert Post.objects.count() == len(before[0])
    after = snapshot()

    def essentials(comments):
        # post, name (WXR readers decode entities in names), status, kind,
        # created_at to the second, parent's name
        return sorted(
            (
                c[0].lower(),  # WordPress slugs are lower-case
                unescape_repeatedly(c[1]),
                c[6],
                c[7],
                c[8].replace(microsecond=0),
                unescape_repeatedly(c[-1][2]) if c[-1] else None,
            )
            for c in comments
        )

    assert essentials(after[1]) == essentials(before[1])
    assert sorted((p[0], p[1].lower()) for p in after[0]) == sorted((p[0], p[1].lower()) for p in before[0])


def test_wxr_looks_like_wordpress_wrote_it(tmp_path):
    build_archive()
    output = tmp_path / "archive.xml"
    call_command("export_archive", format="wxr", output=str(output), site_url=SITE_URL, verbosity=0)
    text = output.read_text(encoding="utf-8")
    assert "<wp:wxr_version>1.2</wp:wxr_version>" in text
    assert 'xmlns:wp="http://wordpress.org/export/1.2/"' in text
    deepest = Comment.objects.get(original_id="915")
    block = text[text.index(f"<wp:comment_id>{deepest.pk}</wp:comment_id>") :].split("</wp:comment>")[0]
    assert f"<wp:comment_parent>{deepest.parent_id}</wp:comment_parent>" in block
    assert "<wp:comment_date_gmt>2013-03-14 15:14:47</wp:comment_date_gmt>" in block
    assert "<wp:comment_approved>1</wp:comment_approved>" in block
    assert "<wp:comment_type>pingback</wp:comment_type>" in text
    assert "<wp:comment_approved>0</wp:comment_approved>" in text
    assert "<wp:comment_approved>trash</wp:comment_approved>" in text
    # Plain text is escaped as HTML; a raw "]]>" (in the record) is split across CDATA sections.
    assert "line two]]&gt; &amp; &lt;not a tag&gt;" in text
    assert "line two]]]]><![CDATA[> & <not a tag>" in text


def test_json_format(tmp_path):
    build_archive()
    out = io.StringIO()
    call_command("export_archive", format="json", site_url=SITE_URL, stdout=out, stderr=io.StringIO())
    data = json.loads(out.getvalue())
    assert data["format"] == "wflm-archive" and data["version"] == 1
    assert data["site"] == "old-wflm.example"
    assert data["counts"] == {"posts": Post.objects.count(), "comments": Comment.objects.count()}
    native = next(p for p in data["posts"] if p["title"] == "Native - Post (2024)")
    assert native["slug"] == "Native-Post"
    assert native["url"].startswith(SITE_URL + "/")
    assert [c["name"] for c in native["comments"]] == ["Tom &amp; Jerry <b>", "Ζωή", "Spammer"]
    first, second, third = native["comments"]
    assert second["parent"] == first["id"] and third["parent"] == second["id"]
    assert second["moderation_rule"] == "first_time_author" and second["notify_replies"] is True
    assert datetime.datetime.fromisoformat(first["created_at"]).tzinfo is not None


def test_export_command_messages_and_dry_run(tmp_path):
    build_archive()
    out = io.StringIO()
    call_command("export_archive", format="json", dry_run=True, stdout=out)
    assert (
        out.getvalue()
        == f"Would export {Post.objects.count()} posts and {Comment.objects.count()} comments as json.\n"
    )
    out = io.StringIO()
    call_command("export_archive", format="wxr", output=str(tmp_path / "a.xml"), stdout=out)
    assert out.getvalue().startswith(f"Exported {Post.objects.count()} posts")
    with pytest.raises(CommandError, match="does not exist"):
        call_command("export_archive", format="wxr", output=str(tmp_path / "missing" / "a.xml"))
    assert not list(tmp_path.glob(".a.xml.*"))  # no temporary file left behind
