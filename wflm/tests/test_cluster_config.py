"""deploy/nginx/wflm.conf as shipped, and as `python -m wflm.cluster` turns it into a loopback site.

The loopback cluster itself is wflm/tests/test_cluster.py; these need no
servers, except nginx's own syntax check (`nginx -t`) of both files.
"""

import os
import shutil
import socket
import subprocess
import sys

import pytest

from wflm import cluster_nginx
from wflm.cluster import BASE_DIR
from wflm.tests.conftest import missing_tool

APP_PORTS = [18301, 18302]


def loopback(tmp_path, text=None):
    return cluster_nginx.loopback_site(
        listen_port=18300,
        app_ports=APP_PORTS,
        cache_dir=tmp_path / "cache",
        static_dir=tmp_path / "static",
        text=text,
    )


@pytest.fixture
def nginx():
    path = shutil.which("nginx")
    if path is None:
        missing_tool("nginx is not installed (apt-get install nginx)")
    return path


def test_the_loopback_site_is_the_deploy_site_without_tls(tmp_path):
    site = loopback(tmp_path)
    directives = "\n".join(line for line in site.splitlines() if not line.lstrip().startswith("#"))
    assert "ssl" not in directives and "443" not in directives and "# tls" not in directives
    assert "return 301 https://" not in directives  # the port-80 redirect server went with TLS
    assert "listen 127.0.0.1:18300;" in site
    upstream = site.split("upstream wflm_app {", 1)[1].split("}", 1)[0]
    assert upstream.split() == [
        *("server", "127.0.0.1:18301", "max_fails=1", "fail_timeout=5s;"),
        *("server", "127.0.0.1:18302", "max_fails=1", "fail_timeout=5s;"),
    ]
    assert f"proxy_cache_path {tmp_path / 'cache'} " in site
    assert f"alias {tmp_path / 'static'}/;" in site
    # Everything else is the deploy file's, line for line.
    deploy = cluster_nginx.SITE_CONFIG.read_text()
    for line in ("proxy_cache wflm;", "proxy_cache_bypass $wflm_personal;", "proxy_cache_lock on;"):
        assert line in deploy and line in site


@pytest.mark.parametrize(
    "edit",
    [
        lambda text: text.replace("# tls: begin", "# begin"),
        lambda text: text.replace("upstream wflm_app {", "upstream app {"),
        lambda text: text.replace("/var/cache/nginx/wflm", "/var/cache/nginx/other"),
        lambda text: text.replace("server_name wflm.example.org;", "server_name example.net;"),
    ],
    ids=["tls-block", "upstream", "cache-path", "server-name"],
)
def test_an_edit_that_breaks_a_swap_is_refused_loudly(tmp_path, edit):
    with pytest.raises(cluster_nginx.SiteConfigError):
        loopback(tmp_path, edit(cluster_nginx.SITE_CONFIG.read_text()))


def _nginx_test(nginx, tmp_path, site_text):
    """`nginx -t` of site_text inside a minimal nginx.conf; returns what nginx said."""
    (tmp_path / "temp").mkdir()  # nginx makes its temp directories, not their parent
    site = tmp_path / "site.conf"
    site.write_text(site_text)
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        cluster_nginx.main_config(
            site_path=site,
            work_dir=tmp_path,
            error_log=tmp_path / "error.log",
            access_log=tmp_path / "access.log",
        )
    )
    done = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(conf)],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stderr


def test_nginx_accepts_the_loopback_site(nginx, tmp_path):
    code, said = _nginx_test(nginx, tmp_path, loopback(tmp_path))
    assert code == 0, said


def test_nginx_accepts_the_deploy_site_as_shipped_with_a_certificate(nginx, tmp_path):
    # The shipped file, TLS and all; only the paths nginx must find on disk
    # point at a throwaway certificate and directories.
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=wflm.example.org",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    text = cluster_nginx.SITE_CONFIG.read_text()
    text = text.replace("/etc/letsencrypt/live/wflm.example.org/fullchain.pem", str(cert))
    text = text.replace("/etc/letsencrypt/live/wflm.example.org/privkey.pem", str(key))
    text = text.replace("/var/cache/nginx/wflm", str(tmp_path / "cache"))
    code, said = _nginx_test(nginx, tmp_path, text)
    assert code == 0, said


def test_make_cluster_names_a_busy_port_and_starts_nothing(nginx, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        base = busy.getsockname()[1] - 1  # so the busy port is app server A's (base + 1)
        env = dict(os.environ, CLUSTER_PORT=str(base))
        done = subprocess.run(
            [sys.executable, "-m", "wflm.cluster"],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert f"Port {base + 1} on 127.0.0.1 (for the app server A) is already in use" in done.stderr
    assert "CLUSTER_PORT" in done.stderr
    assert "Traceback" not in done.stderr
