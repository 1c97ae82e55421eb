"""Nothing a client sends earns a 500."""

import pytest
from django.test import Client

from conftest import make_comment, make_form_timestamp

pytestmark = pytest.mark.django_db

WEIRD_VALUES = [
    "",
    "\x00",
    "%00",
    "%ED%A0%80",
    "\ufffe",
    "😊" * 500,
    "x" * 100_000,
    "-1",
    "1e309",
    "[]",
    "<script>",
    "9" * 50,
]


@pytest.fixture
def thread_url(post):
    make_comment(post)
    return post.get_absolute_url()


@pytest.mark.parametrize(
    "path",
    [
        "/%00/",
        "/2009/05/%ff%fe/",
        "/2009/05/" + "a" * 5000 + "/",
        "/2009/05/x%00y/",
        "/9999/12/x/",
        "/0000/01/x/",
        "/comments/%00/",
        "/comments/" + "9" * 18 + "/",
        "/2009/05/slug/comment-page-%00/",
        "/admin/%00/",
        "/static/%00",
        "/static/../../etc/passwd",
        "/?page=%ED%A0%80&replytocom=%ff%fe",
    ],
)
def test_odd_paths_never_fail(client, path):
    assert client.get(path).status_code < 500


@pytest.mark.parametrize("value", WEIRD_VALUES)
@pytest.mark.parametrize("parameter", ["page", "replytocom"])
def test_odd_query_values_never_fail(client, thread_url, parameter, value):
    assert client.get("/", {parameter: value}).status_code < 500
    assert client.get(thread_url, {parameter: value}).status_code < 500


@pytest.mark.parametrize("value", WEIRD_VALUES)
@pytest.mark.parametrize("field", ["name", "email", "url", "body", "parent", "ts", "subject", "remember"])
def test_odd_form_values_never_fail(client, thread_url, field, value):
    data = {
        "name": "Ada",
        "email": "ada@example.com",
        "body": "Hello",
        "ts": make_form_timestamp(),
        field: value,
    }
    assert client.post(thread_url, data).status_code < 500


def test_repeated_fields_and_raw_bodies_never_fail(client, thread_url):
    assert client.post(thread_url, "name=a&name=b&body=x&body=y&parent=1&parent=2",
                       content_type="application/x-www-form-urlencoded").status_code < 500  # fmt: skip
    assert (
        client.post(
            thread_url, b"\xff\xfe\x00garbage", content_type="application/x-www-form-urlencoded"
        ).status_code
        < 500
    )
    assert (
        client.post(thread_url, b"--x\r\nbroken", content_type="multipart/form-data; boundary=x").status_code
        < 500
    )
    assert client.post(thread_url, '{"name": "a"}', content_type="application/json").status_code < 500
    assert (
        client.post(
            thread_url, "name=%ff%fe&body=%c3%28", content_type="application/x-www-form-urlencoded"
        ).status_code
        < 500
    )


def test_bad_host_header_is_a_400(db):
    assert Client(HTTP_HOST="evil.example").get("/").status_code == 400
