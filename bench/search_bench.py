"""Search benchmark: /search/ over 1,000,000 comments and 20,000 posts.

    python -m bench.search_bench [--comments N] [--posts N] [--repeat N] [--keep] [--reuse]

Builds a scratch database on the server DATABASE_URL names (migrated as a
deploy would), fills it with varied text (a Zipf-like mix of English
words, a long tail of made-up ones, accented French, Turkish and Spanish
words, remembered phrases, and Chinese, Japanese and Korean sentences in
about 3% of the comments), then times one-word, phrase and CJK queries:

- "search": search.models.search(), every query a results page runs (the
  ranked ids with the total, the page's posts and comments with their
  highlighted snippets) and the snippets' Python;
- "page": GET /search/?q= with the page cache off (the above plus the
  template).

p50 and p95 per kind of query, the matches of each query, and EXPLAIN
(ANALYZE, BUFFERS) of the ranked-ids query for one query of each kind.
Targets: p50 <= 50 ms and p95 <= 150 ms. The search indexes are dropped
during the bulk load and built again afterwards (from their own
definitions), as a restore would.

`bench.search_bench.main(argv)` is what `python -m bench` calls.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time

from bench import scratch

RESULT_PREFIX = "SEARCH-BENCH "
DATABASE_SUFFIX = "_bench_search"
TARGET_P50_MS, TARGET_P95_MS = 50, 150

QUERIES = {
    "one word": ["trumpet", "coltrane", "album", "echafaud", "échafaud", "güzel", "reupload", "vorlimen"],
    "phrase": ['"loneliest trumpet"', '"mono pressing"', '"kind of blue"', '"side two" -link'],
    "CJK": ["喜欢", "这张专辑", "爵士", "大好き", "앨범", "孤独"],
}

COMMON_WORDS = (
    "the a and of to i this is it in for that you was on with my but have so just one be are not "
    "all like me at from as what can they an it's if or thanks great really do good album record "
    "music love track time first know by his he more get now up out about been when there would "
    "sound again song years still thank best link side play never heard which only listen some "
    "ever much how back who version live great band here well new think"
)
MUSIC_WORDS = (
    "trumpet saxophone piano drums bass guitar brushes vinyl pressing mono stereo reissue remaster "
    "session quartet quintet trio ballad bebop modal fusion groove solo chorus bridge melody harmony "
    "rhythm tempo studio label sleeve liner notes tape reel cassette bootleg concert festival encore "
    "coltrane davis monk mingus evans baker parker gillespie rollins hancock shorter coleman dolphy "
    "blakey silver brubeck getz jarrett corea metheny zappa bowie eno reich glass riley cage satie "
    "ravel debussy chopin bach scarlatti vivaldi paris tokyo berlin london istanbul rome lisbon night "
    "rain city lonely loneliest midnight dawn smoke blue velvet electric acoustic hypnotic haunting "
    "reupload mediafire rapidshare megaupload password rar flac mp3 bitrate kbps lossless download"
)
ACCENTED_WORDS = (
    "échafaud très déjà café génial chanson français mélodie été noël fenêtre rêve "
    "güzel şarkı müzik teşekkürler çok İstanbul gönül sevgi canción corazón música "
    "schön über größte mañana fête bientôt"
)
PHRASES = [
    "the loneliest trumpet in Paris",
    "finally the mono pressing",
    "kind of blue is still the best",
    "side two is missing",
    "the link is dead please reupload",
]
CJK_SENTENCES = [
    "我喜欢这张专辑",
    "这是我最喜欢的爵士乐",
    "小号的声音很孤独",
    "谢谢分享这张专辑",
    "音乐太美了",
    "深夜听这张唱片",
    "このアルバムが大好きです",
    "最高のジャズ",
    "ありがとうございます",
    "夜に聴くトランペット",
    "이 앨범 정말 좋아요",
    "재즈 최고",
]
NAMES = ["reader", "poetichigh", "Féguillerme", "jazzcat", "Ömer", "李明", "さくら", "vinylhead"]
ARTISTS = [
    "Miles Davis",
    "John Coltrane",
    "Édith Piaf",
    "Björk",
    "Sigur Rós",
    "Ennio Morricone",
    "坂本龍一",
    "王菲",
    "Barış Manço",
    "Caetano Veloso",
    "Thelonious Monk",
    "Chet Baker",
]


# Most posts in the site's language (blank: English here), the others
# stemmed in French, Spanish and Turkish, or not at all (Chinese): every
# search then matches in four configurations plus the words as written.
POST_LANGUAGES = ["", "", "", "", "", "", "fr", "es", "tr", "zh-Hans"]


def _split(words):
    return words.split()


def vocabulary():
    """Words, most common first: real ones, then accented ones spread in, then a long made-up tail."""
    import random

    rng = random.Random(9)
    syllables = _split(
        "ka lo mi ne ra vo tu si be da fe gu hi jo ku le mo nu pa qui re sa te vu xo ze bri cla dro"
    )
    tail = set()
    while len(tail) < 6000:
        tail.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    words = _split(COMMON_WORDS) + _split(MUSIC_WORDS)
    for index, word in enumerate(_split(ACCENTED_WORDS)):
        words.insert(120 + index * 9, word)
    # "vorlimen": a made-up word of the tail, for a query matching few rows.
    return words + sorted(tail) + ["vorlimen"]


# --- Build -----------------------------------------------------------------------------


def build(comments, posts):
    """Fill the (migrated, empty) database; return timings in seconds."""
    import random
    from datetime import UTC, datetime, timedelta

    from django.db import connection

    from bench import bigdb
    from posts.models import Post

    timings = {}
    words = vocabulary()
    rng = random.Random(42)

    def text(count):
        return " ".join(words[int(len(words) * rng.random() ** 2.5)] for _ in range(count))

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE indexname LIKE 'search\\_%%' AND indexdef LIKE '%% USING gin %%' ORDER BY indexname"
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    started = time.perf_counter()
    first = datetime(2006, 1, 1, tzinfo=UTC)
    new_posts = []
    for number in range(posts):
        # Two posts in three by a known artist, the others by made-up ones.
        artist = rng.choice(ARTISTS) if number % 3 else text(2).title()
        album = text(rng.randint(1, 3)).title()
        new_posts.append(
            Post(
                title=f"{artist} - {album} ({1955 + number % 60})",
                slug=f"search-bench-{number}",
                artist=artist,
                album=album,
                year=1955 + number % 60,
                body="<p>" + text(rng.randint(80, 220)) + "</p><p>" + text(rng.randint(20, 80)) + "</p>",
                published_at=first + timedelta(hours=6 * number),
                language=POST_LANGUAGES[number % len(POST_LANGUAGES)],
            )
        )
    Post.objects.bulk_create(new_posts, batch_size=2000)
    timings["posts_s"] = time.perf_counter() - started

    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute("SELECT min(id), max(id) FROM posts_post")
        low, high = cursor.fetchone()
        cursor.execute("SELECT setseed(0.42)")
        keys_off = bigdb._foreign_key_checks(cursor, enabled=False)
        started = time.perf_counter()
        columns = {
            "post_id": f"{low} + floor(({high} - {low} + 1) * power(random(), 2))::bigint",
            "parent_id": "NULL",
            "name": "(%(names)s)[1 + g %% %(name_count)s] || CASE WHEN g %% 7 = 0 THEN '' ELSE (g %% 5000)::text END",
            "email": "'reader' || (g %% 5000) || '@example.com'",
            "url": "''",
            "body": "b.body",
            "body_html": "'<p>' || b.body || '</p>'",
            "status": "CASE WHEN random() < 0.03 THEN 'pending' ELSE 'approved' END",
            "kind": "CASE WHEN g %% 200 = 0 THEN 'pingback' ELSE 'comment' END",
            "created_at": "'2006-01-01'::timestamptz + random() * interval '7300 days'",
            "ip_address": "NULL",
            "user_agent": "''",
        }
        columns.update(bigdb._other_columns(cursor))
        # Words drawn Zipf-like from the vocabulary, a phrase in 4% of
        # comments, a CJK sentence in 3%.
        body = """
            array_to_string(ARRAY(
                SELECT (%(words)s)[1 + floor(power(random(), 2.5) * %(word_count)s)::int]
                  FROM generate_series(1, 8 + (g %% 7) * (4 + (g %% 11)))
            ), ' ')
            || CASE WHEN random() < 0.04 THEN ' ' || (%(phrases)s)[1 + (g %% %(phrase_count)s)] ELSE '' END
            || CASE WHEN random() < 0.03 THEN ' ' || (%(cjk)s)[1 + (g / 7 %% %(cjk_count)s)] ELSE '' END
        """
        batch = 100_000
        for start in range(0, comments, batch):
            count = min(batch, comments - start)
            # Column names and expressions are this module's constants.
            cursor.execute(
                f"INSERT INTO comments_comment ({', '.join(columns)}) SELECT {', '.join(columns.values())}"  # noqa: S608
                f" FROM (SELECT g, {body} AS body FROM generate_series(%(start)s, %(end)s) AS g) AS b",
                {
                    "start": start + 1,
                    "end": start + count,
                    "words": words,
                    "word_count": len(words),
                    "phrases": PHRASES,
                    "phrase_count": len(PHRASES),
                    "cjk": CJK_SENTENCES,
                    "cjk_count": len(CJK_SENTENCES),
                    "names": NAMES,
                    "name_count": len(NAMES),
                },
            )
            _log(f"  {start + count:,} comments ({time.perf_counter() - started:.0f} s)")
        timings["comments_s"] = time.perf_counter() - started
        if keys_off:
            bigdb._foreign_key_checks(cursor, enabled=True)
        started = time.perf_counter()
        for name, definition in indexes:
            step = time.perf_counter()
            cursor.execute(definition)
            timings[f"index_{name}_s"] = time.perf_counter() - step
        timings["indexes_s"] = time.perf_counter() - started
        started = time.perf_counter()
        cursor.execute("VACUUM ANALYZE comments_comment")
        cursor.execute("VACUUM ANALYZE posts_post")
        timings["vacuum_analyze_s"] = time.perf_counter() - started
    return timings


def sizes():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM comments_comment), (SELECT count(*) FROM posts_post),"
            " pg_size_pretty(pg_total_relation_size('comments_comment')),"
            " (SELECT json_object_agg(indexname, pg_size_pretty(pg_relation_size(indexname::regclass)))"
            "    FROM pg_indexes WHERE indexname LIKE 'search\\_%%')"
        )
        comments, posts, table, indexes = cursor.fetchone()
    return {"comments": comments, "posts": posts, "comments_table": table, "search_indexes": indexes}


# --- Measure ---------------------------------------------------------------------------


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(repeat):
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from search import models
    from search.query import Terms

    client = Client(HTTP_HOST="127.0.0.1")
    results = {}
    for kind, queries in QUERIES.items():
        search_ms, page_ms, per_query = [], [], {}
        for q in queries:
            terms = Terms.parse(q)
            for _ in range(2):  # warm-up: plans and pages in memory, as on a live site
                found = models.search(terms, offset=0, limit=10, now=timezone.now())
                client.get("/search/", {"q": q})
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                models.search(terms, offset=0, limit=10, now=timezone.now())
                times.append((time.perf_counter() - started) * 1000)
            pages = []
            for _ in range(repeat):
                started = time.perf_counter()
                response = client.get("/search/", {"q": q})
                pages.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (q, response.status_code)
            search_ms += times
            page_ms += pages
            per_query[q] = {
                "shown": found.count_label,
                "search_p50_ms": statistics.median(times),
                **_uncapped(connection, models, terms, timezone.now()),
            }
        results[kind] = {
            "queries": per_query,
            "search_p50_ms": statistics.median(search_ms),
            "search_p95_ms": percentile(search_ms, 0.95),
            "page_p50_ms": statistics.median(page_ms),
            "page_p95_ms": percentile(page_ms, 0.95),
        }
    # The plan of the ranked-ids query (the only one that grows with the archive).
    explains = {}
    for kind, queries in QUERIES.items():
        with connection.cursor() as cursor:
            sql, params = models.ranked_ids_sql(
                Terms.parse(queries[0]), 0, 10, timezone.now(), models.content_configs(cursor)
            )
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) " + sql, params)
            explains[f"{kind}: {queries[0]}"] = [row[0] for row in cursor.fetchall()]
    return results, explains


def _uncapped(connection, models, terms, now):
    """Every match of terms, and the time ranking them all takes: why search.models caps its candidates."""
    bound = models.CANDIDATES
    models.CANDIDATES = 10**9
    try:
        with connection.cursor() as cursor:
            sql, params = models.ranked_ids_sql(terms, 0, 10, now, models.content_configs(cursor))
    finally:
        models.CANDIDATES = bound
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {"matches": rows[0][2] if rows else 0, "uncapped_ms": (time.perf_counter() - started) * 1000}


def child(args):
    """In the scratch database's Django process: build unless reused, measure, print the result."""
    import django

    django.setup()
    result = {}
    if not args.reuse_built:
        _log(f"building {args.comments:,} comments and {args.posts:,} posts")
        started = time.perf_counter()
        result["build"] = build(args.comments, args.posts)
        result["build"]["total_s"] = time.perf_counter() - started
        # Printed now too: a long build's figures survive a failure while measuring.
        _log("built: " + ", ".join(f"{key} {value:.1f}" for key, value in result["build"].items()))
    result["sizes"] = sizes()
    _log(f"measuring ({args.repeat} runs per query)")
    result["measurements"], result["explain"] = measure(args.repeat)
    print(RESULT_PREFIX + json.dumps(result, default=str))


# --- Run -------------------------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m bench.search_bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=20, help="timed runs of each query")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure a database kept by --keep")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--reuse-built", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _log(message):
    print(f"[search bench] {message}", file=sys.stderr, flush=True)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.child:
        child(args)
        return 0
    base_url = scratch.server_url()
    if not base_url:
        return 2
    name = scratch.database_name(base_url) + DATABASE_SUFFIX
    url = scratch.with_database(base_url, name)
    reuse = args.reuse and _exists(base_url, name)
    started = time.perf_counter()
    if not reuse:
        _log(f"scratch database {name}")
        scratch.create(base_url, name)
        scratch.migrate(url)
    # The results pages name the manifest's files (make bench has made them
    # by now; run alone, this does).
    scratch.collectstatic(url)
    command = [sys.executable, "-m", "bench.search_bench", "--child", "--repeat", str(args.repeat)]
    command += ["--comments", str(args.comments), "--posts", str(args.posts)]
    command += ["--reuse-built"] if reuse else []
    try:
        done = subprocess.run(
            command,
            cwd=scratch.BASE_DIR,
            env=scratch.app_env(url, PAGE_CACHE="off"),
            stdout=subprocess.PIPE,
            text=True,
            check=False,
        )
    finally:
        if not args.keep:
            scratch.drop(base_url, name)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if done.returncode or not lines:
        print(f"search benchmark failed (exit {done.returncode})", file=sys.stderr)
        return done.returncode or 1
    result = json.loads(lines[-1][len(RESULT_PREFIX) :])
    result["wall_s"] = time.perf_counter() - started
    print(render(result))
    path = scratch.WORK_DIR / "search_results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2))
    print(f"\nResults written to {path.relative_to(scratch.BASE_DIR)}")
    # Missed targets are printed (MISSED), not an error: the figures are the result.
    return 0


def _exists(base_url, name):
    import psycopg2

    connection = psycopg2.connect(base_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return cursor.fetchone() is not None
    finally:
        connection.close()


def render(result):
    sizes = result["sizes"]
    lines = [
        "",
        f"Search: {sizes['comments']:,} comments, {sizes['posts']:,} posts"
        f" (comments table {sizes['comments_table']}; search indexes {sizes['search_indexes']})",
    ]
    if "build" in result:
        build = result["build"]
        lines.append(
            f"built in {build['total_s']:.0f} s (posts {build['posts_s']:.0f} s, comments {build['comments_s']:.0f} s,"
            f" indexes {build['indexes_s']:.0f} s, vacuum analyze {build['vacuum_analyze_s']:.0f} s)"
        )
    lines.append(
        f"target: p50 <= {TARGET_P50_MS} ms, p95 <= {TARGET_P95_MS} ms (search = the page's queries and snippets)"
    )
    lines.append(f"{'':10} {'search p50':>11} {'p95':>8} {'page p50':>10} {'p95':>8}  queries (matches)")
    for kind, figures in result["measurements"].items():
        ok = figures["search_p50_ms"] <= TARGET_P50_MS and figures["search_p95_ms"] <= TARGET_P95_MS
        queries = ", ".join(f"{q} ({info['shown']})" for q, info in figures["queries"].items())
        lines.append(
            f"{kind:10} {figures['search_p50_ms']:9.1f}ms {figures['search_p95_ms']:6.1f}ms"
            f" {figures['page_p50_ms']:8.1f}ms {figures['page_p95_ms']:6.1f}ms  {'ok' if ok else 'MISSED'}  {queries}"
        )
    lines += ["", "Every match, ranked without the bound (search.models.CANDIDATES):"]
    for figures in result["measurements"].values():
        for q, info in figures["queries"].items():
            lines.append(
                f"  {q}: {info['matches']:,} matches, {info['uncapped_ms']:.0f} ms (bounded: {info['search_p50_ms']:.1f} ms)"
            )
    for label, plan in result["explain"].items():
        lines += ["", f"EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) ranked ids, {label}:"] + [
            f"  {row}" for row in plan
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
