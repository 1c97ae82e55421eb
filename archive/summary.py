"""The end-of-import summary, as lines (the command prints them, the admin shows them)."""


def _join(counter):
    return ", ".join(f"{name} {count:,}" for name, count in sorted(counter.items(), key=lambda kv: -kv[1]))


def _count(number, singular, plural=None):
    return f"{number:,} {singular if number == 1 else plural or singular + 's'}"


def _nothing_new(get):
    created = get("posts_created", 0) + get("comments_created", 0) + get("tag_links_created", 0)
    return not created and bool(get("posts_existing", 0) or get("comments_existing", 0))


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
            "nothing new: everything in the file was imported before",
            f"in the file: {_count(get('file_posts', get('posts_existing', 0)), 'post')} "
            f"({get('posts_with_comments', 0):,} with comments), "
            f"{_count(get('file_comments', get('comments_existing', 0)), 'comment')}"
            + (f" ({_count(get('file_replies'), 'reply', 'replies')})" if "file_replies" in counts else ""),
        ]
        if skipped:
            lines.append(f"skipped: {_join(skipped)}")
        return lines
    lines = [
        f"posts: {get('posts_created', 0):,} created"
        + (f" ({_join(type_counts)})" if type_counts else "")
        + f", {get('posts_existing', 0):,} already imported; {get('posts_with_comments', 0):,} with comments",
        f"comments: {kinds.get('comment', 0):,} comments, {kinds.get('pingback', 0):,} pingbacks, "
        f"{kinds.get('trackback', 0):,} trackbacks created; {get('comments_existing', 0):,} already imported",
    ]
    if statuses:
        lines.append(f"statuses: {_join(statuses)}")
    inferred = get("replies_at_name", 0) + get("replies_stated", 0)
    lines.append(
        f"replies: {get('replies', 0):,} ({inferred:,} inferred: {get('replies_at_name', 0):,} from @name, "
        f"{get('replies_stated', 0):,} stated); maximum depth {max(depths, default=0)}"
    )
    if get("missing_parents"):
        lines.append(f"parents missing from the file: {get('missing_parents'):,} (imported as top-level)")
    if get("control_characters_removed"):
        lines.append(f"control characters removed: {get('control_characters_removed'):,}")
    if skipped:
        lines.append(f"skipped: {_join(skipped)}")
    return lines
