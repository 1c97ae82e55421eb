"""The page cache and the in-process copies under gunicorn's threaded workers (gthread).

Threads of one worker share its remembered stamps and recent pages: reads
and changes at once must neither fail nor leave a stale page behind.
"""

import concurrent.futures
import time
import urllib.request

import pytest

from conftest import make_comment, make_post
from wflm.tests.conftest import _server_environment, collect_static, running_gunicorn

pytestmark = pytest.mark.django_db(transaction=True)

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url):
    try:
        with OPENER.open(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


@pytest.fixture
def threaded_server(tmp_path):
    env = _server_environment(static_root=tmp_path / "static") | {"PAGE_STAMP_LISTEN": "on"}
    collect_static(env)
    options = ("--worker-class", "gthread", "--threads", "8")
    with running_gunicorn(env, tmp_path / "gunicorn.log", *options) as base_url:
        yield base_url


def test_threads_reading_while_replies_arrive_see_every_reply(threaded_server):
    post = make_post()
    url = threaded_server + post.get_absolute_url()
    statuses = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as readers:
        for number in range(10):
            make_comment(post, name=f"reader number {number}")  # committed: notified
            pages = list(readers.map(lambda _: fetch(url), range(48)))
            statuses += [status for status, _ in pages]
    assert set(statuses) == {200}
    # Every worker and thread shows the last reply (within the notification's
    # way there, at most PROCESS_MEMORY_SECONDS).
    deadline = time.monotonic() + 10
    while True:
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as readers:
            pages = list(readers.map(lambda _: fetch(url), range(32)))
        if all("reader number 9" in html for _, html in pages):
            break
        assert time.monotonic() < deadline, "a stale page was still served after 10 s"
        time.sleep(0.2)
