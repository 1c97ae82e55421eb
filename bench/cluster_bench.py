"""`make bench-cluster`: the loopback cluster (wflm/cluster.py) under wrk, in one run.

    python -m bench.cluster_bench [--seconds 10]

Builds its own cluster in var/bench/cluster (fresh each run, its own Redis)
with a post of 1,000 comments, then measures with `wrk -t2 -c8 -d10s`:

1. the cached 1,000-comment page (COMMENTS_PER_PAGE=0) and a default page
   (50 top-level comments and their replies) through nginx's proxy_cache,
   against nginx serving the same bytes as a static file;
2. the same pages straight from gunicorn (app server A, the app's own page
   cache in Redis), against the same bytes served by WhiteNoise under the
   same gunicorn settings (wflm/gunicorn.conf.py, bench/static_ceiling.py);
3. uncached default pages (PAGE_CACHE=off, PAGE_STAMP_LISTEN=off) through
   nginx with no proxy cache, to one app server and to two.

Each figure is the mean of --rounds (2) wrk runs, ours and its ceiling
in alternating order, so that other work on the machine weighs on both
alike; the load average before each run is printed beside it. Prints
every figure, the ratios and the issue's targets (a cached page
through the proxy >= 80 % of nginx's static rate; straight from gunicorn
>= 70 % of WhiteNoise), and writes var/bench-cluster-results.json.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.servers import parse_wrk
from wflm.cluster import BASE_DIR, GUNICORN_CONFIG, Cluster, Ports
from wflm.cluster_servers import ClusterError, Server, http_get

WORK_DIR = BASE_DIR / "var" / "bench" / "cluster"
RESULTS_PATH = BASE_DIR / "var" / "bench-cluster-results.json"
THREADS, CONNECTIONS = 2, 8
PROXY_TARGET, GUNICORN_TARGET = 0.80, 0.70
PAGES = {"1,000 comments, one page": "COMMENTS_PER_PAGE=0", "default page": "COMMENTS_PER_PAGE=50"}
UNCACHED = {"PAGE_CACHE": "off", "PAGE_STAMP_LISTEN": "off"}

_BUILD_THREAD = """
import random
from bench import threadgen
rng = random.Random(20090512)
shape = threadgen.thread_shape(1000, rng)
post = threadgen.create_thread_post("cluster-1000", shape, rng, threadgen.People(rng), threadgen.BENCH_DATE)
threadgen.check_thread(post, shape)
print(post.get_absolute_url())
"""


def log(message):
    print(f"[bench-cluster {time.strftime('%H:%M:%S')}] {message}", flush=True)


def wrk(url, seconds, host=None):
    """wrk's figures for url (-t2 -c8), with a Host header when given."""
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "30s"]
    if host:
        command += ["-H", f"Host: {host}"]
    done = subprocess.run([*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60)  # noqa: S603
    return parse_wrk(done.stdout)


class Bench:
    def __init__(self, seconds, warm_seconds, rounds):
        self.seconds, self.warm_seconds, self.rounds = seconds, warm_seconds, rounds
        self.results = {"load": {}, "rounds": {}, "ratios": {}, "problems": []}
        self.ports = Ports.free()
        extra = (
            Ports.free()
        )  # three more: nginx's static server, and its uncached proxies to one and two app servers
        self.static_port, self.one_port, self.two_port = extra.proxy, extra.app_a, extra.app_b
        self.static_dir = WORK_DIR / "static-pages"
        self.cluster = Cluster(
            WORK_DIR / "servers", self.ports, own_redis=True, app_env={"LOG_LEVEL": "WARNING"}
        )
        self.cluster.nginx_extra = self._extra_servers()
        self.proxy_host = f"127.0.0.1:{self.ports.proxy}"

    def _extra_servers(self):
        # Plain proxying (no cache) keeps nginx's share of the work the same
        # for one app server and for two: only the upstream differs.
        plain_proxy = (
            "proxy_http_version 1.1; proxy_set_header Host $http_host; "
            "proxy_set_header X-Forwarded-For $remote_addr; proxy_set_header X-Forwarded-Proto $scheme;"
        )
        return f"""
    upstream wflm_bench_one {{ server 127.0.0.1:{self.ports.app_a}; }}
    server {{ listen 127.0.0.1:{self.static_port}; root {self.static_dir}; default_type text/html; }}
    server {{ listen 127.0.0.1:{self.one_port}; location / {{ proxy_pass http://wflm_bench_one; {plain_proxy} }} }}
    server {{ listen 127.0.0.1:{self.two_port}; location / {{ proxy_pass http://wflm_app; {plain_proxy} }} }}"""

    # --- Steps ---

    def run(self):
        shutil.rmtree(WORK_DIR, ignore_errors=True)
        self.static_dir.mkdir(parents=True)
        self.static_dir.chmod(0o755)
        log("starting the cluster (primary, replica, Redis, two app servers, nginx)")
        self.cluster.app_env_overrides["COMMENTS_PER_PAGE"] = "0"
        with self.cluster:
            path = self.cluster.manage("shell", "--no-imports", "-c", _BUILD_THREAD).strip().splitlines()[-1]
            log(f"built a post of 1,000 comments: {path}")
            self.results["post"] = path
            for number, (title, setting) in enumerate(PAGES.items()):
                if number:  # the cluster started with the first page's setting
                    self.restart_apps(COMMENTS_PER_PAGE=setting.split("=")[1])
                self.measure_cached(title, path)
            self.restart_apps(COMMENTS_PER_PAGE="50", **UNCACHED)
            self.measure_uncached("default page", path)
        self.ratios()

    def restart_apps(self, **overrides):
        for key in ("COMMENTS_PER_PAGE", *UNCACHED):
            self.cluster.app_env_overrides.pop(key, None)
        self.cluster.app_env_overrides.update(overrides)
        for name in ("A", "B"):
            self.cluster.stop_app(name)
        # Pages cached under the old settings (by nginx, and by the app in
        # Redis) must not be measured as the new ones.
        self.cluster.empty_shared_cache()
        for name in ("A", "B"):
            self.cluster.start_app(name)
        self.cluster.restart_nginx(empty_cache=True)

    def measure_cached(self, title, path):
        status, headers, page = http_get(self.cluster.proxy_url + path, timeout=60)
        if status != 200:
            raise ClusterError(f"GET {path} through nginx: {status}")
        name = "page-1000.html" if "1,000" in title else "page-default.html"
        (self.static_dir / name).write_bytes(page)
        (self.static_dir / name).chmod(0o644)
        log(f"{title}: {len(page):,} bytes ({headers.get('Cache-Control')})")
        direct = self.cluster.app_urls["A"] + path
        status, _, direct_page = http_get(direct, timeout=60, headers={"Host": self.proxy_host})
        if direct_page != page:
            self.results["problems"].append(f"{title}: app server A's bytes differ from the proxy's")
        self.load_pair(
            (f"{title}: nginx proxy_cache", self.cluster.proxy_url + path, None),
            (f"{title}: nginx, static file", f"http://127.0.0.1:{self.static_port}/{name}", None),
        )
        with self.whitenoise(name) as base:
            self.load_pair(
                (f"{title}: gunicorn (app server A)", direct, self.proxy_host),
                (f"{title}: WhiteNoise under gunicorn", f"{base}/{name}", None),
            )
        self.results.setdefault("bytes", {})[title] = len(page)

    def measure_uncached(self, title, path):
        self.load_pair(
            (
                f"{title}, uncached: nginx to two app servers",
                f"http://127.0.0.1:{self.two_port}{path}",
                self.proxy_host,
            ),
            (
                f"{title}, uncached: nginx to one app server",
                f"http://127.0.0.1:{self.one_port}{path}",
                self.proxy_host,
            ),
        )

    def whitenoise(self, name):
        """The ceiling: the saved pages as static files, WhiteNoise under wflm/gunicorn.conf.py."""
        port = Ports.free().proxy
        env = self.cluster.app_env(HOST="127.0.0.1", PORT=str(port), BENCH_STATIC_DIR=str(self.static_dir))
        gunicorn = Path(sys.executable).parent / "gunicorn"
        command = [str(gunicorn), "--config", str(GUNICORN_CONFIG), "bench.static_ceiling:application"]
        server = Server("WhiteNoise ceiling", command, WORK_DIR / "whitenoise.log", env=env)
        return _Running(server, f"http://127.0.0.1:{port}", f"/{name}")

    def load_pair(self, ours, ceiling):
        """Measure (title, url, host) ours against ceiling, in rounds ours-ceiling, ceiling-ours, ...

        Other work on a shared machine drifts while the benchmark runs;
        alternating the order cancels a steady drift out of the ratio.
        Each title's req/s is the mean of its rounds.
        """
        for number in range(self.rounds):
            for title, url, host in (ours, ceiling) if number % 2 == 0 else (ceiling, ours):
                self.load(title, url, host)
        for title, _url, _host in (ours, ceiling):
            rounds = self.results["rounds"].pop(title, [])
            if rounds and len(rounds) == self.rounds:
                self.results["load"][title] = rounds[0] | {
                    "rps": sum(figures["rps"] for figures in rounds) / len(rounds),
                    "rounds": rounds,
                }

    def load(self, title, url, host=None):
        try:
            wrk(url, self.warm_seconds, host)
            # Other work on the machine shows in every figure: recorded beside each.
            load_average = os.getloadavg()[0]
            figures = wrk(url, self.seconds, host) | {"load_average_before": load_average}
        except (subprocess.SubprocessError, ValueError, OSError) as error:
            self.results["load"][title] = {"error": str(error).splitlines()[0]}
            self.results["problems"].append(f"{title}: {error}")
            log(f"{title}: failed: {error}")
            return
        self.results["rounds"].setdefault(title, []).append(figures)
        errors = figures["non_2xx"] + figures["socket_errors"]
        log(
            f"{title}: {figures['rps']:,.0f} req/s, p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms"
            + (f", {errors} errors" if errors else "")
            + f" (load average {load_average:.1f})"
        )
        if errors:
            self.results["problems"].append(f"{title}: {errors} non-2xx responses or socket errors")

    # --- Report ---

    def rps(self, title):
        return self.results["load"].get(title, {}).get("rps")

    def ratios(self):
        rows = []
        for title in PAGES:
            rows.append((f"{title}: proxy_cache / nginx static", f"{title}: nginx proxy_cache",
                         f"{title}: nginx, static file", PROXY_TARGET))  # fmt: skip
            rows.append((f"{title}: gunicorn / WhiteNoise", f"{title}: gunicorn (app server A)",
                         f"{title}: WhiteNoise under gunicorn", GUNICORN_TARGET))  # fmt: skip
        rows.append(("uncached: two app servers / one", "default page, uncached: nginx to two app servers",
                     "default page, uncached: nginx to one app server", None))  # fmt: skip
        print("\nRatios (same bytes, same run):")
        for name, ours, ceiling, target in rows:
            if not (self.rps(ours) and self.rps(ceiling)):
                print(f"  {name}: not measured")
                continue
            ratio = self.rps(ours) / self.rps(ceiling)
            verdict = (
                ""
                if target is None
                else (" PASS" if ratio >= target else " FAIL") + f" (target >= {target:.0%})"
            )
            self.results["ratios"][name] = {"ratio": ratio, "target": target}
            print(f"  {name}: {self.rps(ours):,.0f} / {self.rps(ceiling):,.0f} req/s = {ratio:.0%}{verdict}")
        if self.results["problems"]:
            print("\nProblems:\n  " + "\n  ".join(self.results["problems"]))


class _Running:
    """A Server as a `with` block that waits for ready_path, then stops it."""

    def __init__(self, server, base, ready_path):
        self.server, self.base, self.ready_path = server, base, ready_path

    def __enter__(self):
        self.server.start()
        self.server.wait_until(lambda: _answers_200(self.base + self.ready_path), "serve the saved page")
        return self.base

    def __exit__(self, *exc_info):
        self.server.stop()


def _answers_200(url):
    try:
        return http_get(url, timeout=2)[0] == 200
    except OSError:
        return False


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.cluster_bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--seconds", type=int, default=10, help="each wrk run (default 10)")
    parser.add_argument("--warm-seconds", type=int, default=2, help="warm-up before each run (default 2)")
    parser.add_argument(
        "--rounds", type=int, default=2, help="runs of each figure, in alternating order (default 2)"
    )
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("make bench-cluster needs wrk: apt-get install wrk", file=sys.stderr)
        return 2
    bench = Bench(args.seconds, args.warm_seconds, max(1, args.rounds))
    bench.results["settings"] = {
        "command": f"wrk -t{THREADS} -c{CONNECTIONS} -d{args.seconds}s --latency (warmed {args.warm_seconds} s)",
        "rounds": max(1, args.rounds),
        "cpus": os.cpu_count(),
        "machine": platform.platform(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "workers_per_app_server": os.environ.get("WEB_CONCURRENCY", "2"),
    }
    try:
        bench.run()
    except ClusterError as error:
        print(f"make bench-cluster: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    RESULTS_PATH.write_text(json.dumps(bench.results, indent=2))
    print(f"\nWritten to {RESULTS_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
