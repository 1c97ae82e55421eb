"""Large files: parse in a second process while this one writes.

Reading XML, turning comment HTML into text and rendering each body's
HTML take about as long as writing; on a two-core machine doing them side
by side halves an import of 100,000 comments. The child parses and sends
finished records through a bounded queue (memory stays flat), then its
report; a parse error in the child is raised here, inside the import's
transaction, so nothing is written. Small files are parsed in-process
(the same importer code either way).
"""

import multiprocessing
import queue as queue_module
import traceback

from archive.importers.base import ImportFailed
from archive.writer import comment_html

# Files at least this big are parsed in a second process.
PARALLEL_FROM_BYTES = 8 * 1024 * 1024
QUEUE_RECORDS = 32


def render_bodies(record):
    for comment in record.comments:
        if comment.body_html is None:
            comment.body_html = comment_html(comment.body)
    return record


def _produce(importer, path, queue):
    try:
        with open(path, "rb") as stream:
            for record in importer.records(stream):
                queue.put(("record", render_bodies(record), importer.site))
        queue.put(("done", importer.report, importer.site))
    except ImportFailed as error:
        queue.put(("failed", error, importer.report))  # the exception itself: its kind matters
    except BaseException:  # noqa: BLE001 (reported to the parent, which fails the import)
        queue.put(("crashed", traceback.format_exc(), None))


class BackgroundRecords:
    """Iterate an importer's records parsed by a child process; .site and .report when done."""

    def __init__(self, importer, path):
        self.importer = importer
        self.path = path
        self.site = None
        self.report = None

    def __iter__(self):
        context = multiprocessing.get_context("fork")
        queue = context.Queue(maxsize=QUEUE_RECORDS)
        process = context.Process(target=_produce, args=(self.importer, self.path, queue), daemon=True)
        process.start()
        try:
            while True:
                try:
                    message = queue.get(timeout=1)
                except queue_module.Empty:
                    if not process.is_alive():
                        raise ImportFailed(
                            f"the parsing process stopped unexpectedly (exit code {process.exitcode})."
                        ) from None
                    continue
                kind, payload, extra = message
                if kind == "record":
                    self.site = extra
                    yield payload
                elif kind == "done":
                    self.report, self.site = payload, extra
                    return
                elif kind == "failed":
                    self.report = extra
                    raise payload
                else:
                    raise RuntimeError(f"the parsing process failed:\n{payload}")
        finally:
            if process.is_alive():
                process.kill()
            process.join()
            queue.close()
