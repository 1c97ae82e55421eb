"""The benchmark's table, ratios and targets (PASS/FAIL), from the results dict."""

import re

THREAD_TARGET_MS = 100
BIG_THREAD_TARGET_MS = 1000
XTD_SPEEDUP_TARGET = 15
CACHED_SHARE_TARGET = 0.70
INSERT_RATIO_TARGET = 1.5
RSS_TARGET_MB = 150
QUERIES_TARGET = 5


def _ms(value):
    if value is None:
        return "n/a"
    return f"{value:,.0f} ms" if value >= 100 else f"{value:,.1f} ms"


def _size(count):
    return f"{count:,} B" if count < 1024 else f"{count / 1024:,.0f} KB"


def _num(value, digits=1):
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _table(headers, rows):
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * width for width in widths))
    lines += [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows
    ]
    return "\n".join(lines)


def _ratio(numerator, denominator):
    if numerator is None or denominator in (None, 0):
        return None
    return numerator / denominator


SCAN = re.compile(
    r"(Parallel Seq Scan|Seq Scan|Index Only Scan|Index Scan|Bitmap Index Scan|Bitmap Heap Scan)"
    r"(?: Backward)?(?: using (\S+))? on (\S+)"
)


def plan_facts(lines):
    """Execution time, the top node's buffers and every scan, from EXPLAIN (ANALYZE, BUFFERS) lines."""
    text = "\n".join(lines)
    time = re.search(r"Execution Time: ([\d.]+) ms", text)
    buffers = re.search(r"Buffers: (shared [^\n]*)", text)
    scans = []
    for kind, index, table in SCAN.findall(text):
        scan = f"{kind} {'using ' + index + ' ' if index else ''}on {table}"
        if scan not in scans:
            scans.append(scan)
    scans += [f"trigger {name}: {ms} ms" for name, ms in re.findall(r"Trigger (\S+): time=([\d.]+)", text)]
    return {
        "time": f"{float(time[1]):,.1f} ms" if time else "?",
        "buffers": buffers[1] if buffers else "",
        "scans": scans,
    }


def explain_text(explain):
    """Every captured query and its plan, for var/bench-explain.txt."""
    out = []
    for plan in explain.get("plans", []):
        seq = ", ".join(plan["seq_scans"]) or "none"
        out.append(f"-- {plan['label']} ({plan['kind']}; Seq Scan on comments/posts: {seq})")
        out.append(plan["sql"])
        out += ["   " + line for line in plan["plan"]]
        out.append("")
    return "\n".join(out)


def compute(results):
    """Add the ratios and the targets to results."""
    threads = results.get("threads", {})
    load = results.get("load", {})
    peer = results.get("peer", {})
    insert = results.get("insert", {})
    rss = results.get("rss", {})
    ours_1000 = threads.get("1,000", {}).get("median_ms")
    paired = results.get("paired_render", {})
    ratios = {
        "render_ours_vs_xtd": _ratio(
            paired.get("xtd", {}).get("median_ms"), paired.get("ours", {}).get("median_ms")
        ),
        "rps_ours_uncached_vs_xtd": _ratio(
            load.get("ours uncached", {}).get("rps"), load.get("xtd", {}).get("rps")
        ),
        "rps_ours_cached_vs_xtd": _ratio(
            load.get("ours cached", {}).get("rps"), load.get("xtd", {}).get("rps")
        ),
        "cached_vs_static": _ratio(load.get("ours cached", {}).get("rps"), load.get("static", {}).get("rps")),
        "insert_10000_vs_10": _ratio(
            insert.get("10,000", {}).get("median_ms"), insert.get("10", {}).get("median_ms")
        ),
        "save_10000_vs_10": _ratio(
            insert.get("10,000", {}).get("save", {}).get("median_ms"),
            insert.get("10", {}).get("save", {}).get("median_ms"),
        ),
    }
    results["ratios"] = ratios

    targets = []

    def target(name, value, passed):
        targets.append({"target": name, "measured": value, "pass": passed})

    full = {label: row.get("queries") for label, row in threads.items()}
    paged = {label: row.get("queries") for label, row in results.get("paged", {}).items()}
    counts = [count for count in [*full.values(), *paged.values()] if count is not None]
    if counts:
        q0, q10k = full.get("0"), full.get("10,000")
        p0, p10k = paged.get("0"), paged.get("10,000")
        same = len(set(full.values())) == 1 and len(set(paged.values()) or {0}) == 1
        target(
            f"queries per post page <= {QUERIES_TARGET}, same for 0 and 10,000 comments",
            f"all comments {q0} / {q10k}; paginated {p0} / {p10k}; same for every size: {'yes' if same else 'no'}",
            max(counts) <= QUERIES_TARGET and q0 == q10k and p0 == p10k,
        )
    target(
        f"uncached 1,000-comment render <= {THREAD_TARGET_MS} ms median",
        _ms(ours_1000),
        None if ours_1000 is None else ours_1000 <= THREAD_TARGET_MS,
    )
    speedup = ratios["render_ours_vs_xtd"]
    target(
        f"... and >= {XTD_SPEEDUP_TARGET}x faster than django-comments-xtd",
        f"{_num(speedup)}x" if speedup else f"n/a ({peer.get('reason', 'not measured')})",
        None if speedup is None else speedup >= XTD_SPEEDUP_TARGET,
    )
    big = threads.get("10,000", {}).get("median_ms")
    target(
        f"10,000-comment page <= {BIG_THREAD_TARGET_MS} ms unpaginated",
        _ms(big),
        None if big is None else big <= BIG_THREAD_TARGET_MS,
    )
    share = ratios["cached_vs_static"]
    target(
        f"cached post page >= {CACHED_SHARE_TARGET:.0%} of the static ceiling's req/s",
        "n/a" if share is None else f"{share:.0%}",
        None if share is None else share >= CACHED_SHARE_TARGET,
    )
    insert_ratio = ratios["insert_10000_vs_10"]
    save_ratio = ratios["save_10000_vs_10"]
    target(
        f"insert into 10,000 within {INSERT_RATIO_TARGET}x of 10 (reply POST)",
        "n/a"
        if insert_ratio is None
        else f"{insert_ratio:.2f}x (form save() alone: {'n/a' if save_ratio is None else f'{save_ratio:.2f}x'})",
        None if insert_ratio is None else insert_ratio <= INSERT_RATIO_TARGET,
    )
    peak = rss.get("peak_mb")
    target(
        f"worker peak RSS <= {RSS_TARGET_MB} MB rendering 10,000 comments",
        "n/a" if peak is None else f"{peak:.0f} MB",
        None if peak is None else peak <= RSS_TARGET_MB,
    )
    explain = results.get("explain", {})
    if "plans" in explain:
        scans = sorted(
            {
                f"{plan['label']}: {', '.join(plan['seq_scans'])}"
                for plan in explain["plans"]
                if plan["seq_scans"]
            }
        )
        target(
            f"no Seq Scan on comments_comment/posts_post at {explain['build']['comments']:,} comments",
            "none" if not scans else "; ".join(scans),
            not scans,
        )
    results["targets"] = targets
    return results


def _verdict(passed):
    return {True: "PASS", False: "FAIL", None: "n/a"}[passed]


def render(results):
    """The report as text."""
    out = []
    meta = results.get("meta", {})
    out.append("")
    out.append("== wflm thread benchmark (issue 3) ==")
    out.append(
        f"PostgreSQL {meta.get('postgres', '?')} · Python {meta.get('python', '?')} · "
        f"Django {meta.get('django', '?')} · {meta.get('cpus', '?')} CPUs · "
        f"load: {meta.get('load_tool', '?')}{' · QUICK run' if meta.get('quick') else ''}"
    )

    threads = results.get("threads", {})
    paged = results.get("paged", {})
    if threads:
        out.append("")
        out.append(
            "Post page, in-process test-client GET, uncached (PAGE_CACHE=off): whole thread "
            "(COMMENTS_PER_PAGE=0), and the first page with the default page size"
        )
        rows = []
        for label, row in threads.items():
            page = paged.get(label, {})
            rows.append(
                [
                    label,
                    f"{row['rendered']:,}",
                    row["queries"],
                    _ms(row.get("median_ms")),
                    _ms(row.get("min_ms")),
                    _ms(row.get("max_ms")),
                    f"{row['bytes'] / 1024:,.0f} KB",
                    page.get("queries", "-"),
                    _ms(page.get("median_ms")) if page else "-",
                    f"{page['rendered']:,}" if page else "-",
                ]
            )
        peer = results.get("peer", {})
        if "median_ms" in peer:
            rows.append(
                [
                    "xtd 1,000",
                    f"{peer['rendered']:,}",
                    peer["queries"],
                    _ms(peer["median_ms"]),
                    _ms(peer["min_ms"]),
                    _ms(peer["max_ms"]),
                    f"{peer['bytes'] / 1024:,.0f} KB",
                    "-",
                    "-",
                    "-",
                ]
            )
        headers = [
            "thread",
            "shown",
            "queries",
            "median",
            "min",
            "max",
            "size",
            "q/page1",
            "page1",
            "shown p1",
        ]
        out.append(_table(headers, rows))
        n = next(iter(threads.values())).get("n")
        out.append(
            f"(median/min/max of {n} renders each, round-robin over the sizes; 'xtd' = django-comments-xtd)"
        )
        if peer.get("reason"):
            out.append(f"django-comments-xtd: n/a — {peer['reason']}")

    load = results.get("load", {})
    if load:
        out.append("")
        meta_load = results.get("load_settings", {})
        out.append(f"Under load: {meta_load.get('command', '')} against gunicorn --workers 2 on 127.0.0.1")
        rows = []
        for label, row in load.items():
            if "error" in row:
                rows.append([row.get("title", label), "n/a", "n/a", "n/a", "", row["error"][:70]])
                continue
            errors = row.get("non_2xx", 0) + row.get("socket_errors", 0)
            rows.append(
                [
                    row.get("title", label),
                    _num(row["rps"]),
                    _ms(row.get("p50_ms")),
                    _ms(row.get("p99_ms")),
                    _size(row.get("bytes", 0)),
                    f"{row.get('requests', 0):,} requests, {errors} errors",
                ]
            )
        out.append(_table(["target", "req/s", "p50", "p99", "page", ""], rows))

    insert = results.get("insert", {})
    if insert:
        out.append("")
        out.append(
            "One reply into a thread: the whole POST (test client: form, moderation, insert, redirect), "
            "and CommentForm(...).is_valid() + .save() alone; each rolled back, alternating threads"
        )
        rows = [
            [
                label,
                _ms(row["median_ms"]),
                _ms(row["min_ms"]),
                _ms(row["max_ms"]),
                _ms(row["save"]["median_ms"]),
                _ms(row["save"]["min_ms"]),
                _ms(row["save"]["max_ms"]),
                row["n"],
                row["queries"],
            ]
            for label, row in insert.items()
        ]
        headers = ["thread", "POST median", "min", "max", "save() median", "min", "max", "n", "queries"]
        out.append(_table(headers, rows))
        for label, row in insert.items():
            slowest = row["slowest"][0] if row.get("slowest") else None
            if slowest:
                out.append(
                    f"  slowest query of a POST into {label}: {slowest['ms']:.0f} ms: {slowest['sql'][:110]}…"
                )

    rss = results.get("rss", {})
    if rss:
        out.append("")
        out.append(
            f"Memory: a child process after setup and one small page {rss['baseline_mb']:.0f} MB; "
            f"peak after rendering the 10,000-comment page once ({rss['rendered']:,} comments, "
            f"{rss['bytes'] / 1024 / 1024:.1f} MB of HTML, {_ms(rss['render_ms'])}): {rss['peak_mb']:.0f} MB"
        )

    explain = results.get("explain", {})
    if explain:
        out.append("")
        if "plans" not in explain:
            out.append(f"EXPLAIN: skipped ({explain.get('skipped', 'unknown reason')})")
        else:
            build = explain["build"]
            timings = build["timings"]
            load_s = sum(value for key, value in timings.items() if key.startswith("depth_"))
            out.append(
                f"EXPLAIN (ANALYZE, BUFFERS) at {build['comments']:,} comments on {build['posts']:,} posts "
                f"(table {build['table_size']}; built in {load_s:.0f} s with the thread trigger on; "
                f"largest thread {build['post_comments']:,} comments); "
                "each query as the app sent it, the second of two runs (warm cache), writes rolled back"
            )
            out.append(f"(full plans: {explain.get('plans_file', 'var/bench-results.json')})")
            rows = []
            for plan in explain["plans"]:
                facts = plan_facts(plan["plan"])
                rows.append(
                    [
                        plan["label"],
                        plan["kind"],
                        facts["time"],
                        facts["buffers"],
                        ", ".join(plan["seq_scans"]) or "none",
                        "; ".join(facts["scans"])[:100],
                    ]
                )
            out.append(_table(["query", "", "execution", "buffers", "Seq Scan", "scans"], rows))

    ratios = results.get("ratios", {})
    if ratios:
        out.append("")
        out.append("Ratios")

        def times(value, suffix="x"):
            return "n/a" if value is None else f"{value:,.1f}{suffix}"

        paired = results.get("paired_render", {})
        detail = (
            f" (medians {_ms(paired['ours']['median_ms'])} vs {_ms(paired['xtd']['median_ms'])}, "
            f"{paired['ours']['n']} renders each, alternating)"
            if paired
            else ""
        )
        out.append(
            f"  render, 1,000 comments: ours {times(ratios['render_ours_vs_xtd'])} faster than xtd{detail}"
        )
        out.append(
            f"  req/s, 1,000 comments: ours uncached {times(ratios['rps_ours_uncached_vs_xtd'])} xtd's, "
            f"cached {times(ratios['rps_ours_cached_vs_xtd'])} xtd's"
        )
        share = ratios["cached_vs_static"]
        out.append(f"  cached vs static ceiling: {'n/a' if share is None else f'{share:.0%}'} of its req/s")
        out.append(
            f"  insert into 10,000 vs into 10: {times(ratios['insert_10000_vs_10'])} (reply POST), "
            f"{times(ratios['save_10000_vs_10'])} (form save() alone)"
        )

    targets = results.get("targets", [])
    if targets:
        out.append("")
        out.append(
            _table(
                ["", "target", "measured"],
                [[_verdict(t["pass"]), t["target"], t["measured"]] for t in targets],
            )
        )
    problems = results.get("problems", [])
    if problems:
        out.append("")
        out.append("Problems:")
        out += [f"  - {problem}" for problem in problems]
    if "duration_s" in results:
        out.append("")
        out.append(f"Benchmark run time: {results['duration_s'] / 60:.1f} min")
    return "\n".join(out)
