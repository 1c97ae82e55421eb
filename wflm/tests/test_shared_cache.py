"""CACHE_URL=redis://... works: the page cache shared by every worker and app server.

Needs a Redis server: the one at REDIS_URL (e.g. redis://127.0.0.1:6379/15),
else one started here from `redis-server` on a free port (skipped, saying
so, where neither exists; .ci/run installs redis-server).
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wflm.tests.conftest import missing_tool

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    server = shutil.which("redis-server")
    if server is None:
        # As the browser tests do without Chromium: `make test` on a bare
        # machine says what is missing; .ci/run installs it, so CI never skips.
        missing_tool("redis-server is not installed (apt-get install redis-server) and REDIS_URL is unset")
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path_factory.mktemp("redis"))],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(10)


def in_a_process(redis_url, script):
    env = dict(os.environ, CACHE_URL=redis_url, DJANGO_SETTINGS_MODULE="wflm.settings")
    code = f"import django; django.setup()\n{script}"
    return subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True)


def test_the_redis_backend_is_configured_without_foreign_options(redis_url):
    result = in_a_process(
        redis_url,
        "from django.conf import settings; c = settings.CACHES['default']; print(c['BACKEND'], c.get('OPTIONS'))",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "django.core.cache.backends.redis.RedisCache"
    assert "MAX_ENTRIES" not in result.stdout


def test_what_one_process_caches_another_reads(redis_url):
    # Two processes, as two workers or two app servers would be.
    written = in_a_process(
        redis_url, "from django.core.cache import cache; cache.set('wflm-test', ['shared'], 60)"
    )
    assert written.returncode == 0, written.stderr
    read = in_a_process(redis_url, "from django.core.cache import cache; print(cache.get('wflm-test'))")
    assert read.returncode == 0, read.stderr
    assert read.stdout.strip() == "['shared']"


@pytest.mark.parametrize("url", ["locmemcache://wflm", "filecache:///tmp/wflm-cache-test"])
def test_in_process_caches_stay_bounded(url):
    result = in_a_process(
        url, "from django.conf import settings; print(settings.CACHES['default']['OPTIONS'])"
    )
    assert result.returncode == 0, result.stderr
    assert "'MAX_ENTRIES': 500" in result.stdout
