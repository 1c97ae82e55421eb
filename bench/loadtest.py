"""`make loadtest` (not in CI): readers and commenters at once, then abusive clients.

In a scratch database (<name>_loadtest on the server DATABASE_URL points
to, dropped at the end) it loads an archive of 30 posts and a few hundred
approved comments, starts gunicorn (2 workers, the app's own settings,
BEHIND_PROXY=on so each client's X-Forwarded-For is its address), then:

1. for --seconds (60) runs wrk readers over the home page and several post
   pages while 50 commenters, one cookie jar and one address each, post
   1,000 replies through the real form (GET the page, send back every
   input of form#commentform), half of them to an existing comment,
   retrying on 503 or a dropped connection with the same form data (one
   reply in 20 has its connection closed before the answer on purpose, so
   every run retries a reply the server has already stored); then checks
   in the database that each reply is stored exactly once, approved,
   under the right parent, with a consistent path and depth;
2. abusive clients: a 10 MB POST, sent slowly, must be refused before it
   is read; then 1,000 rapid POSTs from one address with flood control at
   its defaults must get 429 while a wrk reader keeps getting 200s.

Prints the figures and the targets (PASS/FAIL) and writes everything to
var/loadtest-results.json.
"""

import argparse
import http.client
import json
import math
import os
import random
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from http.cookiejar import CookieJar

from bench import scratch, servers, threadgen
from bench.scratch import BASE_DIR, WORK_DIR

RESULTS_PATH = BASE_DIR / "var" / "loadtest-results.json"
LOG_DIR = WORK_DIR / "logs"
SCRIPT_PATH = WORK_DIR / "loadtest-readers.lua"

POSTS = 30
COMMENTERS = 50
READ_POSTS = 6  # post pages in the readers' rotation, besides the home page
READER_P99_TARGET_MS = 100
BIG_POST_BYTES = 10 * 1024 * 1024
# The big POST is sent at this rate, so a server that reads it all takes
# seconds to answer and one that refuses it early answers at once.
BIG_POST_RATE = 2 * 1024 * 1024
FLOOD_POSTS = 1_000
FLOOD_CONNECTIONS = 8
FLOOD_READ_SECONDS = 10
RETRIES = 5
TIMEOUT = 30
# One reply in this many is sent, then its connection closed before the
# answer comes back; the commenter sends the same form again.
LOST_ANSWER_EVERY = 20

# The main run: every moderation rule still runs, but none that would
# refuse or hold a benchmark's replies (a real commenter is slower than
# 3 s and has been approved before).
MAIN_SETTINGS = {
    "BEHIND_PROXY": "on",
    "COMMENTS_REQUIRE_PREVIOUSLY_APPROVED": "off",
    "COMMENTS_MIN_SUBMIT_SECONDS": "0",
    "COMMENTS_FLOOD_SECONDS": "0",
    "COMMENTS_MAX_PER_HOUR": "0",
}
# The abusive-clients phase: flood control back at its defaults.
FLOOD_SETTINGS = MAIN_SETTINGS | {"COMMENTS_FLOOD_SECONDS": "15", "COMMENTS_MAX_PER_HOUR": "10"}


def log(message):
    print(f"[loadtest {time.strftime('%H:%M:%S')}] {message}", flush=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.loadtest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="length of the main run (default 60)")
    parser.add_argument("--replies", type=int, default=1_000, help="replies posted in the main run")
    parser.add_argument("--quick", action="store_true", help="15 s and 200 replies")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.replies = 15, 200
    return args


# --- Pure helpers (bench/test_loadtest_helpers.py) ------------------------------------


class _FormParser(HTMLParser):
    """Every successful control of one form, as a browser would submit it."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.found = self.inside = False
        self.action, self.method, self.fields = "", "get", []
        self._textarea = self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            if attrs.get("id") == self.form_id and not self.found:
                self.found = self.inside = True
                self.action = attrs.get("action") or ""
                self.method = (attrs.get("method") or "get").lower()
            return
        if tag == "option" and self._select is not None:
            self._select[1].append((attrs.get("value") or "", "selected" in attrs))
            return
        name = attrs.get("name")
        if not self.inside or not name or "disabled" in attrs:
            return
        kind = (attrs.get("type") or "text").lower()
        if tag == "input":
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.fields.append((name, attrs.get("value") or "on"))
            elif kind not in ("submit", "button", "image", "reset", "file"):
                self.fields.append((name, attrs.get("value") or ""))
        elif tag == "textarea":
            self._textarea = (name, [])
        elif tag == "select":
            self._select = (name, [])

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "textarea" and self._textarea:
            name, parts = self._textarea
            # HTML drops one newline right after <textarea>.
            self.fields.append((name, "".join(parts).removeprefix("\n")))
            self._textarea = None
        elif tag == "select" and self._select:
            name, options = self._select
            chosen = [value for value, selected in options if selected] or [value for value, _ in options[:1]]
            self.fields.extend((name, value) for value in chosen)
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self._textarea[1].append(data)


def parse_form(html, form_id="commentform"):
    """{"action", "method", "fields": [(name, value)]} of form#form_id; ValueError if absent."""
    parser = _FormParser(form_id)
    parser.feed(html)
    parser.close()
    if not parser.found:
        raise ValueError(f"no form#{form_id} in the page")
    return {"action": parser.action, "method": parser.method, "fields": parser.fields}


def fill_form(fields, values):
    """fields with values put in: each named input set once, in place; new names appended."""
    filled, done = [], set()
    for name, value in fields:
        if name in values:
            if name in done:
                continue
            value = values[name]
            done.add(name)
        filled.append((name, value))
    filled += [(name, value) for name, value in values.items() if name not in done]
    return filled


def percentile(values, percent):
    """The nearest-rank percentile (the smallest value with percent% at or below it); None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def marker(run, number):
    return f"[{run}-{number:05d}]"


def marker_number(body, run):
    """The reply number in body's marker, or None."""
    match = re.search(rf"\[{re.escape(run)}-(\d+)\]", body)
    return int(match[1]) if match else None


def status_class_counts(statuses):
    """{"2xx": n, "3xx": n, ...} from a {status: count} mapping, with "errors" for non-HTTP failures."""
    counts = Counter()
    for status, count in statuses.items():
        key = f"{str(status)[0]}xx" if str(status).isdigit() else "errors"
        counts[key] += count
    return dict(sorted(counts.items()))


def parse_status_lines(output):
    """{status: count} from the lines the readers' Lua script prints ("status 200 1234")."""
    return {
        int(code): int(count) for code, count in re.findall(r"^status (\d+) (\d+)$", output, re.MULTILINE)
    }


MAX_PATH_IDS = 32  # comments/migrations/0002_thread_trigger.py


def check_replies(total, expected, rows, others):
    """Is each planned reply stored exactly once, approved, where it was sent?

    total: replies planned (numbered 0..total-1); expected: {number:
    {"parent": id or None, "post": id}} for the ones sent; rows: the stored
    comments carrying a marker, as dicts with number, id, parent_id,
    post_id, status, depth, path; others: {id: {"depth", "path"}} for
    parents that are not replies themselves.
    """
    by_number = {}
    for row in rows:
        by_number.setdefault(row["number"], []).append(row)
    nodes = {row["id"]: row for row in rows} | others
    problems = {
        "missing": [],
        "duplicated": [],
        "not_approved": [],
        "wrong_parent": [],
        "wrong_post": [],
        "bad_thread": [],
        "unexpected": sorted(number for number in by_number if not 0 <= number < total),
    }
    for number in range(total):
        found = by_number.get(number, [])
        if not found:
            problems["missing"].append(number)
            continue
        if len(found) > 1:
            problems["duplicated"].append(number)
        row, wanted = found[0], expected.get(number)
        if row["status"] != "approved":
            problems["not_approved"].append(number)
        if wanted is None or row["parent_id"] != wanted["parent"]:
            problems["wrong_parent"].append(number)
        if wanted is not None and row["post_id"] != wanted["post"]:
            problems["wrong_post"].append(number)
        if not thread_consistent(row, nodes.get(row["parent_id"])):
            problems["bad_thread"].append(number)
    stored = sum(1 for number in range(total) if number in by_number)
    return {
        "planned": total,
        "stored": stored,
        "rows": len(rows),
        "ok": not any(problems.values()),
        **{key: len(value) for key, value in problems.items()},
        "examples": {key: value[:10] for key, value in problems.items() if value},
    }


def thread_consistent(row, parent):
    """path ends with the row's id and extends its parent's path; depth is the parent's + 1."""
    path = list(row["path"])
    if not path or path[-1] != row["id"]:
        return False
    if row["parent_id"] is None:
        return row["depth"] == 1 and path == [row["id"]]
    if parent is None or row["depth"] != parent["depth"] + 1:
        return False
    parent_path = list(parent["path"])
    if row["depth"] <= MAX_PATH_IDS:
        return path == parent_path + [row["id"]]
    # Deeper than a path holds: the first 31 ids are kept, then its own.
    return len(path) == MAX_PATH_IDS and path[:-1] == parent_path[: MAX_PATH_IDS - 1]


def summarise_ms(values):
    return {
        "n": len(values),
        "p50_ms": percentile(values, 50),
        "p99_ms": percentile(values, 99),
        "max_ms": max(values) if values else None,
    }


# --- The archive -------------------------------------------------------------------------


def build_archive(rng):
    """30 posts with 0–24 approved comments each, threaded; [(path, post id, [comment ids])]."""
    from comments.models import Comment

    people = threadgen.People(rng)
    archive = []
    for number in range(POSTS):
        shape = threadgen.thread_shape(rng.randint(0, 24), rng)
        published_at = threadgen.BENCH_DATE + timedelta(days=7 * number)
        post = threadgen.create_thread_post(f"load-{number}", shape, rng, people, published_at)
        ids = list(Comment.objects.filter(post=post).order_by("id").values_list("id", flat=True))
        archive.append((urllib.parse.quote(post.get_absolute_url()), post.pk, ids))
    return archive


# --- HTTP clients ------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # The commenter reads the redirect (it names the new comment) rather than following it.
    def redirect_request(self, *args, **kwargs):
        return None


class Commenter:
    """One reader leaving replies: own cookie jar, own address, own pace."""

    def __init__(self, index, base, stats):
        self.index, self.base, self.stats = index, base, stats
        self.address = f"10.0.{index // 250}.{index % 250 + 1}"
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)
        self.rng = random.Random(index)

    def headers(self, extra=None):
        return {"X-Forwarded-For": self.address, "User-Agent": f"wflm-loadtest commenter {self.index}"} | (
            extra or {}
        )

    def request(self, method, url, data=None, headers=None):
        """(status, headers, body text, ms); raises OSError when the connection fails."""
        request = urllib.request.Request(url, data=data, headers=self.headers(headers), method=method)  # noqa: S310 (loopback)
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=TIMEOUT) as response:
                status, head, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, head, body = error.code, error.headers, error.read()
        except (urllib.error.URLError, http.client.HTTPException) as error:
            raise ConnectionError(str(error)) from error
        return status, head, body.decode("utf-8", "replace"), (time.perf_counter() - started) * 1000

    def send_and_hang_up(self, url, data, headers):
        """POST and close the connection unread: as if the answer were lost on its way back.

        The server still stores the reply; the retry that follows, with the
        same form data, must not store it again.
        """
        request = urllib.request.Request(url, data=data, headers=self.headers(headers), method="POST")  # noqa: S310
        self.jar.add_cookie_header(request)
        parts = urllib.parse.urlsplit(url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)
        try:
            connection.request("POST", parts.path, body=data, headers=dict(request.header_items()))
        finally:
            connection.close()
        self.stats.count("answers lost (hung up), then retried")

    def get_form(self, path):
        """GET the page (retrying 503s and dropped connections); its comment form."""
        for attempt in range(RETRIES + 1):
            try:
                status, _, body, ms = self.request("GET", self.base + path)
            except (OSError, ConnectionError):
                self.stats.count("get", "connection error")
            else:
                self.stats.count("get", status, ms)
                if status == 200:
                    return parse_form(body)
                if status != 503:
                    raise RuntimeError(f"GET {path}: HTTP {status}")
            time.sleep(0.2 * (attempt + 1))
        raise RuntimeError(f"GET {path}: no answer after {RETRIES} retries")

    def reply(self, number, job, body):
        """Post one reply through the form; (stored, the new comment's id or None)."""
        path, post_id, parent = job["path"], job["post"], job["parent"]
        page = path + (f"?replytocom={parent}" if parent else "")
        form = self.get_form(page)
        fields = dict(form["fields"])
        values = {
            "name": f"Load Commenter {self.index}",
            "email": f"commenter{self.index}@example.com",
            "body": body,
        }
        if parent and fields.get("parent") != str(parent):
            # The thread page shown did not hold the parent: set it as the page's script does.
            self.stats.count("parent set by client")
        values["parent"] = str(parent) if parent else ""
        self.stats.expect(number, {"parent": parent, "post": post_id})
        data = urllib.parse.urlencode(fill_form(form["fields"], values)).encode()
        target = urllib.parse.urljoin(self.base + page, form["action"]).split("#")[0]
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": self.base + page,
            "Origin": self.base,
        }
        for attempt in range(RETRIES + 1):
            status = None
            try:
                if attempt == 0 and job.get("drop"):
                    self.send_and_hang_up(target, data, headers)
                else:
                    status, head, text, ms = self.request("POST", target, data, headers)
                    self.stats.count("post", status, ms)
            except (OSError, ConnectionError):
                self.stats.count("post", "connection error")
            if status in (301, 302, 303):
                found = re.search(r"#comment-(\d+)", head.get("Location", ""))
                return True, int(found[1]) if found else None
            if status == 409 and attempt:
                # A retry of a reply the server had stored: the duplicate rule recognised it.
                self.stats.count("retry found it stored")
                return True, None
            if status not in (None, 503):
                self.stats.failure(number, status, text)
                return False, None
            self.stats.count("post retries")
            time.sleep(0.2 * (attempt + 1))
        self.stats.failure(number, "gave up", "")
        return False, None


class WriterStats:
    """What the commenters saw, shared between their threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.statuses = {"get": Counter(), "post": Counter()}
        self.latencies = {"get": [], "post": []}
        self.events = Counter()
        self.expected = {}
        self.failures = []
        self.done = 0

    def count(self, kind, status=None, ms=None):
        with self.lock:
            if status is None:
                self.events[kind] += 1
                return
            self.statuses[kind][status] += 1
            if ms is not None:
                self.latencies[kind].append(ms)

    def expect(self, number, where):
        with self.lock:
            self.expected[number] = where

    def failure(self, number, status, text):
        message = re.search(r'role="alert">\s*(?:<ul[^>]*><li>)?([^<]{0,200})', text or "")
        with self.lock:
            self.failures.append(
                {"reply": number, "status": status, "message": message[1] if message else ""}
            )


def run_commenters(base, archive, run, replies, seconds, stop):
    """COMMENTERS threads posting `replies` replies, spread over 95% of seconds."""
    stats = WriterStats()
    pools = {post_id: list(ids) for _, post_id, ids in archive}
    with_comments = [entry for entry in archive if entry[2]]
    pool_lock = threading.Lock()
    per_commenter = math.ceil(replies / COMMENTERS)
    interval = 0.95 * seconds / per_commenter
    started = time.monotonic()

    def commenter(index):
        client = Commenter(index, base, stats)
        for slot, number in enumerate(range(index, replies, COMMENTERS)):
            # Staggered: commenter i's k-th reply is due at (k + i/50) intervals.
            delay = started + (slot + index / COMMENTERS) * interval - time.monotonic()
            if stop.wait(max(0, delay)):
                return
            with pool_lock:
                # Odd replies answer a comment (archive or new), even ones start a conversation.
                path, post_id, _ = client.rng.choice(with_comments if number % 2 else archive)
                parent = client.rng.choice(pools[post_id]) if number % 2 else None
            body = threadgen.body_text(client.rng) + f"\n\nReply {marker(run, number)}"
            try:
                job = {
                    "path": path,
                    "post": post_id,
                    "parent": parent,
                    "drop": number % LOST_ANSWER_EVERY == 7,
                }
                stored, new_id = client.reply(number, job, body)
            except (RuntimeError, ValueError) as error:
                stats.failure(number, "error", str(error))
                continue
            with pool_lock:
                stats.done += stored
                if new_id:
                    pools[post_id].append(new_id)

    threads = [threading.Thread(target=commenter, args=(index,), daemon=True) for index in range(COMMENTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(0.5)
    stats.elapsed = time.monotonic() - started
    return stats


# --- Readers (wrk) ---------------------------------------------------------------------------

LUA = """
-- The readers: rotate over the paths; count every status (wrk only counts non-2xx/3xx).
local paths = {%(paths)s}
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  statuses = {}
  n = id
end
function request()
  n = n + 1
  return wrk.format("GET", paths[n %% #paths + 1], {["X-Forwarded-For"] = "10.200.0." .. (id + 1)})
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for code, count in pairs(thread:get("statuses")) do
      total[code] = (total[code] or 0) + count
    end
  end
  for code, count in pairs(total) do
    io.write(string.format("status %%d %%d\\n", code, count))
  end
end
"""


def ensure_wrk():
    """wrk's path, installing it with apt-get when missing (the readers need its Lua scripts)."""
    if not shutil.which("wrk") and shutil.which("apt-get"):
        log("wrk is not installed: apt-get install wrk")
        prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
        subprocess.run([*prefix, "apt-get", "install", "-y", "-q", "wrk"], check=False, timeout=600)
    wrk = shutil.which("wrk")
    if not wrk:
        raise RuntimeError("wrk is needed for the readers: install it (apt-get install wrk)")
    return wrk


def start_readers(wrk, base, paths, seconds):
    """A wrk -t2 -c8 run over paths in the background; finish_readers() gives its figures."""
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    SCRIPT_PATH.write_text(LUA % {"paths": ", ".join(json.dumps(path) for path in paths)})
    command = [
        wrk,
        f"-t{servers.THREADS}",
        f"-c{servers.CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        servers.WRK_TIMEOUT,
        "-s",
        str(SCRIPT_PATH),
        base + "/",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return process, " ".join(command[1:-1]).replace(str(SCRIPT_PATH), SCRIPT_PATH.name)


def stop_process(process):
    if process.poll() is None:
        process.kill()
        process.wait()


def finish_readers(process, seconds):
    try:
        output, errors = process.communicate(timeout=seconds + 60)
    finally:
        stop_process(process)
    if process.returncode:
        raise RuntimeError(f"wrk failed ({process.returncode}): {errors.strip()[-500:]}")
    figures = servers.parse_wrk(output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if errors:
        figures["socket_error_kinds"] = dict(
            zip(("connect", "read", "write", "timeout"), map(int, errors.groups()), strict=True)
        )
    statuses = parse_status_lines(output)
    figures["statuses"] = statuses
    figures["status_classes"] = status_class_counts(statuses)
    return figures


def reader_paths(base, archive):
    """The home page, the busiest post pages, and /search/ when the app has it."""
    busiest = sorted(archive, key=lambda entry: -len(entry[2]))[:READ_POSTS]
    paths = ["/", "/?page=2", *(path for path, _, _ in busiest)]
    for path in ("/search/?q=trumpet",):
        status, _ = servers.fetch(base + path)
        if status == 200:
            paths.append(path)
    return paths


# --- Abusive clients ---------------------------------------------------------------------------


def big_post(base, path, size=BIG_POST_BYTES, rate=BIG_POST_RATE):
    """POST a form of size bytes to path, sent at rate bytes/s; when and how the server answered.

    Sent slowly on purpose: on loopback 10 MB take milliseconds, so only a
    slow sender shows whether the server waits for the whole body (the
    answer comes after size/rate seconds) or refuses it from its headers.
    """
    host, port = base.split("//")[1].split(":")
    # A real reader's cookie and form first, so a refusal is about the size, not CSRF.
    client = Commenter(9_000, base, WriterStats())
    form = client.get_form(path)
    cookie = "; ".join(f"{c.name}={c.value}" for c in client.jar)
    fields = [(name, value) for name, value in form["fields"] if name != "body"]
    prefix = urllib.parse.urlencode(fields).encode() + b"&body="
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {size}\r\n"
        f"Cookie: {cookie}\r\nOrigin: {base}\r\nReferer: {base}{path}\r\n"
        "X-Forwarded-For: 10.66.0.1\r\nConnection: close\r\n\r\n"
    ).encode()
    sock = socket.create_connection((host, int(port)), timeout=TIMEOUT)
    sent, answer, outcome, answered_at = 0, b"", "the whole body was sent", None
    started = time.perf_counter()
    deadline = started + size / rate + TIMEOUT
    try:
        sock.sendall(head + prefix)
        sent = len(prefix)
        chunk = b"x" * 65536
        while sent < size:
            readable, writable, _ = select.select([sock], [sock], [], 1.0)
            if readable:
                answered_at = time.perf_counter()
                outcome = "answered before the body was sent"
                break
            if time.perf_counter() > deadline:
                outcome = "the server stopped reading without answering"
                break
            if writable:
                sent += sock.send(chunk[: size - sent])
                # Throttled: never ahead of rate.
                ahead = sent / rate - (time.perf_counter() - started)
                if ahead > 0:
                    time.sleep(ahead)
        while True:
            data = sock.recv(65536)
            if not data:
                break
            answered_at = answered_at or time.perf_counter()
            answer += data
    except ConnectionResetError:
        outcome += "; then the connection was reset by the server"
    except BrokenPipeError:
        outcome = "the server closed the connection while the body was being sent"
    except TimeoutError:
        outcome += "; then no answer within the timeout"
    finally:
        sock.close()
    status = re.match(rb"HTTP/1\.[01] (\d{3})", answer)
    return {
        "bytes": size,
        "send_rate_bytes_per_s": rate,
        "sent_bytes_before_answer": sent,
        "seconds_to_answer": (answered_at or time.perf_counter()) - started,
        "seconds": time.perf_counter() - started,
        "status": int(status[1]) if status else None,
        "outcome": outcome,
        "answer_head": answer.split(b"\r\n\r\n")[0].decode("latin-1")[:300],
    }


def flood(base, path, count=FLOOD_POSTS, connections=FLOOD_CONNECTIONS):
    """count rapid POSTs of one form from one address; statuses and latencies."""
    client = Commenter(9_001, base, WriterStats())
    client.address = "10.99.0.1"
    form = client.get_form(path)
    statuses, latencies, errors, lock = Counter(), [], [], threading.Lock()
    numbers = iter(range(count))
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Referer": base + path, "Origin": base}

    def sender():
        while True:
            with lock:
                number = next(numbers, None)
            if number is None:
                return
            values = {"name": "Flooder", "email": "flood@example.com", "body": f"Flood {number} {'x' * 40}"}
            data = urllib.parse.urlencode(fill_form(form["fields"], values)).encode()
            try:
                status, _, _, ms = client.request("POST", base + path, data, headers)
            except (OSError, ConnectionError) as error:
                status, ms = "connection error", None
                errors.append(str(error)[:200])
            with lock:
                statuses[status] += 1
                if ms is not None:
                    latencies.append(ms)

    started = time.monotonic()
    threads = [threading.Thread(target=sender, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "posts": count,
        "connections": connections,
        "address": client.address,
        "seconds": time.monotonic() - started,
        "statuses": dict(statuses),
        "connection_errors": errors[:10],
        **summarise_ms(latencies),
    }


ACCESS_LINE = re.compile(
    r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3}) \S+ (?P<ms>\d+)ms$'
)


def request_kind(method, path, status):
    if path.startswith("/search/"):
        page = "search"
    elif path == "/" or path.startswith("/?"):
        page = "home"
    else:
        page = "post?replytocom" if "replytocom=" in path else "post"
    return f"{method} {page} {status}"


def server_times(log_path):
    """Time spent inside a worker per kind of request, from gunicorn's access log.

    Needs the app's access log format (wflm/gunicorn.conf.py: "... %(M)sms");
    {} without it. Compared with what the clients measured, it tells the
    app's own cost from the time spent queueing for a worker or a CPU.
    """
    times = {}
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    for line in text.splitlines():
        match = ACCESS_LINE.search(line)
        if match:
            kind = request_kind(match["method"], match["path"], match["status"])
            times.setdefault(kind, []).append(int(match["ms"]))
    return {
        kind: summarise_ms(values) | {"total_s": sum(values) / 1000} for kind, values in sorted(times.items())
    }


def worker_trouble(log_path):
    """Lines of the gunicorn log saying a worker timed out, was killed or died."""
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    return [line for line in text.splitlines() if re.search(r"WORKER TIMEOUT|SIGKILL|exited|Traceback", line)]


# --- Main ------------------------------------------------------------------------------------------


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


GUNICORN_CONFIG = BASE_DIR / "wflm" / "gunicorn.conf.py"


def server_env(url, settings):
    """The app's environment with settings; its own gunicorn config when it has one.

    bench.servers' command line (bind, 2 workers, --timeout 120, warning
    log level) still overrides the config's values, as gunicorn's command
    line always does.
    """
    env = scratch.app_env(url, **settings)
    if GUNICORN_CONFIG.exists():
        env["GUNICORN_CMD_ARGS"] = f"--config {GUNICORN_CONFIG}"
    return env


def gunicorn_path():
    path = BASE_DIR / ".venv" / "bin" / "gunicorn"
    return path if path.exists() else os.path.join(os.path.dirname(sys.executable), "gunicorn")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    base_url = os.environ.get("DATABASE_URL")
    if not base_url:
        print(
            "DATABASE_URL is not set: run `make loadtest` (it starts the embedded PostgreSQL).",
            file=sys.stderr,
        )
        return 2
    # SIGTERM (e.g. from `python -m wflm.localdb run`) unwinds like Ctrl-C; SIGINT
    # too when a non-interactive shell started this in the background with it ignored.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGINT, _raise_interrupt)
    name = f"{scratch.database_name(base_url)}_loadtest"
    results = {
        "meta": {
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "seconds": args.seconds,
            "replies": args.replies,
            "commenters": COMMENTERS,
            "cpus": os.cpu_count(),
            "main_settings": MAIN_SETTINGS,
            "flood_settings": FLOOD_SETTINGS,
            "gunicorn_config": str(GUNICORN_CONFIG.relative_to(BASE_DIR))
            if GUNICORN_CONFIG.exists()
            else None,
        },
        "problems": [],
    }
    stop = threading.Event()
    interrupted = False
    try:
        run(results, args, base_url, name, stop)
    except KeyboardInterrupt:
        interrupted = True
        results["problems"].append("interrupted")
        log("interrupted: stopping the commenters and servers, dropping the scratch database")
    finally:
        stop.set()
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        try:
            scratch.drop(base_url, name)
        except Exception as error:  # noqa: BLE001 (reported; the results are still written)
            results["problems"].append(f"could not drop {name}: {error}")
        RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
        RESULTS_PATH.write_text(json.dumps(results, indent=2, default=str))
    if interrupted:
        return 130
    print(render(results))
    print(f"\nResults written to {RESULTS_PATH.relative_to(BASE_DIR)}")
    return 0 if all(target["pass"] for target in results.get("targets", [])) else 1


def run(results, args, base_url, name, stop):
    wrk = ensure_wrk()
    log(f"scratch database {name}: migrate, collectstatic, load the archive")
    url = scratch.create(base_url, name)
    scratch.migrate(url)
    scratch.collectstatic(url)
    os.environ.update(scratch.app_env(url))
    import django

    django.setup()
    archive = build_archive(random.Random(20090512))
    results["archive"] = {"posts": len(archive), "comments": sum(len(ids) for _, _, ids in archive)}
    log(f"archive: {results['archive']['posts']} posts, {results['archive']['comments']} approved comments")
    run_id = f"lt{random.randrange(16**6):06x}"
    gunicorn = gunicorn_path()

    with servers.gunicorn(
        "loadtest",
        gunicorn,
        "wflm.wsgi",
        cwd=BASE_DIR,
        env=server_env(url, MAIN_SETTINGS),
        log_dir=LOG_DIR,
    ) as base:
        paths = reader_paths(base, archive)
        results["reader_paths"] = paths
        log(f"gunicorn on {base}; warming the readers' pages for 3 s")
        finish_readers(start_readers(wrk, base, paths, 3)[0], 3)
        log(f"main run: {args.seconds} s of readers, {args.replies} replies from {COMMENTERS} commenters")
        # Other work on the machine shows in every figure: note how busy it was.
        results["meta"]["load_average_before"] = os.getloadavg()
        process, command = start_readers(wrk, base, paths, args.seconds)
        results["reader_command"] = f"wrk {command}"
        try:
            stats = run_commenters(base, archive, run_id, args.replies, args.seconds, stop)
        except BaseException:
            stop.set()
            stop_process(process)
            raise
        readers = finish_readers(process, args.seconds)
        results["meta"]["load_average_after"] = os.getloadavg()
        results["readers"] = readers
        results["writers"] = writer_results(stats, args.replies)
        log(
            f"readers {readers['rps']:.0f} req/s p99 {readers['p99_ms']:.1f} ms; "
            f"writers {results['writers']['replies_per_s']:.1f} replies/s"
        )
        results["consistency"] = stored_replies_check(run_id, args.replies, stats.expected)
        results["main_worker_trouble"] = worker_trouble(LOG_DIR / "loadtest.log")
        # Read before the abusive clients add their own lines (the warm-up's are included).
        results["server_times"] = server_times(LOG_DIR / "loadtest.log")

        log(f"abusive client: a {BIG_POST_BYTES // 2**20} MB POST sent at {BIG_POST_RATE // 2**20} MB/s")
        big = big_post(base, archive[0][0])
        status, _ = servers.fetch(base + "/", timeout=10)
        big["home_after"] = status
        big["worker_trouble"] = worker_trouble(LOG_DIR / "loadtest.log")
        results["big_post"] = big
        log(f"big POST: {big['outcome']}, HTTP {big['status']} after {big['seconds_to_answer']:.2f} s")

    # Shorter than the flood (about 15 s here), so the readers' whole window is under it.
    flood_seconds = FLOOD_READ_SECONDS
    log(f"abusive client: {FLOOD_POSTS} rapid POSTs from one address, flood control at its defaults")
    with servers.gunicorn(
        "loadtest-flood",
        gunicorn,
        "wflm.wsgi",
        cwd=BASE_DIR,
        env=server_env(url, FLOOD_SETTINGS),
        log_dir=LOG_DIR,
    ) as base:
        process, command = start_readers(wrk, base, paths, flood_seconds)
        try:
            flooded = flood(base, archive[0][0])
        except BaseException:
            stop_process(process)
            raise
        flood_readers = finish_readers(process, flood_seconds)
        from comments.models import Comment

        flooded["stored"] = Comment.objects.filter(ip_address=flooded["address"]).count()
        flooded["server_times"] = server_times(LOG_DIR / "loadtest-flood.log")
        flooded["readers"] = flood_readers
        flooded["reader_command"] = f"wrk {command}"
        flooded["readers_inside_flood"] = flooded["seconds"] >= flood_seconds
        results["flood"] = flooded
        log(
            f"flood: {flooded['statuses']} in {flooded['seconds']:.1f} s; readers {flood_readers['status_classes']}"
        )
    results["targets"] = targets(results)


def writer_results(stats, planned):
    posts = stats.latencies["post"]
    return {
        "planned": planned,
        "finished": stats.done,
        "seconds": stats.elapsed,
        "replies_per_s": stats.done / stats.elapsed if stats.elapsed else 0,
        "post": summarise_ms(posts),
        "get": summarise_ms(stats.latencies["get"]),
        "post_statuses": dict(stats.statuses["post"]),
        "get_statuses": dict(stats.statuses["get"]),
        "events": dict(stats.events),
        "failures": stats.failures[:20],
        "failure_count": len(stats.failures),
    }


def stored_replies_check(run_id, total, expected):
    """check_replies() over what the database holds."""
    from comments.models import Comment

    fields = ("id", "parent_id", "post_id", "status", "depth", "path", "body")
    rows = []
    for row in Comment.objects.filter(body__contains=f"[{run_id}-").values(*fields):
        row["number"] = marker_number(row.pop("body"), run_id)
        rows.append(row)
    reply_ids = {row["id"] for row in rows}
    parent_ids = {row["parent_id"] for row in rows if row["parent_id"]} - reply_ids
    others = {
        row["id"]: row for row in Comment.objects.filter(id__in=parent_ids).values("id", "depth", "path")
    }
    result = check_replies(total, expected, rows, others)
    result["max_depth"] = max((row["depth"] for row in rows), default=0)
    result["replies_to_a_comment"] = sum(1 for row in rows if row["parent_id"])
    return result


def targets(results):
    readers, writers, stored = results["readers"], results["writers"], results["consistency"]
    big, flooded = results["big_post"], results["flood"]
    server_errors = sum(
        count
        for statuses in (readers["statuses"], writers["post_statuses"], writers["get_statuses"])
        for status, count in statuses.items()
        if isinstance(status, int) and status >= 500
    )
    flood_429 = flooded["statuses"].get(429, 0)
    return [
        {
            "name": "zero 5xx during the main run (readers and writers)",
            "value": server_errors,
            "pass": server_errors == 0,
        },
        {
            "name": "zero lost or duplicated replies (each stored once, approved, threaded right)",
            "value": f"{stored['stored']} of {stored['planned']} stored, {stored['missing']} lost, "
            f"{stored['duplicated']} duplicated, {stored['wrong_parent']} wrong parent, "
            f"{stored['bad_thread']} bad path/depth, {stored['not_approved']} not approved",
            "pass": stored["ok"],
        },
        {
            "name": f"readers' p99 <= {READER_P99_TARGET_MS} ms during writes",
            "value": f"{readers['p99_ms']:.1f} ms",
            "pass": readers["p99_ms"] is not None and readers["p99_ms"] <= READER_P99_TARGET_MS,
        },
        {
            "name": "10 MB POST refused (413/400) before it is read, worker still up",
            "value": f"HTTP {big['status']} after {big['seconds_to_answer']:.2f} s, "
            f"{big['sent_bytes_before_answer']:,} bytes sent ({big['outcome']}); home page {big['home_after']}",
            "pass": big["status"] in (400, 413)
            and big["sent_bytes_before_answer"] < big["bytes"]
            and big["home_after"] == 200
            and not big["worker_trouble"],
        },
        {
            "name": f"{FLOOD_POSTS:,} rapid POSTs from one address get 429, readers keep getting 200",
            "value": f"{flood_429:,} x 429, {flooded['stored']} stored; readers' non-2xx/3xx "
            f"{flooded['readers']['non_2xx']}, p99 {flooded['readers']['p99_ms']:.1f} ms",
            "pass": flood_429 >= FLOOD_POSTS - 10
            and flooded["stored"] <= 10
            and flooded["readers"]["non_2xx"] == 0
            and flooded["readers"]["socket_errors"] == 0,
        },
    ]


def server_times_text(results, key=None):
    times = (results[key] if key else results)["server_times"]
    return "; ".join(
        f"{kind} n={row['n']:,} p50 {row['p50_ms']} ms p99 {row['p99_ms']} ms" for kind, row in times.items()
    )


def _ms(value):
    return "-" if value is None else f"{value:.1f} ms"


def render(results):
    readers, writers, stored = results["readers"], results["writers"], results["consistency"]
    big, flooded = results["big_post"], results["flood"]
    settings = ", ".join(f"{key}={value}" for key, value in MAIN_SETTINGS.items())
    lines = [
        "",
        f"Load test: {results['meta']['seconds']} s, {results['archive']['posts']} posts, "
        f"{results['archive']['comments']} archive comments, {results['meta']['cpus']} CPUs, gunicorn 2 workers; "
        f"load average {results['meta']['load_average_before'][0]:.2f} before the main run, "
        f"{results['meta']['load_average_after'][0]:.2f} after (wrk, commenters, gunicorn and PostgreSQL share the CPUs)",
        f"gunicorn: {results['meta']['gunicorn_config'] or 'no config file'} with bench.servers' "
        "--workers 2 --timeout 120 --log-level warning",
        f"Main run settings: {settings}",
        "  (COMMENTS_MIN_SUBMIT_SECONDS=0: the form's own signed timestamp is sent back, so the 'too fast'",
        "   rule is off rather than faked; flood control off: each commenter has its own X-Forwarded-For)",
        f"Readers: {results['reader_command']} over {len(results['reader_paths'])} paths: "
        + " ".join(results["reader_paths"]),
        f"  {readers['rps']:.1f} req/s, p50 {_ms(readers['p50_ms'])}, p99 {_ms(readers['p99_ms'])}, "
        f"{readers['requests']:,} requests, non-2xx/3xx {readers['non_2xx']}, socket errors "
        f"{readers['socket_errors']}, statuses {readers['statuses']}",
        f"Writers: {COMMENTERS} commenters, {writers['finished']:,} of {writers['planned']:,} replies in "
        f"{writers['seconds']:.1f} s = {writers['replies_per_s']:.1f} replies/s (paced: each commenter's replies "
        f"spread over 95% of the run; a late one is sent at once)",
        f"  POST p50 {_ms(writers['post']['p50_ms'])}, p99 {_ms(writers['post']['p99_ms'])}; "
        f"form GET p50 {_ms(writers['get']['p50_ms'])}, p99 {_ms(writers['get']['p99_ms'])}",
        f"  POST statuses {writers['post_statuses']}, GET statuses {writers['get_statuses']}, "
        f"events {writers['events'] or '{}'}, failures {writers['failure_count']}",
        f"Database: {stored['stored']:,} of {stored['planned']:,} replies stored ({stored['rows']:,} rows), "
        f"{stored['missing']} lost, {stored['duplicated']} duplicated, {stored['not_approved']} not approved, "
        f"{stored['wrong_parent']} wrong parent, {stored['wrong_post']} wrong post, "
        f"{stored['bad_thread']} bad path/depth; {stored['replies_to_a_comment']} replies to a comment, "
        f"deepest {stored['max_depth']}",
    ]
    if results.get("server_times"):
        lines.append(
            "Inside the workers (gunicorn access log, main run and warm-up): " + server_times_text(results)
        )
    lines += [
        "",
        f"Abusive: {big['bytes'] // 2**20} MB POST sent at {big['send_rate_bytes_per_s'] // 2**20} MB/s: "
        f"{big['outcome']}; HTTP {big['status']} after {big['seconds_to_answer']:.2f} s with "
        f"{big['sent_bytes_before_answer']:,} bytes sent; home page afterwards {big['home_after']}; "
        f"worker trouble in the log: {len(big['worker_trouble'])}",
        f"Abusive: {flooded['posts']:,} POSTs from {flooded['address']} over {flooded['connections']} connections "
        f"in {flooded['seconds']:.1f} s (COMMENTS_FLOOD_SECONDS=15, COMMENTS_MAX_PER_HOUR=10): statuses "
        f"{flooded['statuses']}, {flooded['stored']} stored; p50 {_ms(flooded['p50_ms'])}, p99 {_ms(flooded['p99_ms'])}",
        f"  readers meanwhile ({flooded['reader_command']}"
        f"{', all within the flood' if flooded['readers_inside_flood'] else ', longer than the flood'}): "
        f"{flooded['readers']['rps']:.1f} req/s, "
        f"p50 {_ms(flooded['readers']['p50_ms'])}, p99 {_ms(flooded['readers']['p99_ms'])}, "
        f"non-2xx/3xx {flooded['readers']['non_2xx']}, statuses {flooded['readers']['statuses']}",
    ]
    if flooded.get("server_times"):
        lines.append("  inside the workers during the flood: " + server_times_text(results, "flood"))
    lines += [
        "",
        "Targets:",
    ]
    lines += [f"  {'PASS' if t['pass'] else 'FAIL'}  {t['name']}: {t['value']}" for t in results["targets"]]
    if results["problems"]:
        lines += ["", "Problems:", *(f"  {problem}" for problem in results["problems"])]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
