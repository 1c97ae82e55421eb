"""The end-of-import summary, as lines (the command prints them, the admin shows them).

The lines are in the active language: the admin's (the import's page), or
English for the command (import_archive overrides it: operator output).
What the file itself named stays as written: WordPress post types and
statuses ("page", "nav_menu_item", "draft"), and skipped reasons the
importers do not know by name.
"""

import re

from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext, npgettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

# Imported comments' statuses (Comment.Status values), as the summary counts them.
STATUSES = {
    "approved": pgettext_lazy("imported comments", "approved"),
    "pending": pgettext_lazy("imported comments", "pending"),
    "spam": pgettext_lazy("imported comments", "spam"),
    "removed": pgettext_lazy("imported comments", "removed"),
}
# What the importers skip (Report.skip's reasons, stored with the run as written).
SKIPPED = {
    "malformed comments": _("malformed comments"),
    "comments whose thread is not in the file": _("comments whose thread is not in the file"),
    "Disqus threads without comments": _("Disqus threads without comments"),
    "comments on skipped items": _("comments on skipped items"),
    "duplicate items in the file": _("duplicate items in the file"),
}
# archive/importers/wxr.py's reasons naming the file's post type and status.
SKIPPED_TYPE = re.compile(r"^(?P<type>\S+) items$")
SKIPPED_UNPUBLISHED = re.compile(r"^(?P<status>\S+) (?P<type>\S+)s \(not published\)$")


def _number(value):
    # Grouped as the language writes numbers ("1,245", "1 245").
    return number_format(value, force_grouping=True)


def _counted(template, count):
    """template (ngettext's choice for count, written out at each call for makemessages) with count in it."""
    return template % {"count": _number(count)}


def _skipped_reason(reason):
    if reason in SKIPPED:
        return str(SKIPPED[reason])
    if match := SKIPPED_UNPUBLISHED.match(reason):
        return gettext("%(status)s %(type)ss (not published)") % match.groupdict()
    if match := SKIPPED_TYPE.match(reason):
        return gettext("%(type)s items") % match.groupdict()
    return reason


def _status(status):
    return str(STATUSES.get(status, status))


def _join(counter, name=str):
    return pgettext("list separator", ", ").join(
        f"{name(key)} {_number(count)}" for key, count in sorted(counter.items(), key=lambda kv: -kv[1])
    )


def _nothing_new(get):
    created = get("posts_created", 0) + get("comments_created", 0) + get("tag_links_created", 0)
    return not created and bool(get("posts_existing", 0) or get("comments_existing", 0))


def _skipped_line(skipped):
    return gettext("skipped: %(items)s") % {"items": _join(skipped, _skipped_reason)}


def _with_comments(count):
    return _counted(ngettext("%(count)s with comments", "%(count)s with comments", count), count)


def _in_the_file(get, counts):
    posts = get("file_posts", get("posts_existing", 0))
    comments = get("file_comments", get("comments_existing", 0))
    values = {
        "posts": _counted(ngettext("%(count)s post", "%(count)s posts", posts), posts),
        "with_comments": _with_comments(get("posts_with_comments", 0)),
        "comments": _counted(ngettext("%(count)s comment", "%(count)s comments", comments), comments),
    }
    if "file_replies" not in counts:
        return gettext("in the file: %(posts)s (%(with_comments)s), %(comments)s") % values
    replies = get("file_replies")
    values["replies"] = _counted(ngettext("%(count)s reply", "%(count)s replies", replies), replies)
    return gettext("in the file: %(posts)s (%(with_comments)s), %(comments)s (%(replies)s)") % values


def _posts_line(get, type_counts):
    created, existing = get("posts_created", 0), get("posts_existing", 0)
    values = {
        "created": _counted(npgettext("posts", "%(count)s created", "%(count)s created", created), created),
        "existing": _counted(
            npgettext("posts", "%(count)s already imported", "%(count)s already imported", existing), existing
        ),
        "with_comments": _with_comments(get("posts_with_comments", 0)),
    }
    if not type_counts:
        return gettext("posts: %(created)s, %(existing)s; %(with_comments)s") % values
    # The file's own post types ("post 57, page 21").
    values["types"] = _join(type_counts)
    return gettext("posts: %(created)s (%(types)s), %(existing)s; %(with_comments)s") % values


def _comments_line(get, kinds):
    comments, pingbacks, trackbacks = (kinds.get(kind, 0) for kind in ("comment", "pingback", "trackback"))
    existing = get("comments_existing", 0)
    values = {
        "comments": _counted(ngettext("%(count)s comment", "%(count)s comments", comments), comments),
        "pingbacks": _counted(ngettext("%(count)s pingback", "%(count)s pingbacks", pingbacks), pingbacks),
        "trackbacks": _counted(
            ngettext("%(count)s trackback", "%(count)s trackbacks", trackbacks), trackbacks
        ),
        "existing": _counted(
            npgettext("comments", "%(count)s already imported", "%(count)s already imported", existing),
            existing,
        ),
    }
    return gettext("comments: %(comments)s, %(pingbacks)s, %(trackbacks)s created; %(existing)s") % values


def _replies_line(get, depths):
    at_name, stated = get("replies_at_name", 0), get("replies_stated", 0)
    inferred = at_name + stated
    values = {
        "replies": _number(get("replies", 0)),
        "inferred": _counted(ngettext("%(count)s inferred", "%(count)s inferred", inferred), inferred),
        "at_name": _counted(ngettext("%(count)s from @name", "%(count)s from @name", at_name), at_name),
        "stated": _counted(ngettext("%(count)s stated", "%(count)s stated", stated), stated),
        "depth": _number(max(depths, default=0)),
    }
    return (
        gettext("replies: %(replies)s (%(inferred)s: %(at_name)s, %(stated)s); maximum depth %(depth)s")
        % values
    )


def summary_lines(report):
    counts = report.counts if hasattr(report, "counts") else report
    get = counts.get
    kinds = report.kinds if hasattr(report, "kinds") else get("kinds", {})
    statuses = report.statuses if hasattr(report, "statuses") else get("statuses", {})
    skipped = report.skipped if hasattr(report, "skipped") else get("skipped", {})
    depths = report.depths if hasattr(report, "depths") else {int(k): v for k, v in get("depths", {}).items()}
    type_counts = report.types if hasattr(report, "types") else get("types", {})
    if _nothing_new(get):
        # Zeros ("replies: 0; maximum depth 0") would describe the run, not the file.
        lines = [
            gettext("nothing new: everything in the file was imported before"),
            _in_the_file(get, counts),
        ]
        if skipped:
            lines.append(_skipped_line(skipped))
        return lines
    lines = [_posts_line(get, type_counts), _comments_line(get, kinds)]
    if statuses:
        lines.append(gettext("statuses: %(statuses)s") % {"statuses": _join(statuses, _status)})
    lines.append(_replies_line(get, depths))
    if get("missing_parents"):
        lines.append(
            gettext("parents missing from the file: %(count)s (imported as top-level)")
            % {"count": _number(get("missing_parents"))}
        )
    if get("control_characters_removed"):
        lines.append(
            gettext("control characters removed: %(count)s")
            % {"count": _number(get("control_characters_removed"))}
        )
    if skipped:
        lines.append(_skipped_line(skipped))
    return lines
