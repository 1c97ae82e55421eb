"""Time in-process renders of a page (the test client, as wflm's benchmark does)."""

import json
import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

RESULT_PREFIX = "BENCH-RESULT "


class Command(BaseCommand):
    help = "GET url repeatedly; print queries, size and median/min/max render time as JSON."

    def add_arguments(self, parser):
        parser.add_argument("url")
        parser.add_argument("--repeat", type=int, default=10)
        parser.add_argument("--warmup", type=int, default=2)

    def handle(self, url, repeat, warmup, **options):
        client = Client(HTTP_HOST="127.0.0.1")
        for _ in range(warmup):
            client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        # Count now: the next request clears the connection's query log.
        query_count = len(queries.captured_queries)
        if response.status_code != 200:
            raise CommandError(f"GET {url}: HTTP {response.status_code}")
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            client.get(url)
            times.append(time.perf_counter() - started)
        result = {
            "queries": query_count,
            "bytes": len(response.content),
            "rendered": response.content.count(b'<div id="c'),
            "times_ms": [time * 1000 for time in times],
            "median_ms": statistics.median(times) * 1000,
            "min_ms": min(times) * 1000,
            "max_ms": max(times) * 1000,
            "n": repeat,
        }
        self.stdout.write(RESULT_PREFIX + json.dumps(result))
