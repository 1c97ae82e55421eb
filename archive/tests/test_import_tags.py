"""Imported categories and tags become tags: WordPress's quirks, re-imports, and our own round trips."""

import json

import pytest
from django.core.management import call_command

from archive.tests.files import failed_import, run_import
from archive.tests.test_export import SITE_URL, build_archive, empty_the_archive
from conftest import make_post
from posts.models import Post, Tag

pytestmark = pytest.mark.django_db


def tag_names(post):
    return sorted(post.tags.values_list("name", flat=True), key=str.lower)


def post_from(original_id):
    return Post.objects.get(sources__original_id=str(original_id))


def links():
    return sorted(Post.tags.through.objects.values_list("post__slug", "tag__slug"))


def write_wxr(tmp_path, items, version="1.2", name="blog.xml"):
    """A small WordPress export with these <item> bodies (post id, title and categories given)."""
    namespace = f"http://wordpress.org/export/{version}/"
    body = "".join(
        f"""<item><title>{title}</title><link>https://blog.example/?p={post_id}</link>
<wp:post_id>{post_id}</wp:post_id><wp:post_date_gmt>2009-05-{post_id:02d} 10:00:00</wp:post_date_gmt>
<wp:post_name>post-{post_id}</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
<content:encoded><![CDATA[<p>Body.</p>]]></content:encoded>{categories}</item>
"""
        for post_id, title, categories in items
    )
    path = tmp_path / name
    path.write_text(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="{namespace}">
<channel><title>Blog</title><link>https://blog.example</link>
<wp:base_blog_url>https://blog.example</wp:base_blog_url>
{body}</channel></rss>
""",
        encoding="utf-8",
    )
    return path


class TestThemeUnitTest:
    """wordpress-theme-unit-test.xml: WordPress.com's export, categories and tags in both domains."""

    @pytest.fixture
    def result(self, db):
        return run_import("wordpress-theme-unit-test.xml")

    def test_categories_and_tags_of_a_post_become_its_tags(self, result):
        # Post 993 "Template: Excerpt (Defined)": categories Classic, Template and
        # Uncategorized; tags "content περιεχόμενο", excerpt and template.
        assert [name.lower() for name in tag_names(post_from(993))] == [
            "classic",
            "content περιεχόμενο",
            "excerpt",
            "template",  # the category "Template" and the tag "template": one tag
        ]

    def test_the_same_name_under_two_nicenames_is_one_tag(self, result):
        # "content περιεχόμενο" is the tag content-2 on older posts and content on the block posts.
        tag = Tag.objects.get(name="content περιεχόμενο")
        assert tag.slug == "content-περιεχόμενο"
        assert {993, 1730} <= {
            int(source) for source in tag.posts.values_list("sources__original_id", flat=True)
        }
        # "Post Formats" is both a category and a tag on the format posts.
        post_formats = Tag.objects.get(name__iexact="post formats")
        assert post_from(358).tags.filter(pk=post_formats.pk).count() == 1
        # "Media" (category media-2) and "media" (tag media): one tag.
        assert Tag.objects.filter(name__iexact="media").count() == 1

    def test_other_taxonomies_and_the_default_category_are_not_tags(self, result):
        names = {name.lower() for name in Tag.objects.values_list("name", flat=True)}
        assert "uncategorized" not in names  # WordPress's default category
        assert "testing menu" not in names  # nav_menu
        assert "all pages" not in names
        # post_format terms ("Gallery", "Aside") are not tags, but post 555 has the tag "gallery".
        assert "aside" in names and "aside" in {n.lower() for n in tag_names(post_from(559))}
        assert "Gallery" not in tag_names(post_from(555)) and "gallery" in tag_names(post_from(555))

    def test_many_tags_on_one_post(self, result):
        many = tag_names(post_from(1151))
        assert len(many) == len({name.lower() for name in many}) == 46
        assert {"8bit", "must read", "wordpress.tv", "edge case"} <= {name.lower() for name in many}
        assert result.report.counts["tag_links_created"] == Post.tags.through.objects.count()

    def test_a_second_import_adds_no_tag_and_no_link(self, result):
        tags, before = Tag.objects.count(), links()
        again = run_import("wordpress-theme-unit-test.xml")
        assert again.report.counts.get("tag_links_created", 0) == 0
        assert Tag.objects.count() == tags and links() == before

    def test_a_tag_an_editor_made_is_reused(self, db):
        Tag.objects.create(name="CLASSIC", slug="the-classics")
        run_import("wordpress-theme-unit-test.xml")
        assert Tag.objects.filter(name__iexact="classic").count() == 1
        assert Tag.objects.get(slug="the-classics").posts.count() >= 30


def test_the_accessibility_test_file_gets_its_tags(db):
    run_import("wordpress-importer-a11y-unit-test-data.xml")
    names = {name.lower() for name in Tag.objects.values_list("name", flat=True)}
    assert {"content", "template", "post formats", "block", "markup", "css"} <= names
    assert "uncategorized" not in names and "testing menu" not in names


def test_a_blog_with_only_the_default_category_gets_no_tags(db):
    run_import("wxr-mythz-blog-2014.xml")
    assert not Tag.objects.exists()


def test_disqus_threads_have_no_tags(db):
    run_import("disqus-yesilmavihayat-2023.xml")
    assert Post.objects.exists() and not Tag.objects.exists()


def test_wxr_1_0_categories_without_domain_entities_and_any_language(tmp_path):
    path = write_wxr(
        tmp_path,
        [
            (
                1,
                "Miles Davis - Kind of Blue (1959)",
                # WXR 1.0 wrote each category twice (without a domain, and with
                # one) and tags with domain "tag".
                "<category><![CDATA[Jazz]]></category>"
                '<category domain="category" nicename="jazz"><![CDATA[Jazz]]></category>'
                '<category domain="tag" nicename="trumpet"><![CDATA[trumpet]]></category>'
                '<category domain="tag" nicename="rock-amp-roll">Rock &amp;amp; Roll</category>',
            ),
            (
                2,
                "Fairuz - Maarifti Fik (1987)",
                '<category domain="category" nicename="%e9%9f%b3%e4%b9%90"><![CDATA[音乐]]></category>'
                '<category domain="post_tag" nicename="%d9%81%d9%8a%d8%b1%d9%88%d8%b2"><![CDATA[فيروز]]></category>'
                '<category domain="post_tag" nicename="turkce"><![CDATA[Türkçe şarkı]]></category>'
                '<category domain="post_tag" nicename="jazz-2"><![CDATA[JAZZ]]></category>'
                '<category domain="post_format" nicename="post-format-audio"><![CDATA[Audio]]></category>'
                '<category domain="post_tag" nicename="%f0%9f%8e%b7"><![CDATA[🎷]]></category>'
                '<category domain="post_tag" nicename="empty"><![CDATA[   ]]></category>',
            ),
        ],
        version="1.0",
    )
    run_import(path)

    first, second = Post.objects.get(slug="post-1"), Post.objects.get(slug="post-2")
    assert tag_names(first) == ["Jazz", "Rock & Roll", "trumpet"]
    assert tag_names(second) == ["empty", "Jazz", "Türkçe şarkı", "فيروز", "音乐", "🎷"]
    slugs = dict(Tag.objects.values_list("name", "slug"))
    assert slugs["音乐"] == "音乐" and slugs["فيروز"] == "فيروز" and slugs["Türkçe şarkı"] == "türkçe-şarkı"
    assert slugs["Rock & Roll"] == "rock-roll"
    # A name with no letters for a slug takes the (decoded) nicename, else "tag".
    assert slugs["🎷"] == "tag"
    # Every tag page answers.
    for tag in Tag.objects.all():
        assert tag.get_absolute_url().startswith("/tags/")


def test_tags_whose_slugs_collide_get_their_own(tmp_path):
    path = write_wxr(
        tmp_path,
        [
            (
                1,
                "A - B (2001)",
                '<category domain="post_tag" nicename="c"><![CDATA[C]]></category>'
                '<category domain="post_tag" nicename="c-2"><![CDATA[C++]]></category>'
                '<category domain="post_tag" nicename="c-3"><![CDATA[C#]]></category>',
            )
        ],
    )
    run_import(path)
    assert sorted(Tag.objects.values_list("name", "slug")) == [("C", "c"), ("C#", "c-3"), ("C++", "c-2")]


def test_a_newer_export_tags_posts_already_imported(tmp_path):
    old = write_wxr(tmp_path, [(1, "A - B (2001)", "")], name="old.xml")
    new = write_wxr(
        tmp_path,
        [(1, "A - B (2001)", '<category domain="post_tag" nicename="late"><![CDATA[Late]]></category>')],
        name="new.xml",
    )
    run_import(old)
    result = run_import(new)
    assert result.report.counts["posts_existing"] == 1
    assert tag_names(Post.objects.get()) == ["Late"]


def test_the_artist_slug_is_set_by_the_import(tmp_path):
    run_import(write_wxr(tmp_path, [(1, "Édith Piaf - La Vie en rose (1947)", "")]))
    post = Post.objects.get()
    assert (post.artist, post.artist_slug) == ("Édith Piaf", "édith-piaf")
    assert post.get_artist_url() == "/artists/%C3%A9dith-piaf/"


@pytest.mark.parametrize("export_format", ["json", "wxr"])
def test_round_trip_keeps_tags(export_format, tmp_path):
    build_archive()
    native = make_post(title="Native - Tagged (2024)")
    native.tags.add(Tag.objects.create(name="Ours only"), Tag.objects.get(name="Classic"))
    # An imported post's tags, changed here: the export says what is, not what was imported.
    imported = post_from(993)
    imported.tags.remove(Tag.objects.get(name__iexact="excerpt"))
    before_tags = sorted(Tag.objects.values_list("name", "slug"))
    before_links = links()
    output = tmp_path / f"archive.{export_format}"
    call_command("export_archive", format=export_format, output=str(output), site_url=SITE_URL, verbosity=0)
    empty_the_archive()
    Tag.objects.all().delete()

    run_import(output)

    assert links() == before_links
    # Tags no post has any more are not exported.
    assert sorted(Tag.objects.values_list("name", "slug")) == sorted(
        (name, slug) for name, slug in before_tags if any(link[1] == slug for link in before_links)
    )


def test_wxr_export_writes_tags_as_wordpress_reads_them(tmp_path):
    post = make_post(title="Miles Davis - Kind of Blue (1959)")
    post.tags.add(Tag.objects.create(name="Modal <jazz> & more"))
    output = tmp_path / "archive.xml"
    call_command("export_archive", format="wxr", output=str(output), site_url=SITE_URL, verbosity=0)
    text = output.read_text(encoding="utf-8")
    assert (
        '<category domain="post_tag" nicename="modal-jazz-more"><![CDATA[Modal <jazz> & more]]></category>'
        in text
    )


def test_an_export_from_before_tags_takes_them_from_its_source_records(tmp_path):
    run_import("wordpress-theme-unit-test.xml")
    before = links()
    output = tmp_path / "archive.json"
    call_command("export_archive", format="json", output=str(output), site_url=SITE_URL, verbosity=0)
    data = json.loads(output.read_text(encoding="utf-8"))
    for post in data["posts"]:
        del post["tags"]  # as exports written before tags existed
    output.write_text(json.dumps(data), encoding="utf-8")
    empty_the_archive()
    Tag.objects.all().delete()

    run_import(output)

    assert links() == before


def test_malformed_tags_in_our_json_are_refused(tmp_path):
    make_post(title="A - B (2001)")
    output = tmp_path / "archive.json"
    call_command("export_archive", format="json", output=str(output), site_url=SITE_URL, verbosity=0)
    data = json.loads(output.read_text(encoding="utf-8"))
    data["posts"][0]["tags"] = ["not an object"]
    output.write_text(json.dumps(data), encoding="utf-8")
    result = failed_import(output)
    assert '"tags" should be a list' in result.error
