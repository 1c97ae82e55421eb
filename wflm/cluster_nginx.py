"""deploy/nginx/wflm.conf turned into a loopback site for `python -m wflm.cluster`.

The cluster runs the deploy file itself, not a copy, so what is proved on
one machine is what a sysadmin installs. Only what differs on loopback is
swapped: the upstream servers, server_name, the cache and static paths,
and TLS (every line marked "# tls" and the "# tls: begin/end" block go;
a plain `listen 127.0.0.1:PORT` comes instead). Each swap must find its
text, so an edit of the deploy file that breaks one fails loudly here.
"""

import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SITE_CONFIG = BASE_DIR / "deploy" / "nginx" / "wflm.conf"

DEPLOY_CACHE_DIR = "/var/cache/nginx/wflm"
DEPLOY_STATIC_DIR = "/srv/wflm/var/static/"
DEPLOY_SERVER_NAME = "server_name wflm.example.org;"
UPSTREAM = re.compile(r"(upstream wflm_app \{\n)(.*?)(\n\})", re.DOTALL)
TLS_BLOCK = re.compile(r"^# tls: begin\n.*?^# tls: end\n", re.DOTALL | re.MULTILINE)


class SiteConfigError(Exception):
    """deploy/nginx/wflm.conf no longer has a line the loopback cluster swaps."""


def _swap(text, old, new):
    if old not in text:
        raise SiteConfigError(f"{SITE_CONFIG}: expected {old!r}, which the loopback cluster replaces")
    return text.replace(old, new)


def loopback_site(*, listen_port, app_ports, cache_dir, static_dir, text=None):
    """The deploy site's text for 127.0.0.1:listen_port in front of app_ports, without TLS."""
    text = SITE_CONFIG.read_text() if text is None else text
    if not TLS_BLOCK.search(text):
        raise SiteConfigError(f"{SITE_CONFIG}: no '# tls: begin' ... '# tls: end' block")
    text = TLS_BLOCK.sub("", text)
    kept = [line for line in text.splitlines() if not line.rstrip().endswith("# tls")]
    text = "\n".join(kept) + "\n"
    servers = "\n".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in app_ports)
    if not UPSTREAM.search(text):
        raise SiteConfigError(f"{SITE_CONFIG}: no 'upstream wflm_app {{ ... }}' block")
    text = UPSTREAM.sub(lambda match: match[1] + servers + match[3], text, count=1)
    text = _swap(
        text, DEPLOY_SERVER_NAME, f"listen 127.0.0.1:{listen_port};\n    server_name 127.0.0.1 localhost;"
    )
    text = _swap(text, DEPLOY_CACHE_DIR, str(cache_dir))
    return _swap(text, DEPLOY_STATIC_DIR, f"{static_dir}/")


def main_config(*, site_path, work_dir, error_log, access_log, user=None, extra=""):
    """A whole nginx.conf around the site: foreground, every path under work_dir.

    user: the account nginx's workers run as when started by root (they
    then need to read the static files and write the cache). extra: more
    http-level text (the benchmark's static-file server).
    """
    temp = {name: work_dir / "temp" / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    lines = [
        "# Written by python -m wflm.cluster; the site itself is deploy/nginx/wflm.conf.",
        "daemon off;",
        "worker_processes 2;",
        f"pid {work_dir / 'nginx.pid'};",
        f"error_log {error_log} warn;",
        *([f"user {user};"] if user else []),
        "events { worker_connections 1024; }",
        "http {",
        "    include /etc/nginx/mime.types;",
        "    default_type application/octet-stream;",
        "    sendfile on;",
        "    tcp_nopush on;",
        f"    access_log {access_log};",
        f"    client_body_temp_path {temp['client_body']};",
        f"    proxy_temp_path {temp['proxy']};",
        f"    fastcgi_temp_path {temp['fastcgi']};",
        f"    uwsgi_temp_path {temp['uwsgi']};",
        f"    scgi_temp_path {temp['scgi']};",
        f"    include {site_path};",
        *([extra] if extra else []),
        "}",
    ]
    return "\n".join(lines) + "\n"
