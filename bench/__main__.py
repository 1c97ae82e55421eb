"""`python -m bench` (what `make bench` runs): the thread, import, search and moderation-queue benchmarks.

Options (see `python -m bench --help`): --quick, --no-explain, --no-peer,
--no-load. The import benchmark runs with its own defaults (--posts 100
under --quick). DATABASE_URL must point at a PostgreSQL server where scratch
databases may be created (`make bench` sets it to the embedded one).
"""

import importlib.util
import inspect
import sys


def main(argv):
    from bench import threads_bench

    status = threads_bench.main(argv)
    if status == 130:  # interrupted: stop here
        return status
    # The import benchmark is another module, run after this one when present.
    if importlib.util.find_spec("bench.import_bench") is not None:
        from bench import import_bench

        if callable(getattr(import_bench, "main", None)):
            # Its own options, not ours: its defaults, or a small file for --quick.
            parameters = inspect.signature(import_bench.main).parameters
            own_args = ["--posts", "100"] if "--quick" in argv else []
            other = import_bench.main(own_args) if parameters else import_bench.main()
            status = status or (other if isinstance(other, int) else 0)
    # The search benchmark: its own scratch database (1,000,000 comments; 100,000 under --quick).
    from bench import search_bench

    searched = search_bench.main(["--comments", "100000", "--repeat", "5"] if "--quick" in argv else [])
    status = status or searched
    # The moderation queue: the admin's comment list with 100,000 comments (target <= 150 ms).
    from bench import admin_queue_bench

    queued = admin_queue_bench.main([])
    return status or queued


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
