import pytest

from comments.threads import Thread
from conftest import make_comment

pytestmark = pytest.mark.django_db


def test_a_held_comment_shown_to_its_author_is_marked_and_cannot_be_replied_to(post):
    approved = make_comment(post)
    held = make_comment(post, status="pending")
    post.refresh_from_db()  # response_count, kept by the database

    thread = Thread.for_post(post, also_show_ids=[held.pk])
    html = thread.html

    assert thread.approved_count == 1
    assert html.count("Your comment is awaiting moderation.") == 1
    assert f"?replytocom={approved.pk}#respond" in html
    assert f"?replytocom={held.pk}#respond" not in html


def test_names_and_links_are_escaped(post):
    make_comment(post, name='<b>"Bold"</b>', url='https://example.com/?a=1&b="2"')
    html = Thread.for_post(post).html
    assert "&lt;b&gt;&#34;Bold&#34;&lt;/b&gt;" in html
    assert 'href="https://example.com/?a=1&amp;b=&#34;2&#34;"' in html


def test_dates_show_in_the_site_time_zone(post, settings):
    from datetime import UTC, datetime

    settings.TIME_ZONE = "Europe/Paris"
    make_comment(post, created_at=datetime(2009, 5, 13, 22, 5, tzinfo=UTC))
    html = Thread.for_post(post).html
    assert "May 14, 2009 at 12:05 am" in html
    assert 'datetime="2009-05-13T22:05:00+00:00"' in html


def test_imported_alias_anchors_are_escaped(post):
    make_comment(post, original_id='9"><script>x</script>')
    html = Thread.for_post(post).html
    assert "<script>" not in html
    assert 'id="comment-9&#34;&gt;&lt;script&gt;x&lt;/script&gt;"' in html
