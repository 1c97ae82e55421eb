"""Import benchmark: a generated WXR of 1,000 posts and 100,000 comments.

    python -m bench.import_bench [--posts 1000] [--comments-per-post 100]

Writes the file under var/bench/, creates a scratch database on the
server DATABASE_URL points to, migrates it, then imports the file in a
child process (`manage.py import_archive`) and reads that process's wall
time and peak RSS (wait4's ru_maxrss); then imports it again (nothing new:
the idempotent path) and prints a table. Targets (issue 5): under 60 s
and under 300 MB peak RSS for 100,000 comments on this 2-core machine.
"""

import argparse
import datetime
import html
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
WORK_DIR = BASE_DIR / "var" / "bench"
TARGET_SECONDS = 60
TARGET_RSS_MB = 300

# fmt: off
WORDS = [
    "trumpet", "score", "session", "take", "bass", "drums", "modal", "cool", "noir", "film", "track",
    "record", "vinyl", "reissue", "pressing", "liner", "notes", "solo", "chorus", "bridge", "mono",
    "stereo", "master", "tape", "quintet", "sextet", "ballad", "tempo", "groove", "melody", "harmony",
    "improvised", "echafaud", "ascenseur", "élevateur", "jazz", "écoute", "génial", "wonderful", "🎺",
    "listen", "again", "tonight", "classic", "album",
]
NAMES = ["Anonymous", "kurt", "poetichigh", "Feguillerme", "Jane Doe", "Γιάννης", "Zoë", "代码疯子", "ill", "Ana"]
# fmt: on
HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
<title>Import benchmark</title>
<link>http://bench.example</link>
<wp:wxr_version>1.2</wp:wxr_version>
<wp:base_site_url>http://bench.example</wp:base_site_url>
<wp:base_blog_url>http://bench.example</wp:base_blog_url>
"""


def _cdata(text):
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _body(rng):
    length = rng.randint(50, 1500)
    paragraphs, size = [], 0
    while size < length:
        words = rng.choices(WORDS, k=rng.randint(5, 40))
        if rng.random() < 0.1:
            words.append(f'<a href="http://example.com/{rng.randint(1, 999)}" rel="nofollow">a link</a>')
        if rng.random() < 0.1:
            words.append("&amp; &quot;quoted&quot;")
        paragraph = " ".join(words)
        paragraphs.append(paragraph)
        size += len(paragraph)
    return "\n\n".join(paragraphs)[: length + 80]


def write_wxr(path, posts, comments_per_post, seed=5):
    """Write the benchmark's WXR (streamed to disk); return its size in bytes."""
    rng = random.Random(seed)
    start = datetime.datetime(2009, 1, 1, 12, 0, 0)
    comment_id = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write(HEADER)
        for number in range(1, posts + 1):
            published = start + datetime.timedelta(hours=7 * number)
            out.write(
                f"<item><title>Artist {number} - Album {number} ({1950 + number % 60})</title>"
                f"<link>http://bench.example/{published:%Y/%m}/album-{number}/</link>"
                f"<dc:creator>bench</dc:creator>"
                f"<content:encoded>{_cdata('<p>' + _body(rng) + '</p>')}</content:encoded>"
                f"<excerpt:encoded><![CDATA[]]></excerpt:encoded>"
                f"<wp:post_id>{number}</wp:post_id>"
                f"<wp:post_date>{published + datetime.timedelta(hours=2):%Y-%m-%d %H:%M:%S}</wp:post_date>"
                f"<wp:post_date_gmt>{published:%Y-%m-%d %H:%M:%S}</wp:post_date_gmt>"
                f"<wp:comment_status>open</wp:comment_status><wp:post_name>album-{number}</wp:post_name>"
                f"<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>\n"
            )
            depth_of = {}
            ids = []
            for n in range(comments_per_post):
                comment_id += 1
                parent = 0
                if ids and rng.random() > 0.2:
                    candidate = rng.choice(ids[-30:])
                    if depth_of[candidate] < 5:
                        parent = candidate
                depth_of[comment_id] = depth_of.get(parent, 0) + 1
                ids.append(comment_id)
                created = published + datetime.timedelta(minutes=11 * (n + 1))
                kind = "pingback" if rng.random() < 0.02 else ""
                status = rng.choices(["1", "0", "spam"], weights=[90, 7, 3])[0]
                name = html.escape(rng.choice(NAMES))
                out.write(
                    "<wp:comment>"
                    f"<wp:comment_id>{comment_id}</wp:comment_id>"
                    f"<wp:comment_author>{_cdata(name)}</wp:comment_author>"
                    f"<wp:comment_author_email>reader{comment_id % 5000}@example.invalid</wp:comment_author_email>"
                    f"<wp:comment_author_url>http://example.com/{comment_id % 700}</wp:comment_author_url>"
                    f"<wp:comment_author_IP>192.0.2.{comment_id % 250 + 1}</wp:comment_author_IP>"
                    f"<wp:comment_date>{created + datetime.timedelta(hours=2):%Y-%m-%d %H:%M:%S}</wp:comment_date>"
                    f"<wp:comment_date_gmt>{created:%Y-%m-%d %H:%M:%S}</wp:comment_date_gmt>"
                    f"<wp:comment_content>{_cdata(_body(rng))}</wp:comment_content>"
                    f"<wp:comment_approved>{status}</wp:comment_approved>"
                    f"<wp:comment_type>{kind}</wp:comment_type>"
                    f"<wp:comment_parent>{parent}</wp:comment_parent>"
                    "<wp:comment_user_id>0</wp:comment_user_id>"
                    "</wp:comment>\n"
                )
            out.write("</item>\n")
        out.write("</channel>\n</rss>\n")
    return path.stat().st_size


# --- a scratch database -----------------------------------------------------------


def _with_database(url, name):
    return urlunsplit(urlsplit(url)._replace(path="/" + quote(name)))


def _admin(url, statement):
    import psycopg2

    try:
        connection = psycopg2.connect(url)
    except psycopg2.OperationalError:
        connection = psycopg2.connect(_with_database(url, "postgres"))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


def _env(database_url):
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "wflm.settings",
        "DEBUG": "off",
        "LOG_LEVEL": "WARNING",
    }


def _rss_kb(pid):
    """Resident memory of pid and all its descendants, in kB (Linux /proc; 0 when gone)."""
    total = 0
    try:
        with open(f"/proc/{pid}/status") as status:
            total += next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                total += sum(_rss_kb(int(child)) for child in children.read().split())
    except (OSError, ValueError):
        pass
    return total


class _PeakSampler(threading.Thread):
    """Samples the summed RSS of a process tree every 50 ms (the parser child included)."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self.stopped = pid, 0, threading.Event()

    def run(self):
        while not self.stopped.wait(0.05):
            self.peak_kb = max(self.peak_kb, _rss_kb(self.pid))


def _child(database_url, *args):
    """Run manage.py args in a child process.

    Returns (seconds, peak RSS in MB of the whole process tree, stdout, CPU seconds of the tree).
    """
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=_env(database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    sampler = _PeakSampler(process.pid)
    sampler.start()
    output = process.stdout.read()
    # wait4's usage covers the child and its waited-for children (the parser).
    _, status, usage = os.wait4(process.pid, 0)
    sampler.stopped.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{output}")
    peak_mb = max(sampler.peak_kb, usage.ru_maxrss) / 1024
    return seconds, peak_mb, output, usage.ru_utime + usage.ru_stime


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--comments-per-post", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="Keep the scratch database and the file.")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("Set DATABASE_URL to a PostgreSQL server (make bench does).")
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    path = WORK_DIR / f"import-{args.posts}x{args.comments_per_post}.xml"
    started = time.perf_counter()
    size = write_wxr(path, args.posts, args.comments_per_post)
    generated = time.perf_counter() - started
    total = args.posts * args.comments_per_post
    name = unquote(urlsplit(url).path.lstrip("/")) + "_import_bench"
    _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(url, f'CREATE DATABASE "{name}"')
    scratch = _with_database(url, name)
    try:
        _child(scratch, "migrate", "--noinput", "--verbosity", "0")
        first = _child(scratch, "import_archive", str(path), "--verbosity", "1")
        again = _child(scratch, "import_archive", str(path), "--verbosity", "1")
    finally:
        if not args.keep:
            _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            path.unlink(missing_ok=True)
    if "comments:" not in first[2]:
        raise SystemExit(f"unexpected import output:\n{first[2]}")
    print(
        f"\nWXR import benchmark: {args.posts:,} posts, {total:,} comments, {size / 1e6:.1f} MB "
        f"(generated in {generated:.1f} s)"
    )
    print(f"{'run':<28}{'seconds':>10}{'comments/s':>14}{'peak RSS MB':>14}{'CPU s':>10}")
    for label, (seconds, rss, _, cpu) in (("first import", first), ("same file again (no-op)", again)):
        print(f"{label:<28}{seconds:>10.1f}{total / seconds:>14,.0f}{rss:>14.0f}{cpu:>10.1f}")
    print("(peak RSS: the importing process and its parsing child together; CPU: both, not the database)")
    print(f"load average while running (other processes share the CPU): {os.getloadavg()[0]:.1f}")
    ok = first[0] < TARGET_SECONDS and first[1] < TARGET_RSS_MB
    print(
        f"targets: < {TARGET_SECONDS} s and < {TARGET_RSS_MB} MB for the first import: "
        f"{'met' if ok else 'NOT MET'}"
    )
    print("\nfirst import's summary:\n" + first[2].strip())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
