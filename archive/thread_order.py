"""Each post's new comments in an order the thread trigger accepts.

Parents first (by date, then file order), each with its parent (a key in
this batch, or the id and depth of a comment already in the database) and
depth; missing parents and loops made top-level and reported; with
--infer-replies, a top-level "@name" comment linked to the latest earlier
comment by that name.
"""

import heapq
import re

from archive.models import CommentSource
from comments.models import Comment


class ThreadPlanner:
    def __init__(self, *, site, report, infer_replies, now):
        self.site = site
        self.report = report
        self.infer_replies = infer_replies
        self.now = now

    def order(self, record, post_id, comments, parents_in_db, names_in_db):
        """This post's new comments, parents first; each with its parent (id or key) and depth."""
        label = record.label or record.key
        for comment in comments:
            if comment.created_at is None:
                comment.created_at = record.published_at or self.now
                self.report.warn(
                    f"{label}, comment {comment.original_id or comment.key}: no date; dated by its post."
                )
        by_key = {c.key: c for c in comments}
        parent_of = {}
        for comment in comments:
            parent = None
            if comment.parent_key is not None:
                if comment.parent_key in by_key and comment.parent_key != comment.key:
                    parent = comment.parent_key
                else:
                    found = parents_in_db.get((self.site, comment.parent_key))
                    if found and found[1] == post_id:
                        parent = found
                    else:
                        where = f"{label}, comment {comment.original_id or comment.key}"
                        self.report.warn(
                            f"{where}: its parent {comment.original_parent_id or comment.parent_key} "
                            "is not in this post in the file; imported as a top-level comment."
                        )
                        self.report.counts["missing_parents"] += 1
                        comment.parent_origin = "missing"
                        comment.reply_inferred = False
            elif comment.parent_origin not in (None, "", "missing"):
                comment.parent_origin = ""
            parent_of[comment.key] = parent
            if parent is not None and not comment.parent_origin:
                comment.parent_origin = "recorded"
        if self.infer_replies:
            self._infer(record, post_id, comments, parent_of, names_in_db.get(post_id, []))
        return self._parents_first(record, comments, parent_of)

    def _infer(self, record, post_id, comments, parent_of, earlier_in_db):
        """Link a top-level "@name" comment to the latest earlier comment by that name."""
        timeline = [(c.created_at, c.order, c) for c in comments]
        timeline.sort(key=lambda item: (item[0], item[1]))
        latest = {}  # lower-cased name -> key or (id, post_id, depth)
        db_rows = iter(earlier_in_db)
        pending_db = next(db_rows, None)
        for created_at, _, comment in timeline:
            while pending_db is not None and pending_db[3] <= created_at:
                name, comment_id, depth, _ = pending_db
                latest[name.lower()] = (comment_id, post_id, depth)
                pending_db = next(db_rows, None)
            if (
                parent_of[comment.key] is None
                and comment.kind == Comment.Kind.COMMENT
                and "@" in comment.body
                and comment.parent_origin != "missing"
            ):
                mention = _mentioned(comment.body, latest, comment.name.lower())
                if mention:
                    parent_of[comment.key] = latest[mention]
                    comment.parent_origin = CommentSource.ParentOrigin.AT_NAME
                    comment.inferred_from = f"@{mention}"
                    comment.reply_inferred = True
                else:
                    addressed = ", ".join(f"@{name}" for name in _AT_NAME.findall(comment.body)[:3])
                    if addressed:
                        self.report.counts["mentions_unresolved"] += 1
                        self.report.warn(
                            f"{record.label}, comment {comment.original_id or comment.key}: "
                            f"{addressed} names no earlier commenter; left top-level."
                        )
            if comment.kind == Comment.Kind.COMMENT and comment.name:
                latest[comment.name.lower()] = comment.key

    def _parents_first(self, record, comments, parent_of):
        ordered = sorted(comments, key=lambda c: (c.created_at, c.order))
        rank = {c.key: n for n, c in enumerate(ordered)}
        children = {}
        heap = []
        for comment in ordered:
            parent = parent_of[comment.key]
            if isinstance(parent, str):
                children.setdefault(parent, []).append(comment)
            else:
                heapq.heappush(heap, (rank[comment.key], comment.key))
        plan = []
        emitted = set()
        by_key = {c.key: c for c in comments}
        while True:
            while heap:
                _, key = heapq.heappop(heap)
                comment = by_key[key]
                emitted.add(key)
                parent = parent_of[key]
                if isinstance(parent, tuple):
                    plan.append((record, comment, parent[0], parent[2] + 1))
                elif parent is None:
                    plan.append((record, comment, None, 1))
                else:
                    plan.append((record, comment, parent, None))
                for child in children.get(key, []):
                    heapq.heappush(heap, (rank[child.key], child.key))
            stuck = [c for c in ordered if c.key not in emitted]
            if not stuck:
                return plan
            # A loop of parents (a replies to b, b to a): the earliest
            # becomes top-level, reported, and the rest follow it.
            first = stuck[0]
            self.report.warn(
                f"{record.label}, comment {first.original_id or first.key}: its replies loop back to it; "
                "imported as a top-level comment."
            )
            self.report.counts["parent_loops_broken"] += 1
            children[parent_of[first.key]].remove(first)
            parent_of[first.key] = None
            first.parent_origin = "missing"
            first.reply_inferred = False
            heapq.heappush(heap, (rank[first.key], first.key))


_AT_NAME = re.compile(r"(?<![\w.])@(\w[\w.-]{0,40}\w|\w)")


def _mentioned(body, latest, own_name):
    """The first "@name" in the body that is a known name (the longest one at that place);
    not an "@" inside an e-mail address."""
    lowered = body.lower()
    start = lowered.find("@")
    while start != -1:
        if start == 0 or not lowered[start - 1].isalnum():
            rest = lowered[start + 1 : start + 101]
            best = None
            for name in latest:
                if name == own_name or not name or not rest.startswith(name):
                    continue
                after = rest[len(name) : len(name) + 1]
                if after and (after.isalnum() or after == "_"):
                    continue
                if best is None or len(name) > len(best):
                    best = name
            if best:
                return best
        start = lowered.find("@", start + 1)
    return None
