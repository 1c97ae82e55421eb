"""Bad input through a real gunicorn: what the test client cannot show.

A form body in another charset (`charset=utf8`) with a valid CSRF cookie
used to fail twice: in the view, and again in Django's error handling,
which reads the body once more; gunicorn then answered a bare 500. Here
the requests go over a socket to gunicorn, as a reader's browser sends them.
"""

import http.client
from urllib.parse import quote, urlsplit

import pytest

from conftest import make_comment, make_form_timestamp, make_post

CSRF_TOKEN = "b" * 32  # well-formed: the cookie and the form agree


def send(base_url, method, path, body=b"", headers=None):
    """(status, body) of one request to gunicorn; path is sent exactly as given."""
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def form(**fields):
    values = {
        "csrfmiddlewaretoken": CSRF_TOKEN,
        "name": "Ada",
        "email": "ada@example.com",
        "body": "Hello",
        "ts": make_form_timestamp(),
    }
    return "&".join(f"{quote(k)}={quote(v)}" for k, v in (values | fields).items()).encode()


@pytest.fixture
def post_url(gunicorn_server):
    post = make_post()
    make_comment(post)
    return quote(post.get_absolute_url())


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded; charset=utf8",
        "application/x-www-form-urlencoded; charset=UTF8",
        "application/x-www-form-urlencoded; charset=bogus",
        "application/x-www-form-urlencoded; charset=latin-1",
        "multipart/form-data; boundary=",
    ],
)
def test_a_comment_in_another_charset_is_refused_not_a_500(gunicorn_server, post_url, content_type):
    headers = {"Content-Type": content_type, "Cookie": f"csrftoken={CSRF_TOKEN}"}
    status, body = send(gunicorn_server, "POST", post_url, form(), headers)
    assert 400 <= status < 500, body[:500]


@pytest.mark.parametrize(
    "path",
    [
        "{post}?replytocom=%C2%B2",
        "{post}?replytocom=%E2%91%A0",
        "{post}comment-page-1/?replytocom=%C2%B2",
        "/2009/05/x%00y/comment-page-2/",
        "/comments/%C2%B2/",
    ],
)
def test_odd_addresses_are_not_a_500(gunicorn_server, post_url, path):
    status, body = send(gunicorn_server, "GET", path.format(post=post_url))
    assert status < 500, body[:500]


def test_a_unicode_digit_parent_after_a_csrf_failure_is_not_a_500(gunicorn_server, post_url):
    # From another site: the CSRF-failure view re-renders the form from the body.
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example"}
    status, body = send(gunicorn_server, "POST", post_url, form(parent="²"), headers)
    assert status == 403, body[:500]
    assert b"Leave a Reply" in body
