"""The benchmark's own helpers: wrk parsing, thread shapes, URLs, plan summaries (no timing)."""

import random
from collections import Counter

import pytest

from bench import report, scratch, servers, threadgen

WRK_OUTPUT = """Running 15s test @ http://127.0.0.1:18765/bench-thread-1000/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.22s   403.83ms   2.87s    86.00%
    Req/Sec     2.67      2.69    10.00     91.67%
  Latency Distribution
     50%  812.00us
     75%    2.46s
     90%    2.56s
     99%    2.87s
  50 requests in 15.07s, 72.90MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 3
Requests/sec:      3.32
Transfer/sec:      4.84MB
"""


def test_parse_wrk_reads_rate_percentiles_and_errors():
    result = servers.parse_wrk(WRK_OUTPUT)

    assert result["rps"] == 3.32
    assert result["p50_ms"] == pytest.approx(0.812)
    assert result["p99_ms"] == pytest.approx(2870)
    assert result["requests"] == 50
    assert result["non_2xx"] == 3
    assert result["socket_errors"] == 3


def test_parse_wrk_refuses_output_without_a_rate():
    with pytest.raises(ValueError):
        servers.parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")


def test_thread_shape_is_a_fifth_top_level_five_deep_parents_first():
    shape = threadgen.thread_shape(10_000, random.Random(1))

    depths = Counter(depth for _parent, depth in shape)
    assert depths[1] == 2_000
    assert max(depths) == threadgen.MAX_DEPTH
    for index, (parent, depth) in enumerate(shape):
        if parent is None:
            assert depth == 1
        else:
            assert parent < index
            assert depth == shape[parent][1] + 1


def test_small_and_empty_threads():
    assert threadgen.thread_shape(0, random.Random(1)) == []
    assert threadgen.thread_shape(1, random.Random(1)) == [(None, 1)]
    assert threadgen.thread_shape(10, random.Random(1))[0] == (None, 1)


def test_chain_answers_the_previous_comment_each_time():
    chain = threadgen.chain_shape(5_000)

    assert chain[0] == (None, 1)
    assert chain[-1] == (4_998, 5_000)


def test_bodies_are_50_to_1500_characters():
    rng = random.Random(2)
    lengths = [len(threadgen.body_text(rng)) for _ in range(2_000)]

    assert min(lengths) >= threadgen.BODY_MIN
    assert max(lengths) <= threadgen.BODY_MAX


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://postgres@127.0.0.1:5432/wflm", "postgres://postgres@127.0.0.1:5432/wflm_bench"),
        (
            "postgresql://postgres:@/wflm?host=/work/main/var/pgdata",
            "postgresql://postgres:@/wflm_bench?host=/work/main/var/pgdata",
        ),
    ],
)
def test_scratch_database_urls_keep_host_and_options(url, expected):
    assert scratch.database_name(url) == "wflm"
    assert scratch.with_database(url, "wflm_bench") == expected


def test_plan_facts_finds_seq_scans_and_times():
    plan = [
        "Limit  (cost=1.00..2.00 rows=10 width=8) (actual time=0.1..0.2 rows=10 loops=1)",
        "  Buffers: shared hit=12 read=3",
        "  ->  Seq Scan on comments_comment  (cost=0.00..1.00 rows=1 width=8)",
        "  ->  Index Scan using comment_thread_idx on comments_comment  (cost=0.00..1.00 rows=1 width=8)",
        "Execution Time: 1234.5 ms",
    ]

    facts = report.plan_facts(plan)

    assert facts["time"] == "1,234.5 ms"
    assert facts["buffers"] == "shared hit=12 read=3"
    assert facts["scans"] == [
        "Seq Scan on comments_comment",
        "Index Scan using comment_thread_idx on comments_comment",
    ]
