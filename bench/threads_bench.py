"""Issue 3, "Threads that scale": the thread benchmark `make bench` runs.

In scratch databases on the server DATABASE_URL points to (<name>_bench,
<name>_bench_xtd, <name>_bench_1m; all dropped at the end) it builds
threads of 0, 10, 100, 1,000 and 10,000 comments and a 5,000-deep reply
chain, then measures side by side in one run:

- queries per post-page GET, and uncached render times (in child
  processes: each reads its settings from the environment, as a server);
- requests/s and p50/p99 under gunicorn (2 workers) and wrk for our
  uncached and cached 1,000-comment page, the same HTML as a static file
  (WhiteNoise, the ceiling), a trivial Django view (the floor) and
  django-comments-xtd rendering the same thread (the peer);
- a reply POSTed into the 10- and the 10,000-comment thread;
- peak RSS of rendering the 10,000-comment page;
- EXPLAIN (ANALYZE, BUFFERS) of the post page, a reply, the home page and
  a month archive at 1,000,000 comments (--no-explain skips it).

Prints a table, the ratios and the issue's targets with PASS/FAIL, and
writes everything to var/bench-results.json.
"""

import argparse
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime

from bench import peer, report, scratch, servers, threadgen
from bench.inproc import RESULT_PREFIX
from bench.scratch import BASE_DIR, WORK_DIR

RESULTS_PATH = BASE_DIR / "var" / "bench-results.json"
EXPLAIN_PATH = BASE_DIR / "var" / "bench-explain.txt"
LOG_DIR = WORK_DIR / "logs"
CHAIN = "chain 5,000"


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer repetitions, 3 s loads, 100,000 comments for EXPLAIN"
    )
    parser.add_argument("--no-explain", action="store_true", help="skip the 1,000,000-comment EXPLAIN step")
    parser.add_argument("--no-peer", action="store_true", help="skip django-comments-xtd")
    parser.add_argument("--no-load", action="store_true", help="skip the gunicorn/wrk measurements")
    return parser.parse_args(argv)


class Plan:
    """How much to measure: the full run, or --quick for development."""

    def __init__(self, quick):
        self.quick = quick
        self.sizes = [0, 10, 100, 1_000, 10_000]
        self.chain = 5_000
        self.render_repeat = 3 if quick else 12
        self.paged_repeat = 2 if quick else 5
        self.peer_repeat = 3 if quick else 10
        self.insert_repeat = 5 if quick else 25
        self.load_seconds = 3 if quick else 15
        self.warm_seconds = 1 if quick else 3
        self.big_comments = 100_000 if quick else 1_000_000
        self.big_posts = 2_000 if quick else 10_000


def label(size):
    return f"{size:,}"


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run_task(task, args, env):
    """Run a bench.inproc task in a child process; return its result."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.inproc", task],
        input=json.dumps(args),
        capture_output=True,
        text=True,
        cwd=BASE_DIR,
        env=env,
        timeout=1800,
    )
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX) :])
    raise RuntimeError(f"bench.inproc {task} failed ({done.returncode}):\n{done.stderr.strip()[-2000:]}")


# --- Steps -----------------------------------------------------------------------


def build_threads(plan):
    """The benchmark posts in the (migrated) main scratch database; {label: post}."""
    rng = random.Random(20090512)
    people = threadgen.People(rng)
    posts = {}
    for size in plan.sizes:
        started = time.perf_counter()
        shape = threadgen.thread_shape(size, rng)
        post = threadgen.create_thread_post(f"thread-{size}", shape, rng, people, threadgen.BENCH_DATE)
        threadgen.check_thread(post, shape)
        posts[label(size)] = post
        log(f"built the {size:,}-comment thread in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    shape = threadgen.chain_shape(plan.chain)
    post = threadgen.create_thread_post(f"chain-{plan.chain}", shape, rng, people, threadgen.BENCH_DATE)
    threadgen.check_thread(post, shape)
    posts[CHAIN] = post
    log(f"built the {plan.chain:,}-deep reply chain in {time.perf_counter() - started:.1f} s")
    return posts


def reply_parent(post):
    """A depth-2 comment in the middle of post's thread (the same kind of parent in every size)."""
    from comments.models import Comment

    replies = Comment.objects.filter(post=post, depth=2).order_by("id").values_list("id", flat=True)
    ids = list(replies) or list(Comment.objects.filter(post=post).values_list("id", flat=True))
    return ids[len(ids) // 2]


def measure_pages(results, plan, posts, url):
    urls = {name: post.get_absolute_url() for name, post in posts.items()}
    log(f"rendering every thread in-process, uncached, whole thread ({plan.render_repeat} rounds)")
    env = scratch.app_env(url, PAGE_CACHE="off", COMMENTS_PER_PAGE="0")
    results["threads"] = run_task("pages", {"urls": urls, "repeat": plan.render_repeat}, env)
    for name, row in results["threads"].items():
        expected = posts[name].comments.count()
        if row["rendered"] != expected:
            results["problems"].append(
                f"{name}: {row['rendered']:,} of {expected:,} comments shown with COMMENTS_PER_PAGE=0"
            )
    log("rendering the first page of each thread with the default page size")
    paged_urls = {name: address for name, address in urls.items() if name != CHAIN}
    env = scratch.app_env(url, PAGE_CACHE="off")
    results["paged"] = run_task("pages", {"urls": paged_urls, "repeat": plan.paged_repeat}, env)


def measure_inserts(results, plan, posts, url):
    log(f"posting replies into the 10- and 10,000-comment threads ({plan.insert_repeat} each)")
    targets = {
        name: {
            "url": posts[name].get_absolute_url(),
            "post_id": posts[name].pk,
            "parent_id": reply_parent(posts[name]),
        }
        for name in (label(10), label(10_000))
    }
    # Moderation rules that would refuse a benchmark's rapid replies from
    # one address are turned off; every reply still goes through them.
    env = scratch.app_env(
        url,
        COMMENTS_FLOOD_SECONDS="0",
        COMMENTS_MAX_PER_HOUR="0",
        COMMENTS_MIN_SUBMIT_SECONDS="0",
        COMMENTS_REQUIRE_PREVIOUSLY_APPROVED="off",
    )
    results["insert"] = run_task("insert", {"targets": targets, "repeat": plan.insert_repeat}, env)


def measure_rss(results, posts, url):
    log("peak RSS of a process rendering the 10,000-comment page")
    env = scratch.app_env(url, PAGE_CACHE="off", COMMENTS_PER_PAGE="0")
    args = {"warm_url": posts[label(0)].get_absolute_url(), "url": posts[label(10_000)].get_absolute_url()}
    results["rss"] = run_task("rss", args, env)


def prepare_peer(results, plan, base_url, names, post, url):
    """Install, migrate and load the peer, then time its renders alternately with ours.

    Returns (peer database URL, page path), or (None, None) with the
    reason in results["peer"].
    """
    try:
        version = peer.ensure_installed(log)
        log(f"django-comments-xtd {version}: loading the 1,000-comment thread through XtdComment.save()")
        peer_url = scratch.create(base_url, names["peer"])
        started = time.perf_counter()
        path = peer.prepare(peer_url, threadgen.export_thread(post), WORK_DIR)
        log(f"loaded into xtd in {time.perf_counter() - started:.1f} s")
    except (peer.PeerUnavailable, subprocess.SubprocessError, OSError) as error:
        reason = str(error).strip().splitlines()[-1][:300] if str(error).strip() else type(error).__name__
        log(f"django-comments-xtd unavailable: {reason}")
        results["peer"] = {"reason": reason}
        return None, None
    # Ours and xtd's renders of the same thread, in alternating batches,
    # so a busy moment on a shared machine hits both.
    log(
        f"rendering the 1,000-comment thread in-process, ours and xtd's alternately ({plan.peer_repeat} each)"
    )
    ours_env = scratch.app_env(url, PAGE_CACHE="off", COMMENTS_PER_PAGE="0")
    ours_times, xtd_times, render = [], [], {}
    batch = max(1, plan.peer_repeat // 2)
    for _ in range(2):
        ours = run_task("pages", {"urls": {"1,000": post.get_absolute_url()}, "repeat": batch}, ours_env)
        ours_times += ours["1,000"]["times_ms"]
        render = peer.render_times(peer_url, path, batch)
        xtd_times += render["times_ms"]
    results["peer"] = {"version": version, "path": path, **render, **summary_ms(xtd_times)}
    results["paired_render"] = {"ours": summary_ms(ours_times), "xtd": summary_ms(xtd_times)}
    if render["rendered"] != post.comments.count():
        results["problems"].append(f"xtd showed {render['rendered']} of {post.comments.count()} comments")
    return peer_url, path


def summary_ms(times_ms):
    return {
        "times_ms": times_ms,
        "median_ms": statistics.median(times_ms),
        "min_ms": min(times_ms),
        "max_ms": max(times_ms),
        "n": len(times_ms),
    }


def _load_one(results, plan, key, title, start_server, path):
    """Start a server, warm it, load it with wrk; record the figures (or the error)."""
    try:
        with start_server() as base:
            status, body = servers.fetch(base + path)
            if status != 200:
                raise RuntimeError(f"GET {path}: HTTP {status}")
            load_average = os.getloadavg()[0]
            servers.load(base + path, plan.warm_seconds)
            # Requests the warm-up left queued must not eat into the measured run.
            for _ in range(servers.WORKERS):
                servers.fetch(base + path)
            figures = servers.load(base + path, plan.load_seconds)
            results["load"][key] = {
                "title": title,
                "bytes": len(body),
                "load_average_before": load_average,
                **figures,
            }
            log(
                f"{title}: {figures['rps']:.1f} req/s, p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms"
            )
            return body
    except (RuntimeError, subprocess.SubprocessError, OSError, ValueError) as error:
        results["load"][key] = {"title": title, "error": str(error).splitlines()[0]}
        results["problems"].append(f"{title}: {error}")
        log(f"{title}: failed: {error}")
        return None


def measure_load(results, plan, url, post, peer_target):
    gunicorn = BASE_DIR / ".venv" / "bin" / "gunicorn"
    if not gunicorn.exists():
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    results["load"] = {}
    tool = "wrk" if servers.shutil.which("wrk") else "python load generator (wrk not installed)"
    results["load_settings"] = {
        "command": f"wrk -t{servers.THREADS} -c{servers.CONNECTIONS} -d{plan.load_seconds}s --latency "
        f"--timeout {servers.WRK_TIMEOUT}"
        if tool == "wrk"
        else f"python load generator, {servers.CONNECTIONS} connections, {plan.load_seconds} s",
        "warm_up_s": plan.warm_seconds,
    }
    path = post.get_absolute_url()
    log(f"load: each server warmed {plan.warm_seconds} s, then {results['load_settings']['command']}")

    def ours(**overrides):
        env = scratch.app_env(url, **overrides)
        return lambda: servers.gunicorn(
            "ours", gunicorn, "wflm.wsgi", cwd=BASE_DIR, env=env, log_dir=LOG_DIR, ready_path=path
        )

    _load_one(
        results,
        plan,
        "ours uncached",
        "ours, 1,000 comments, uncached",
        ours(PAGE_CACHE="off", COMMENTS_PER_PAGE="0"),
        path,
    )
    page = _load_one(
        results, plan, "ours cached", "ours, 1,000 comments, cached", ours(COMMENTS_PER_PAGE="0"), path
    )
    if page is not None:
        ceiling_dir = WORK_DIR / "ceiling"
        ceiling_dir.mkdir(parents=True, exist_ok=True)
        (ceiling_dir / "page.html").write_bytes(page)
        env = scratch.app_env(url, BENCH_STATIC_DIR=str(ceiling_dir))
        _load_one(
            results,
            plan,
            "static",
            "same HTML, static file (WhiteNoise)",
            lambda: servers.gunicorn(
                "static",
                gunicorn,
                "bench.static_ceiling:application",
                cwd=BASE_DIR,
                env=env,
                log_dir=LOG_DIR,
                ready_path="/page.html",
            ),
            "/page.html",
        )
    _load_one(
        results,
        plan,
        "floor",
        "trivial Django view (floor)",
        lambda: servers.gunicorn(
            "floor",
            gunicorn,
            "bench.floor_app:application",
            cwd=BASE_DIR,
            env=dict(os.environ),
            log_dir=LOG_DIR,
        ),
        "/",
    )
    peer_url, peer_path = peer_target
    if peer_url:
        _load_one(
            results,
            plan,
            "xtd",
            "django-comments-xtd, 1,000 comments",
            lambda: servers.gunicorn(
                "xtd",
                peer.GUNICORN,
                "peer.wsgi",
                cwd=peer.PEER_DIR,
                env=peer.env(peer_url),
                log_dir=LOG_DIR,
                ready_path=peer_path,
            ),
            peer_path,
        )
    else:
        results["load"]["xtd"] = {
            "title": "django-comments-xtd, 1,000 comments",
            "error": results.get("peer", {}).get("reason", "not measured"),
        }


def measure_explain(results, plan, base_url, names):
    log(f"EXPLAIN: building {plan.big_comments:,} comments in SQL (thread trigger on)")
    big_url = scratch.create(base_url, names["big"])
    try:
        scratch.migrate(big_url)
        env = scratch.app_env(big_url, PAGE_CACHE="off")
        build = run_task("build_big", {"comments": plan.big_comments, "posts": plan.big_posts}, env)
        log(f"built {build['comments']:,} comments ({build['table_size']}); EXPLAINing")
        env = scratch.app_env(
            big_url,
            PAGE_CACHE="off",
            COMMENTS_FLOOD_SECONDS="0",
            COMMENTS_MAX_PER_HOUR="0",
            COMMENTS_MIN_SUBMIT_SECONDS="0",
            COMMENTS_REQUIRE_PREVIOUSLY_APPROVED="off",
        )
        args = {key: build[key] for key in ("post_url", "parent_id", "year", "month")}
        explained = run_task("explain", args, env)
        results["explain"] = {
            "build": build,
            **explained,
            "plans_file": str(EXPLAIN_PATH.relative_to(BASE_DIR)),
        }
        EXPLAIN_PATH.write_text(report.explain_text(results["explain"]))
    finally:
        scratch.drop(base_url, names["big"])


def server_version(url):
    import psycopg2

    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0]
    finally:
        connection.close()


# --- Main ------------------------------------------------------------------------


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    plan = Plan(args.quick)
    base_url = scratch.server_url()
    if not base_url:
        return 2
    # SIGTERM (e.g. from `python -m wflm.localdb run`) unwinds like Ctrl-C,
    # so every server is stopped and every scratch database dropped.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    base = scratch.database_name(base_url)
    names = {"main": f"{base}_bench", "peer": f"{base}_bench_xtd", "big": f"{base}_bench_1m"}
    started = time.monotonic()
    results = {
        "meta": {
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "quick": plan.quick,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "postgres": server_version(base_url),
            "load_tool": "wrk" if servers.shutil.which("wrk") else "python",
        },
        "problems": [],
    }
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    saved_environ = dict(os.environ)
    try:
        run(results, plan, args, base_url, names)
    except KeyboardInterrupt:
        results["problems"].append("interrupted")
        log("interrupted: servers stopped; dropping the scratch databases")
        interrupted = True
    else:
        interrupted = False
    finally:
        # What runs next (the import benchmark) gets the caller's DATABASE_URL back.
        os.environ.clear()
        os.environ.update(saved_environ)
        if "django.db" in sys.modules:
            from django.conf import settings
            from django.db import connections

            if settings.configured:
                connections.close_all()
        for name in names.values():
            try:
                scratch.drop(base_url, name)
            except Exception as error:  # noqa: BLE001 (report, then go on dropping the others)
                results["problems"].append(f"could not drop {name}: {error}")
        results["duration_s"] = time.monotonic() - started
        report.compute(results)
        RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
        RESULTS_PATH.write_text(json.dumps(results, indent=2, default=str))
    if interrupted:
        print(f"Interrupted; partial results in {RESULTS_PATH.relative_to(BASE_DIR)}")
        return 130
    print(report.render(results))
    print(f"\nResults written to {RESULTS_PATH.relative_to(BASE_DIR)}")
    return 0


def run(results, plan, args, base_url, names):
    log(f"scratch database {names['main']} on the server DATABASE_URL names")
    url = scratch.create(base_url, names["main"])
    scratch.migrate(url)
    scratch.collectstatic(url)
    # This process builds the threads through the models, on the scratch database.
    os.environ.update(scratch.app_env(url))
    import django

    django.setup()
    results["meta"]["django"] = django.get_version()
    posts = build_threads(plan)
    step(results, "in-process renders", measure_pages, results, plan, posts, url)
    step(results, "inserts", measure_inserts, results, plan, posts, url)
    step(results, "RSS", measure_rss, results, posts, url)
    peer_target = (None, None)
    if args.no_peer:
        results["peer"] = {"reason": "skipped (--no-peer)"}
    else:
        peer_target = step(
            results,
            "django-comments-xtd",
            prepare_peer,
            results,
            plan,
            base_url,
            names,
            posts[label(1_000)],
            url,
        )
        if not peer_target:
            results.setdefault("peer", {}).setdefault("reason", "failed (see Problems)")
            peer_target = (None, None)
    if not args.no_load:
        step(results, "load", measure_load, results, plan, url, posts[label(1_000)], peer_target)
    if args.no_explain:
        results["explain"] = {"skipped": "--no-explain"}
    else:
        step(results, "EXPLAIN", measure_explain, results, plan, base_url, names)


def step(results, name, function, *args):
    """Run one measurement; a failure is reported in the results and the next one still runs."""
    try:
        return function(*args)
    except (RuntimeError, subprocess.SubprocessError, OSError, ValueError, LookupError) as error:
        results["problems"].append(f"{name} failed: {str(error).strip()[-1500:]}")
        log(f"{name} failed: {str(error).strip().splitlines()[-1] if str(error).strip() else error!r}")
