#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wflm.settings")
    if not os.environ.get("DATABASE_URL"):
        # Without DATABASE_URL the project uses its embedded PostgreSQL;
        # start it so that one-off commands (createsuperuser, imports) just work.
        from wflm import localdb

        url, started = localdb.start()
        os.environ["DATABASE_URL"] = url
        if started:
            print("Started the embedded PostgreSQL; `make db-stop` stops it.", file=sys.stderr)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
