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


# Found by a security review: each of these answered 500.


@pytest.mark.parametrize("value", ["²", "①", "٣", "１２", "0", "00"])
def test_unicode_digits_in_reply_ids_are_not_numbers(client, thread_url, value):
    response = client.get(thread_url, {"replytocom": value})
    assert response.status_code == 200
    assert 'Leave a Reply to <span class="reply-to-name">' not in response.content.decode()


@pytest.mark.parametrize("value", ["²", "①"])
def test_unicode_digits_as_parent_on_the_csrf_failure_path(thread_url, value):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        thread_url,
        {"name": "Ada", "email": "a@example.com", "body": "Hi", "parent": value},
        HTTP_ORIGIN="https://evil.example",
    )
    assert response.status_code == 403
    assert "Hi" in response.content.decode()


def test_a_nul_in_the_slug_of_a_comment_page_is_a_404(client, post):
    assert client.get("/2009/05/x%00y/comment-page-2/").status_code == 404
    assert client.get(f"{post.get_absolute_url()[:-1]}%00/comment-page-2/").status_code == 404


@pytest.mark.parametrize("charset", ["utf8", "bogus", "utf-16", ""])
def test_a_post_with_an_odd_charset_is_a_clear_400(thread_url, charset):
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "a" * 32
    response = client.generic(
        "POST",
        thread_url,
        b"name=Ada&body=Hi",
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )
    assert response.status_code in (400, 403)


@pytest.mark.parametrize("charset", ["utf8", "UTF_8", "U8"])
def test_other_names_of_utf8_are_read_as_utf8(client, thread_url, charset):
    response = client.generic(
        "POST",
        thread_url,
        b"name=Ada&email=ada%40example.com&body=Caf%C3%A9",
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )
    assert response.status_code in (200, 302, 400)
    assert "Café" in response.content.decode() or response.status_code == 302


def test_a_body_over_the_limit_is_refused_unread(client, thread_url, settings):
    settings.PUBLIC_MAX_BODY_BYTES = 1000
    response = client.post(thread_url, {"body": "x" * 2000})
    assert response.status_code == 413
    assert "too large" in response.content.decode()


def test_the_admin_takes_larger_forms_up_to_djangos_limit(admin_client, settings):
    settings.PUBLIC_MAX_BODY_BYTES = 1000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 5000
    changelist = "/admin/comments/comment/"
    assert admin_client.post(changelist, {"q": "x" * 2000}).status_code != 413
    assert admin_client.post(changelist, {"q": "x" * 6000}).status_code == 413
