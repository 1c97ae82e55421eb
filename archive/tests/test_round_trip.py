"""Our own export is a restore: export, restore into an empty database,
export again: the same file, byte for byte, but for the export's time."""

import re

import pytest
from django.conf import settings
from django.core.management import call_command

from archive.importers.wxr import site_of
from archive.models import CommentSource, ImportRun, PostSource
from archive.tests.files import run_import
from archive.tests.test_export import build_archive
from comments.models import Comment
from conftest import make_comment, make_post
from posts.models import Post, Tag

pytestmark = pytest.mark.django_db

# The export's own time: the one thing two exports of the same archive may differ in.
EXPORT_TIMES = [
    re.compile(r'"exported_at": "[^"]+"'),  # JSON header
    re.compile(r'created="[^"]+"'),  # WXR generator comment
    re.compile(r"<pubDate>[^<]+</pubDate>(?=\n\t<language>)"),  # WXR channel date
]


def export(path, export_format):
    call_command("export_archive", format=export_format, output=str(path), verbosity=0)
    text = path.read_text(encoding="utf-8")
    for pattern in EXPORT_TIMES:
        text = pattern.sub("(export time)", text)
    return text


def empty_the_database():
    Post.objects.all().delete()  # comments and source records go with their posts
    Tag.objects.all().delete()
    ImportRun.objects.all().delete()
    assert not Comment.objects.exists() and not CommentSource.objects.exists()
    assert not PostSource.objects.exists()


@pytest.mark.parametrize("export_format", ["json", "wxr"])
def test_export_restore_export_is_the_same_file(export_format, tmp_path):
    build_archive()
    first = export(tmp_path / "first", export_format)
    empty_the_database()
    run_import(tmp_path / "first")
    second = export(tmp_path / "second", export_format)
    assert second.splitlines() == first.splitlines()
    assert second == first


def test_after_a_restore_new_posts_and_comments_take_fresh_ids(tmp_path):
    build_archive()
    export(tmp_path / "archive.json", "json")
    highest_post = Post.objects.order_by("-id").values_list("id", flat=True)[0]
    highest_comment = Comment.objects.order_by("-id").values_list("id", flat=True)[0]
    empty_the_database()
    run_import(tmp_path / "archive.json", parallel=True)  # the second-process reader restores too
    post = make_post(title="New - Post (2026)")
    comment = make_comment(post, name="New")
    assert post.pk > highest_post and comment.pk > highest_comment


def test_an_export_from_another_archive_is_merged_not_restored_over_this_one(tmp_path):
    theirs = make_post(title="Theirs - Post (2001)", slug="theirs")
    make_comment(theirs, name="Their reader")
    export(tmp_path / "theirs.json", "json")
    empty_the_database()
    # Here, their post's id and their comment's id belong to other things.
    ours = make_post(title="Ours - Post (2002)", slug="ours")
    Post.objects.filter(pk=ours.pk).update(id=theirs.pk)
    result = run_import(tmp_path / "theirs.json")
    assert result.report.counts["posts_created"] == 1
    assert set(Post.objects.values_list("slug", flat=True)) == {"ours", "theirs"}
    merged = Post.objects.get(slug="theirs")
    assert merged.pk != theirs.pk
    assert Comment.objects.get().post == merged
    # Merged as any import is: known by the export's site, so a second import adds nothing.
    assert PostSource.objects.filter(post=merged, site=site_of(settings.SITE_URL)).exists()
    again = run_import(tmp_path / "theirs.json")
    assert again.report.counts.get("posts_created", 0) == 0
    assert again.report.counts.get("comments_created", 0) == 0


def test_a_newer_export_restores_only_what_is_new(tmp_path):
    post = make_post(title="A - B (1999)")
    first = make_comment(post, name="Ann")
    export(tmp_path / "old.json", "json")
    reply = make_comment(post, parent=first, name="Bob")
    newer = export(tmp_path / "new.json", "json")
    empty_the_database()
    run_import(tmp_path / "old.json")
    result = run_import(tmp_path / "new.json")
    assert result.report.counts["posts_existing"] == 1
    assert result.report.counts["comments_existing"] == 1
    assert result.report.counts["comments_created"] == 1
    bob = Comment.objects.get(name="Bob")
    assert bob.pk == reply.pk and bob.parent_id == first.pk and bob.depth == 2
    assert export(tmp_path / "again.json", "json") == newer
