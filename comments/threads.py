"""A post's thread as one flat list, ready for a single template loop.

No recursion and no query per comment: the comments arrive in path order
(one query) and one pass gives each its number, its display depth and the
markup that opens or closes nested lists before it.
"""

from django.conf import settings
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.safestring import SafeString

from comments.models import Comment

# Only what the page shows: not the raw body, email, IP or user agent.
THREAD_FIELDS = (
    "id",
    "post_id",
    "parent_id",
    "path",
    "depth",
    "name",
    "url",
    "body_html",
    "created_at",
    "original_id",
    "status",
)

OPEN_CHILDREN = '<ol class="children">'
CLOSE_ITEM = "</li>"
CLOSE_CHILDREN = "</ol></li>"


class Thread:
    """The approved comments of a post, numbered and nested for display."""

    def __init__(self, comments, max_depth=None):
        self.max_depth = max_depth or settings.COMMENTS_DISPLAY_DEPTH
        self.comments = list(comments)
        self.by_id = {comment.pk: comment for comment in self.comments}
        self._lay_out()

    @classmethod
    def for_post(cls, post, max_depth=None, also_show_ids=()):
        """Approved comments, plus also_show_ids (a reader's own held comments)."""
        shown = Q(status=Comment.Status.APPROVED)
        if also_show_ids:
            shown |= Q(pk__in=list(also_show_ids))
        queryset = Comment.objects.conversation().for_post(post).filter(shown).in_thread_order()
        return cls(queryset.only(*THREAD_FIELDS), max_depth=max_depth)

    @cached_property
    def approved_count(self):
        """What "N Responses" counts: held comments shown to their author do not."""
        return sum(1 for comment in self.comments if comment.status == Comment.Status.APPROVED)

    def __iter__(self):
        return iter(self.comments)

    def __len__(self):
        return len(self.comments)

    def get(self, comment_id):
        return self.by_id.get(comment_id)

    def _visible_ancestor(self, comment):
        if comment.parent_id in self.by_id:
            return self.by_id[comment.parent_id]
        # The parent is hidden (pending, spam, removed): hang the reply
        # under the nearest ancestor that shows.
        for ancestor_id in reversed(comment.path[:-1]):
            if ancestor_id in self.by_id:
                return self.by_id[ancestor_id]
        return None

    def _lay_out(self):
        previous_depth = 0
        for number, comment in enumerate(self.comments, start=1):
            ancestor = self._visible_ancestor(comment)
            depth = ancestor.display_depth + 1 if ancestor else 1
            comment.number = number
            comment.display_depth = min(depth, self.max_depth)
            # Past the display depth the indentation no longer says who
            # is answered, so the text does.
            comment.in_reply_to = ancestor if depth > self.max_depth else None
            comment.tree_before = SafeString(_markup_between(previous_depth, comment.display_depth))
            previous_depth = comment.display_depth
            # Old links to an imported comment (#comment-<its old id>) keep
            # working, unless that old id is also a comment id on this page.
            alias = comment.original_id
            comment.alias_anchor = (
                alias if alias and not (alias.isdigit() and int(alias) in self.by_id) else ""
            )
        self.tree_end = SafeString(_close_all(previous_depth))


def _markup_between(previous_depth, depth):
    if previous_depth == 0:
        return ""
    if depth > previous_depth:
        return OPEN_CHILDREN
    return CLOSE_ITEM + CLOSE_CHILDREN * (previous_depth - depth)


def _close_all(depth):
    if depth == 0:
        return ""
    return CLOSE_ITEM + CLOSE_CHILDREN * (depth - 1)
