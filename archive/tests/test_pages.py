"""Imported threads on the site: the "Template: Comments" post shows its 10-deep thread."""

import pytest

from archive.tests.files import run_import
from comments.models import Comment

pytestmark = pytest.mark.django_db


def test_the_ten_deep_thread_shows(client):
    run_import("wordpress-theme-unit-test.xml")
    response = client.get("/2012/01/template-comments/")
    assert response.status_code == 200
    page = response.content.decode()
    chain = ["904", "905", "906", "907", "910", "911", "912", "913", "914", "915"]
    positions = []
    for original_id in chain:
        comment = Comment.objects.get(original_id=original_id)
        anchor = f'id="comment-{comment.pk}"'
        assert anchor in page
        # Old #comment-<id> links still land on it.
        assert f'<a id="comment-{original_id}"></a>' in page or original_id == str(comment.pk)
        positions.append(page.index(anchor))
    assert positions == sorted(positions)  # in thread order
    assert "John Γιάννης Doe Κάποιος" in page
    assert "Header one" in page  # the HTML comment, as the text a reader saw
    # Pending comments are not shown.
    pending = Comment.objects.filter(post__slug="template-comments", status="pending")
    assert all(f'id="comment-{c.pk}"' not in page for c in pending)


def test_pingbacks_are_kept_apart_from_the_conversation(client):
    run_import("wordpress-theme-unit-test.xml")
    page = client.get("/2012/01/template-pingbacks-an-trackbacks/").content.decode()
    assert Comment.objects.filter(kind__in=["pingback", "trackback"]).count() == 4
    thread_ids = [
        c.pk for c in Comment.objects.filter(kind="comment", post__slug="template-pingbacks-an-trackbacks")
    ]
    assert all(f'id="comment-{pk}"' in page for pk in thread_ids)
    # Listed in their own section, as WordPress themes do.
    start = page.index('id="pingbacks"')
    section = page[start : page.index("</section>", start)]
    for ping in Comment.objects.exclude(kind="comment"):
        assert f'id="comment-{ping.pk}"' in section
    assert all(f'id="comment-{pk}"' not in section for pk in thread_ids)
