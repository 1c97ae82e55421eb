"""Whole-archive exports: our JSON (every field) and WordPress WXR."""

from archive.exporters.json import write_json
from archive.exporters.wxr import write_wxr

EXPORTERS = {"json": write_json, "wxr": write_wxr}
