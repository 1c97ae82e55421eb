"""One importer per format, and the guess of a file's format from its start."""

import re

from archive.importers.base import ImportFailed
from archive.importers.disqus import DisqusImporter
from archive.importers.isso import IssoImporter
from archive.importers.seed import SeedTextImporter
from archive.importers.wflm_json import FORMAT_NAME, WflmJSONImporter
from archive.importers.wxr import WXRImporter

IMPORTERS = {
    "wxr": WXRImporter,
    "disqus": DisqusImporter,
    "json": WflmJSONImporter,
    "isso": IssoImporter,
    "seed": SeedTextImporter,
}
FORMATS = tuple(IMPORTERS)

_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_PROLOG = re.compile(rb"<!--.*?-->|<\?.*?\?>", re.DOTALL)
_SEED = re.compile(rb"^\s*(?:\d+|no|one)\s+responses?\s+so\s+far", re.IGNORECASE | re.MULTILINE)


def detect_format(head):
    """The format of a file from its first bytes (a few kilobytes), or ImportFailed."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith((b"{", b"[")):
        return "json" if FORMAT_NAME.encode() in text[:4096] else "isso"
    if text.startswith(b"<"):
        match = _ROOT.search(_PROLOG.sub(b"", text))
        if match:
            root = match.group(1).split(b":")[-1].lower()
            if root == b"rss":
                if b"wordpress.org/export/" in text:
                    return "wxr"
                raise ImportFailed("an RSS feed without WordPress's export namespace: not a WXR export.")
            if root == b"disqus":
                return "disqus"
            raise ImportFailed(f"XML with a <{root.decode(errors='replace')}> root: neither WXR nor Disqus.")
        raise ImportFailed("no XML root element found in the first kilobytes.")
    if _SEED.search(text):
        return "seed"
    raise ImportFailed(f"cannot tell the format; give --format ({', '.join(FORMATS)}).")
