"""manage.py import_archive: options, output at each verbosity, failures."""

import io

import pytest
from django.core.management import CommandError, call_command

from archive.models import ImportRun
from archive.tests.files import SEED, fixture_path, shared_file
from comments.models import Comment
from posts.models import Post

pytestmark = pytest.mark.django_db


def run(*args, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_archive", *map(str, args), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_summary_at_default_verbosity():
    out, err = run(fixture_path("wordpress-theme-unit-test.xml"))
    assert err == ""
    lines = out.splitlines()
    assert lines[0].endswith(
        "wordpress-theme-unit-test.xml (wxr, site wpthemetestdata.wordpress.com): imported."
    )
    assert lines[1:6] == [
        "  posts: 78 created (post 57, page 21), 0 already imported; 7 with comments",
        "  comments: 29 comments, 2 pingbacks, 2 trackbacks created; 0 already imported",
        "  statuses: approved 30, pending 3",
        "  replies: 10 (0 inferred: 0 from @name, 0 stated); maximum depth 10",
        "  skipped: nav_menu_item items 70, attachment items 37, draft posts (not published) 1",
    ]
    # 2, and the two comment bodies whose HTML was reduced (881: headings, a table; 917: an image).
    assert "  warnings: 4" in lines
    # Never an e-mail address or IP in the output.
    assert "@" not in out.replace("@name", "")


def test_quiet_and_verbose():
    out, _ = run(fixture_path("isso-generic.json"), verbosity=0)
    assert out == ""
    Post.objects.all().delete()
    out, _ = run(fixture_path("disqus-tanglei-2016.xml"), "--infer-replies", verbosity=2)
    assert "  … 1,000 comments" in out and "  … 2,000 comments" in out
    assert "(first 10 below" not in out  # every warning is listed


def test_warnings_are_capped_at_default_verbosity():
    out, _ = run(fixture_path("disqus-tanglei-2016.xml"), "--infer-replies")
    assert "(first 10 below; -v 2 shows all)" in out


def test_dry_run():
    out, _ = run(shared_file(SEED), "--dry-run", "--infer-replies", "--replies", "2=1")
    assert "(seed, site seed): dry run, nothing written." in out
    assert "replies: 2 (2 inferred: 1 from @name, 1 stated)" in out
    assert not Post.objects.exists() and not ImportRun.objects.exists()


def test_several_files_each_all_or_nothing(tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_bytes(fixture_path("isso-wordpress.xml").read_bytes()[:3000])
    with pytest.raises(CommandError, match=r"1 of 2 file\(s\) could not be imported"):
        run(broken, fixture_path("isso-generic.json"))
    assert Comment.objects.count() == 2  # the good file went in
    assert set(ImportRun.objects.values_list("file_name", "status")) == {
        ("broken.xml", "failed"),
        ("isso-generic.json", "succeeded"),
    }


def test_failure_message_on_stderr(tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text(
        '<?xml version="1.0"?>\n<rss xmlns:wp="http://wordpress.org/export/1.2/">\n<channel><item>'
    )
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_archive", str(broken), stdout=io.StringIO(), stderr=err)
    assert (
        "not well-formed XML at line 3, column 16: no element found. Nothing was imported" in err.getvalue()
    )


@pytest.mark.parametrize(
    "option, message",
    [
        (["--status-map", "trash=gone"], "should be SOURCE=STATUS"),
        (["--timezone", "Mars/Olympus"], "not a known time zone"),
        (["--replies", "1=2"], "only answer an earlier one"),
    ],
)
def test_bad_options_are_explained(option, message):
    with pytest.raises(CommandError, match=message):
        run(fixture_path("isso-generic.json"), *option)
    assert not Post.objects.exists()


def test_format_option_skips_detection(tmp_path):
    renamed = tmp_path / "comments.txt"
    renamed.write_bytes(fixture_path("isso-disqus.xml").read_bytes())
    out, _ = run(renamed, "--format", "disqus")
    assert "(disqus, site disqus:disqusdev): imported." in out
    with pytest.raises(CommandError):
        run(renamed, "--format", "json")
