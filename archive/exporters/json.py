"""Our JSON export, written as a stream: a header, then one post per line."""

import json

from django.utils import timezone

from archive.exporters.records import archive_counts, export_site, post_dicts
from archive.importers.wflm_json import FORMAT_NAME, FORMAT_VERSION


def write_json(out, site_url, progress=None):
    """Write the whole archive to the text stream out; return the counts written."""
    header = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "site": export_site(site_url),
        "site_url": site_url,
        "exported_at": timezone.now().isoformat(),
        "counts": archive_counts(),
    }
    out.write(json.dumps(header, ensure_ascii=False)[:-1] + ', "posts": [\n')
    written = {"posts": 0, "comments": 0}
    for post in post_dicts(site_url):
        if written["posts"]:
            out.write(",\n")
        out.write(json.dumps(post, ensure_ascii=False))
        written["posts"] += 1
        written["comments"] += len(post["comments"])
        if progress:
            progress(written)
    out.write("\n]}\n")
    return written
