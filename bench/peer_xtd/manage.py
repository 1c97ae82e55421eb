#!/usr/bin/env python
"""The peer project's manage.py; run with var/bench-xtd-venv/bin/python (see bench/peer.py)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
