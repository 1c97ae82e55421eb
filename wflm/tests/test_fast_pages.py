"""Anonymous pages answered again in front of Django (wflm/fast_pages.py)."""

import io
import sys
import time

import pytest
from django.core.wsgi import get_wsgi_application

from conftest import make_comment, make_post
from posts.stamps import stamp_cache
from wflm.fast_pages import FastPages

PUBLIC = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("ETag", '"abc"'),
    ("Cache-Control", "public, max-age=0, s-maxage=5"),
    ("Content-Length", "4"),
]


def environ(path="/", method="GET", **headers):
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        **headers,
    }


class Django:
    """Stands for Django: counts its calls, answers with the given headers."""

    def __init__(self, headers=PUBLIC, status="200 OK"):
        self.calls, self.headers, self.status = 0, headers, status

    def __call__(self, environ, start_response):
        self.calls += 1
        start_response(self.status, self.headers)
        return [b"page"]


def call(app, env):
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, dict(headers)

    answer["body"] = b"".join(app(env, start_response))
    return answer


@pytest.fixture
def generation(monkeypatch, settings):
    settings.PAGE_CACHE_SECONDS = 600
    state = {"generation": 1}
    monkeypatch.setattr(stamp_cache, "current_generation", lambda: state["generation"])
    return state


def test_a_public_page_is_answered_again_without_django(generation):
    django = Django()
    app = FastPages(django)
    first, second = call(app, environ()), call(app, environ())
    assert django.calls == 1
    assert first == second and second["body"] == b"page"


def test_a_change_notice_sends_the_next_request_to_django(generation):
    django = Django()
    app = FastPages(django)
    call(app, environ())
    generation["generation"] += 1
    call(app, environ())
    assert django.calls == 2


def test_entries_last_the_memory_time_only(generation, settings):
    settings.PROCESS_MEMORY_SECONDS = 0.05
    django = Django()
    app = FastPages(django)
    call(app, environ())
    time.sleep(0.1)
    call(app, environ())
    assert django.calls == 2


@pytest.mark.parametrize(
    "headers",
    [
        [("Cache-Control", "private, no-store"), ("ETag", '"a"')],
        [*PUBLIC, ("Set-Cookie", "a=b")],
        [h for h in PUBLIC if h[0] != "ETag"],
    ],
)
def test_only_what_django_marks_for_any_cache_is_kept(generation, headers):
    django = Django(headers)
    app = FastPages(django)
    call(app, environ())
    call(app, environ())
    assert django.calls == 2


def test_errors_are_not_kept(generation):
    django = Django(status="404 Not Found")
    app = FastPages(django)
    call(app, environ())
    call(app, environ())
    assert django.calls == 2


@pytest.mark.parametrize(
    "extra",
    [
        {"HTTP_COOKIE": "sessionid=x"},
        {"HTTP_COOKIE": "wflm_pending=x"},
        {"HTTP_COOKIE": "wflm_primary=x"},
        {"HTTP_COOKIE": "csrftoken=a; other=b"},
        {"HTTP_COOKIE": '"\x00bad'},
        {"REQUEST_METHOD": "POST"},
    ],
)
def test_personal_requests_always_go_to_django(generation, extra):
    django = Django()
    app = FastPages(django)
    call(app, environ())
    call(app, environ() | extra)
    assert django.calls == 2


def test_the_csrf_cookie_alone_is_not_personal(generation):
    django = Django()
    app = FastPages(django)
    call(app, environ())
    call(app, environ(HTTP_COOKIE="csrftoken=abc"))
    assert django.calls == 1


def test_pages_are_kept_apart_by_host_query_and_encoding(generation):
    django = Django()
    app = FastPages(django)
    for env in (
        environ(),
        environ(HTTP_HOST="other.example"),
        environ(QUERY_STRING="page=2"),
        environ(HTTP_ACCEPT_ENCODING="gzip"),
    ):
        call(app, env)
        call(app, env)
    assert django.calls == 4


def test_conditional_and_head_requests(generation):
    django = Django()
    app = FastPages(django)
    call(app, environ())
    not_modified = call(app, environ(HTTP_IF_NONE_MATCH='"zzz", "abc"'))
    assert not_modified["status"].startswith("304") and not_modified["body"] == b""
    assert not_modified["headers"]["ETag"] == '"abc"' and "Content-Length" not in not_modified["headers"]
    head = call(app, environ(method="HEAD"))
    assert head["status"] == "200 OK" and head["body"] == b"" and head["headers"]["Content-Length"] == "4"
    assert django.calls == 1


def test_nothing_is_kept_when_not_listening_or_with_the_page_cache_off(monkeypatch, settings):
    django = Django()
    app = FastPages(django)
    monkeypatch.setattr(stamp_cache, "current_generation", lambda: None)
    call(app, environ())
    call(app, environ())
    monkeypatch.setattr(stamp_cache, "current_generation", lambda: 1)
    settings.PAGE_CACHE_SECONDS = 0
    call(app, environ())
    call(app, environ())
    assert django.calls == 4


@pytest.mark.django_db(transaction=True)
def test_with_django_a_committed_reply_shows_on_the_next_request(settings):
    settings.PAGE_STAMP_LISTEN = True
    settings.ALLOWED_HOSTS = ["testserver"]
    stamp_cache.close()
    try:
        app = FastPages(get_wsgi_application())
        post = make_post()
        page = environ(post.get_absolute_url())
        call(app, page)
        assert b"late reader" not in call(app, page)["body"]
        make_comment(post, name="late reader")  # committed: PostgreSQL notifies
        deadline = time.monotonic() + 5
        while b"late reader" not in call(app, page)["body"]:
            assert time.monotonic() < deadline, "the old page was still answered after 5 s"
            time.sleep(0.01)
    finally:
        stamp_cache.close()
