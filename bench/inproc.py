"""Measurements made inside a Django process: `python -m bench.inproc TASK`.

The benchmark runs each task in a fresh child process whose environment
sets the database and the settings under test (PAGE_CACHE,
COMMENTS_PER_PAGE, ...), exactly as a server would read them. The task's
arguments arrive as JSON on stdin; its result is printed as one JSON line
prefixed with RESULT_PREFIX (anything else the app prints is ignored).

Tasks:
    pages    queries per GET (CaptureQueriesContext) and render times (test client)
    insert   time of a reply POSTed to a post page, in rolled-back transactions
    rss      peak RSS of rendering one page, after a warm-up on another
    explain  EXPLAIN (ANALYZE, BUFFERS) of every query a page or a reply runs
"""

import json
import os
import resource
import statistics
import sys
import time

RESULT_PREFIX = "BENCH-RESULT "
# The test client's requests go to a host ALLOWED_HOSTS accepts by default.
HOST = "127.0.0.1"


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wflm.settings")
    import django

    django.setup()
    from django.test import Client

    return Client(HTTP_HOST=HOST)


def rendered_comments(content):
    """How many comments a page shows (each is an <li id="comment-N">)."""
    return content.count(b'<li id="comment-')


def summary(times):
    """Median, min and max of durations in seconds, in milliseconds."""
    return {
        "times_ms": [time * 1000 for time in times],
        "median_ms": statistics.median(times) * 1000,
        "min_ms": min(times) * 1000,
        "max_ms": max(times) * 1000,
        "n": len(times),
    }


def task_pages(args):
    """Queries per GET and render times for args["urls"] ({label: url})."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _setup()
    urls = args["urls"]
    results = {}
    for label, url in urls.items():
        for _ in range(args.get("warmup", 2)):
            response = client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url}: HTTP {response.status_code}")
        results[label] = {
            "url": url,
            "queries": len(queries.captured_queries),
            "sql": [query["sql"][:300] for query in queries.captured_queries],
            "bytes": len(response.content),
            "rendered": rendered_comments(response.content),
            "times": [],
        }
    # Round-robin over the pages, so a noisy moment on a shared machine
    # spreads over every size instead of landing on one.
    for _ in range(args["repeat"]):
        for label, url in urls.items():
            started = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"GET {url}: HTTP {response.status_code}")
            results[label]["times"].append(elapsed)
    for result in results.values():
        result.update(summary(result.pop("times")) if args["repeat"] else {})
    return results


def _reply_data(parent_id, number):
    """A valid "Leave a Reply" submission, as a browser would send it."""
    data = {
        "name": "Bench Reader",
        "email": f"bench-reader-{number}@example.com",
        "url": "",
        "body": f"Reply number {number} from the benchmark: thanks for this one, the mono pressing is best.",
        "parent": str(parent_id),
    }
    # The anti-bot fields, when the form has them: a page rendered a
    # minute ago, an empty honeypot.
    try:
        from comments import moderation
    except ImportError:
        return data
    if hasattr(moderation, "form_timestamp"):
        data[getattr(moderation, "TIMESTAMP_FIELD", "ts")] = moderation.form_timestamp(time.time() - 60)
    data[getattr(moderation, "HONEYPOT_FIELD", "subject")] = ""
    return data


def _post_reply(client, target, number):
    """POST one reply in a transaction that is rolled back; (seconds, response, stored comment)."""
    from django.db import transaction

    from comments.models import Comment

    data = _reply_data(target["parent_id"], number)
    with transaction.atomic():
        started = time.perf_counter()
        response = client.post(target["url"], data)
        elapsed = time.perf_counter() - started
        stored = Comment.objects.filter(body=data["body"], parent_id=target["parent_id"]).first()
        transaction.set_rollback(True)
    if response.status_code != 302 or stored is None:
        snippet = response.content[:300].decode(errors="replace")
        raise RuntimeError(
            f"reply POST to {target['url']} was not stored (HTTP {response.status_code}): {snippet}"
        )
    return elapsed, stored


def _save_reply(post, target, number):
    """The form alone: CommentForm(...).is_valid() and .save(), rolled back; seconds."""
    from django.db import transaction

    from comments.forms import CommentForm

    data = _reply_data(target["parent_id"], number)
    with transaction.atomic():
        started = time.perf_counter()
        form = CommentForm(post, data=data, ip_address="127.0.0.1", user_agent="bench")
        if not form.is_valid():
            raise RuntimeError(f"reply form invalid: {form.errors.as_text()}")
        form.save()
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def _slowest_queries(client, target, number, count=3):
    """The reply POST's queries, slowest first (Django times them to the millisecond)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        client.post(target["url"], _reply_data(target["parent_id"], number))
        transaction.set_rollback(True)
    captured = sorted(queries.captured_queries, key=lambda query: -float(query["time"]))
    return {
        "queries": len(queries.captured_queries),
        "slowest": [
            {"ms": float(query["time"]) * 1000, "sql": query["sql"][:200]} for query in captured[:count]
        ],
    }


def task_insert(args):
    """Reply POSTs (the real path) and bare form saves into each target thread, alternating, all rolled back."""
    client = _setup()
    from posts.models import Post

    targets = args["targets"]
    posts = {label: Post.objects.get(pk=target["post_id"]) for label, target in targets.items()}
    warmup = args.get("warmup", 3)
    results = {label: {"post": [], "save": [], "depths": set()} for label in targets}
    number = 0
    for round_number in range(warmup + args["repeat"]):
        for label, target in targets.items():
            number += 1
            elapsed, stored = _post_reply(client, target, number)
            number += 1
            saved = _save_reply(posts[label], target, number)
            if round_number >= warmup:
                results[label]["post"].append(elapsed)
                results[label]["save"].append(saved)
                results[label]["depths"].add(stored.depth)
    return {
        label: summary(result["post"])
        | {
            "save": summary(result["save"]),
            "depths": sorted(result["depths"]),
            **_slowest_queries(client, targets[label], number + index + 1),
        }
        for index, (label, result) in enumerate(results.items())
    }


def _max_rss_mb():
    # Linux reports ru_maxrss in kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def task_rss(args):
    """Peak RSS after rendering args["url"] once, with the baseline after a warm-up on args["warm_url"]."""
    client = _setup()
    response = client.get(args["warm_url"])
    if response.status_code != 200:
        raise RuntimeError(f"GET {args['warm_url']}: HTTP {response.status_code}")
    baseline = _max_rss_mb()
    started = time.perf_counter()
    response = client.get(args["url"])
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"GET {args['url']}: HTTP {response.status_code}")
    return {
        "baseline_mb": baseline,
        "peak_mb": _max_rss_mb(),
        "render_ms": elapsed * 1000,
        "rendered": rendered_comments(response.content),
        "bytes": len(response.content),
    }


def _month_archive_url(year, month):
    """The archive's month page, whatever the posts app names it; None if it has none."""
    from django.urls import NoReverseMatch, get_resolver, reverse

    resolver = get_resolver()
    names = [
        f"{namespace}:{name}"
        for namespace, (_prefix, sub_resolver) in resolver.namespace_dict.items()
        for name in sub_resolver.reverse_dict
        if isinstance(name, str) and "month" in name
    ]
    for name in sorted(names):
        try:
            return reverse(name, kwargs={"year": year, "month": month})
        except NoReverseMatch:
            continue
    return None


TABLES = ("comments_comment", "posts_post")


def _explain(sql, writes):
    """EXPLAIN (ANALYZE, BUFFERS) of sql, the second of two runs (warm cache); writes roll back."""
    from django.db import connection, transaction

    plan = []
    for _ in range(2):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = [row[0] for row in cursor.fetchall()]
            if writes:
                transaction.set_rollback(True)
    return plan


def _explain_captured(label, captured, writes_too=False):
    entries = []
    for number, query in enumerate(captured, start=1):
        sql = query["sql"]
        head = sql.lstrip().split(None, 1)[0].upper()
        if not any(table in sql for table in TABLES):
            continue
        if head not in {"SELECT", "WITH"} and not (writes_too and head in {"INSERT", "UPDATE"}):
            continue
        plan = _explain(sql, writes=head != "SELECT")
        seq_scans = sorted({table for line in plan for table in TABLES if f"Seq Scan on {table}" in line})
        entries.append(
            {"label": f"{label} q{number}", "sql": sql, "plan": plan, "seq_scans": seq_scans, "kind": head}
        )
    return entries


def task_explain(args):
    """Capture every query of a post page, a reply POST, the home page and a month archive, then EXPLAIN them."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    client = _setup()
    explained = []
    pages = {"post page": args["post_url"], "home page": "/"}
    archive_url = _month_archive_url(args["year"], args["month"])
    if archive_url:
        pages["month archive"] = archive_url
    for label, url in pages.items():
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url}: HTTP {response.status_code}")
        explained += _explain_captured(label, queries.captured_queries)
    data = _reply_data(args["parent_id"], 1)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        response = client.post(args["post_url"], data)
        transaction.set_rollback(True)
    if response.status_code != 302:
        raise RuntimeError(f"reply POST to {args['post_url']}: HTTP {response.status_code}")
    explained += _explain_captured("comment insert", queries.captured_queries, writes_too=True)
    return {"archive_url": archive_url, "plans": explained}


def task_build_big(args):
    """Fill an empty (migrated) database with args["comments"] comments in SQL; see bench/bigdb.py."""
    _setup()
    from bench import bigdb

    return bigdb.build(args["comments"], args["posts"])


TASKS = {
    "pages": task_pages,
    "insert": task_insert,
    "rss": task_rss,
    "explain": task_explain,
    "build_big": task_build_big,
}


def main():
    task = TASKS[sys.argv[1]]
    result = task(json.loads(sys.stdin.read() or "{}"))
    sys.stdout.write(RESULT_PREFIX + json.dumps(result, default=str) + "\n")


if __name__ == "__main__":
    main()
