"""A post's thread as one flat list, rendered by a single template loop.

No recursion and no query per comment: the comments arrive in path order
(one query, as plain rows rather than model instances) and one pass gives
each its number, its display depth, its date as shown and the markup that
opens or closes nested lists before it. The loop itself is a Jinja2
template (templates/jinja2/comments/thread.jinja): Django's engine costs
several microseconds per node, which is most of the time on a page of
10,000 comments.
"""

import colorsys
import functools
import hashlib
import hmac
import math
import re
from collections import Counter

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db.models import BigIntegerField, Count, Q, Value
from django.db.models.functions import Cast
from django.http import Http404
from django.template import engines
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from markupsafe import Markup, escape

from comments import edit_window
from comments.models import Comment
from comments.thread_dates import date_shower, english_date
from wflm.ids import parse_id

# Only what the page shows: not the raw body, IP or user agent. The email
# is read only to pick the commenter's avatar (a keyed hash, see avatar_svg)
# and never kept on the Entry.
THREAD_FIELDS = (
    "id",
    "parent_id",
    "path",
    "name",
    "url",
    "body_html",
    "created_at",
    "original_id",
    "status",
    "kind",
    "email",
    "by_staff",
)

OPEN_CHILDREN = '<ol class="children">'
CLOSE_ITEM = "</li>"
CLOSE_CHILDREN = "</ol></li>"


class Thread:
    """One page of a post's thread, numbered and nested for display.

    Pages hold top-level comments with all their replies (WordPress's
    "break comments into pages"); number_offset continues the numbering
    from the pages before. Pingbacks and trackbacks come along in the same
    query and are kept apart, in self.pingbacks.
    """

    def __init__(
        self, entries, approved_count, max_depth=None, number_offset=0, pagination=None, editable_ids=()
    ):
        self.max_depth = max_depth or settings.COMMENTS_DISPLAY_DEPTH
        self.comments, self.pingbacks = [], []
        for entry in entries:
            (self.comments if entry.kind == Comment.Kind.COMMENT else self.pingbacks).append(entry)
        self.by_id = {comment.pk: comment for comment in self.comments}
        self.number_offset = number_offset
        self.pagination = pagination
        # What "N Responses" counts: the whole thread, without the held
        # comments shown to their author.
        self.approved_count = approved_count
        self._lay_out()
        self._offer_edits(editable_ids)

    @classmethod
    def for_post(cls, post, page=None, max_depth=None, also_show_ids=(), editable_ids=()):
        """The thread page to show (page None: the default one).

        Queries: the top-level comments' ids (comment_roots_idx), the
        comments before this page when it is not the first (a count), then
        the page's comments and the post's pingbacks. One query when
        COMMENTS_PER_PAGE is 0. Raises Http404 for a page that does not exist.
        editable_ids: the reader's own comments (wflm_own); no query.
        """
        shown = Q(status=Comment.Status.APPROVED)
        if also_show_ids:
            shown |= Q(pk__in=list(also_show_ids))
        comments = Comment.objects.for_post(post).filter(shown)
        pingbacks = ~Q(kind=Comment.Kind.COMMENT)
        per_page = settings.COMMENTS_PER_PAGE
        if not per_page:
            if page not in (None, 1):
                raise Http404("This thread is not split into pages.")
            return cls(
                _entries(comments.in_thread_order()),
                post.response_count,
                max_depth=max_depth,
                editable_ids=editable_ids,
            )

        roots = list(
            comments.conversation().filter(parent__isnull=True).order_by("id").values_list("id", flat=True)
        )
        pagination = Pagination(post, roots, per_page, page)
        first, following = pagination.root_range()
        on_page = Q(kind=Comment.Kind.COMMENT)
        offset = 0
        if first is not None:
            # Page 1 also holds any reply whose top-level comment is hidden
            # and sorts before the first shown one.
            on_page &= Q(path__gte=_path_of(first))
            offset = comments.conversation().filter(path__lt=_path_of(first)).count()
        if following is not None:
            on_page &= Q(path__lt=_path_of(following))
        return cls(
            _entries(comments.filter(on_page | pingbacks).in_thread_order()),
            post.response_count,
            max_depth=max_depth,
            number_offset=offset,
            pagination=pagination,
            editable_ids=editable_ids,
        )

    def __iter__(self):
        return iter(self.comments)

    def get(self, comment_id):
        return self.by_id.get(comment_id)

    def _offer_edits(self, editable_ids):
        """Give "Edit" to the reader's own comments still inside their window (comments/edit_window.py)."""
        # Whether the page needs static/js/edit-own.js (the live countdown).
        self.offers_edits = False
        now = timezone.now()
        for pk in editable_ids:
            comment = self.by_id.get(pk)
            if comment is None or comment.status not in edit_window.EDITABLE_STATUSES:
                continue
            seconds = edit_window.seconds_left(comment.created_at, now)
            if seconds:
                # Escaped here: thread.jinja prints it as it is (a translation is ours, but text).
                comment.edit_seconds_left = seconds
                comment.edit_label = escape(edit_window.minutes_label(seconds))
                comment.edit_url = reverse("comments:edit_own", args=[pk])
                self.offers_edits = True

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
        # A name shown more than once on the page ("Anonymous") gets its
        # comment number wherever a reply names it: "Reply to Anonymous (#7)".
        # (str.lower: Markup's would wrap every result in a new Markup.)
        name_counts = Counter(str.lower(comment.name) for comment in self.comments)
        for number, comment in enumerate(self.comments, start=self.number_offset + 1):
            ancestor = self._visible_ancestor(comment)
            depth = ancestor.display_depth + 1 if ancestor else 1
            comment.number = number
            comment.display_depth = min(depth, self.max_depth)
            # The name is escaped already (Entry) and the number an int: an
            # f-string, since Markup.format escapes through string.Formatter,
            # which was most of this loop's time on a 1,000-comment page.
            comment.reply_label = (
                comment.name
                if name_counts[str.lower(comment.name)] == 1
                else Markup(f"{comment.name} (#{number})")  # noqa: S704
            )
            # Indentation shows who is answered to sighted readers only,
            # and not at all past the display depth: the text says it too.
            comment.in_reply_to = ancestor
            comment.tree_before = SafeString(_markup_between(previous_depth, comment.display_depth))
            previous_depth = comment.display_depth
            # Old links to an imported comment (#comment-<its old id>) keep
            # working, unless that old id is also a comment id on this page.
            alias = comment.original_id
            comment.alias_anchor = escape(alias) if alias and parse_id(alias) not in self.by_id else ""
        self.tree_end = SafeString(_close_all(previous_depth))
        _link_mentions(self.comments)

    @property
    def html(self):
        """The thread as HTML (an <ol>, or the "No responses yet" line)."""
        template = engines["jinja2"].get_template("comments/thread.jinja")
        return SafeString(template.render({"thread": self}))


class Entry:
    """One comment as the thread shows it (lighter than a model instance)."""

    __slots__ = (
        "pk", "parent_id", "path", "name", "url", "body_html", "created_at", "original_id", "status", "kind",
        "by_staff", "is_approved", "date_shown", "datetime_attribute", "avatar",
        "number", "display_depth", "in_reply_to", "tree_before", "alias_anchor", "reply_label",
        "edit_seconds_left", "edit_label", "edit_url",
    )  # fmt: skip

    def __init__(self, row, time_zone, avatars, show_date=english_date):
        (self.pk, self.parent_id, self.path, name, url, body_html,
         self.created_at, self.original_id, self.status, self.kind, email, self.by_staff) = row  # fmt: skip
        # Every text value is escaped here, once: the thread template prints
        # them with autoescaping off (see thread.jinja). body_html was made
        # safe when the comment was written (nh3); ints and dates need nothing.
        # (Markup, so that Django templates showing a name do not escape it twice.)
        self.name, self.url, self.body_html = escape(name), escape(url), body_html
        # Plain attributes, not properties: the template reads them often.
        self.is_approved = self.status == Comment.Status.APPROVED
        self.date_shown = show_date(self.created_at.astimezone(time_zone))
        self.datetime_attribute = self.created_at.isoformat()
        self.avatar = avatars.for_commenter(email, name)
        # Set by Thread._offer_edits on the reader's own comments only.
        self.edit_seconds_left, self.edit_label, self.edit_url = 0, "", ""

    @property
    def kind_label(self):
        return Comment.Kind(self.kind).label


def _entries(queryset):
    time_zone = timezone.get_current_timezone()
    avatars = Avatars()
    # The interface language's date format, looked up once for the page (comments/thread_dates.py).
    show_date = date_shower()
    return [Entry(row, time_zone, avatars, show_date) for row in queryset.values_list(*THREAD_FIELDS)]


# --- Avatars ---------------------------------------------------------------------


class Avatars:
    """Each commenter's identicon, made here: nothing is fetched from another site.

    The picture comes from an HMAC of the lower-cased email keyed with
    SECRET_KEY, so the same commenter gets the same one on every post,
    while the page holds neither the email nor a hash anyone could match
    against one (an unkeyed hash, as Gravatar's, can be looked up). Only a
    few of the HMAC's bits are used, for the colour and the pattern, and
    they are never printed. Commenters without an email (imported ones)
    get theirs from their name. One per commenter per page: made once.
    """

    def __init__(self):
        self.key = hashlib.sha256(b"wflm.comments.avatar:" + settings.SECRET_KEY.encode()).digest()

    def for_commenter(self, email, name):
        seed = f"email:{email.strip().lower()}" if email else f"name:{name.strip().lower()}"
        return _avatar(self.key, seed)


# A commenter's picture never changes (it is a function of the key and the
# seed): made once per process, not once per page render; bounded.
@functools.lru_cache(maxsize=20_000)
def _avatar(key, seed):
    return avatar_svg(hmac.new(key, seed.encode(), hashlib.sha256).digest())


def avatar_svg(digest):
    """A 5x5 mirrored identicon in one colour, as inline SVG (the CSP allows presentation attributes).

    Each row's runs of cells are one stroke ("M0 2.5h3": three cells of
    row 2), so a picture is about 150 bytes; the background is the page's
    (CSS), so it follows the dark scheme.
    """
    colour = _colour(int.from_bytes(digest[0:2]) % 360, digest[2] % 4)
    path = _pattern_path(int.from_bytes(digest[3:5]) & 0x7FFF)
    return SafeString(
        '<svg class="avatar" width="40" height="40" viewBox="-.5 -.5 6 6" aria-hidden="true">'
        f'<path stroke="{colour}" d="{path}"/></svg>'
    )


@functools.cache
def _colour(hue, saturation_step):
    # Mid lightness: as visible on the light paper as on the dark.
    red, green, blue = colorsys.hls_to_rgb(hue / 360, 0.45, 0.35 + saturation_step * 0.1)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"


@functools.cache
def _pattern_path(bits):
    """15 bits, one per cell of the left three columns; the right two mirror them."""
    runs = []
    for row in range(5):
        cells = [bits >> (min(column, 4 - column) * 5 + row) & 1 for column in range(5)]
        column = 0
        while column < 5:
            if not cells[column]:
                column += 1
                continue
            start = column
            while column < 5 and cells[column]:
                column += 1
            runs.append(f"M{start} {row}.5h{column - start}")
    return "".join(runs) or "M2 2.5h1"


# --- "@name" mentions --------------------------------------------------------------

# Where a word may end, in the body's HTML: a name is looked up at each
# of these places after the "@", longest first. A body always ends in
# "</p>", so the last word has one too.
_WORD_END = re.compile(r"(?=\W)")
MENTION_START = "<p>@"
MENTION_MAX_LENGTH = 100  # longer than any name (100 characters, escaped a little)


def _as_body_text(name):
    """name (an escaped Entry.name) as it appears in a body's HTML.

    Bodies went through nh3, whose serialiser escapes only &, < and > in
    text (and a no-break space): quotes stay as they are.
    """
    text = name.unescape().replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\xa0", "&nbsp;").lower()


def _link_mentions(comments):
    """Link an "@name" opening a comment to the latest earlier comment by that name here.

    Done on the rows of this page only (a name answered on an earlier page
    stays text), and only when some comment opens with "@": otherwise this
    is one scan. The importer links these as replies where it can
    (archive/thread_order.py); this is the visible link, for every thread.
    """
    opening = {comment.pk for comment in comments if comment.body_html.startswith(MENTION_START)}
    if not opening:
        return
    latest = {}  # a name as in bodies, lower-cased -> the latest comment so far
    for comment in sorted(comments, key=lambda c: (c.created_at, c.pk)):
        own_name = _as_body_text(comment.name)
        if comment.pk in opening:
            _link_mention(comment, latest, own_name)
        if comment.is_approved:  # a held comment shown to its author is no one else's to link to
            latest[own_name] = comment


def _link_mention(comment, latest, own_name):
    start = len(MENTION_START)
    text = comment.body_html[start : start + MENTION_MAX_LENGTH]
    lowered = text.lower()
    ends = [match.start() for match in _WORD_END.finditer(lowered) if match.start()]
    for end in reversed(ends):
        candidate = lowered[:end]
        target = latest.get(candidate)
        if target is not None and candidate != own_name:
            rest = comment.body_html[start + end :]
            comment.body_html = SafeString(
                f'<p><a class="mention" href="#comment-{target.pk}">@{text[:end]}</a>{rest}'
            )
            return


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


def _path_of(root):
    # A one-id path: every path in that root's subtree sorts at or after it.
    return Cast(Value([root]), output_field=ArrayField(BigIntegerField()))


class Pagination:
    """Which top-level comments a thread page shows, and its links."""

    def __init__(self, post, roots, per_page, page=None):
        self.post = post
        self.roots = roots
        self.per_page = per_page
        self.num_pages = max(1, math.ceil(len(roots) / per_page))
        self.default_page = default_page(self.num_pages)
        self.number = self.default_page if page is None else page
        if not 1 <= self.number <= self.num_pages:
            raise Http404("There is no such page of comments.")

    def root_range(self):
        """(first top-level id on this page, or None on page 1; the next page's first, or None)."""
        start = (self.number - 1) * self.per_page
        end = start + self.per_page
        first = self.roots[start] if start else None
        following = self.roots[end] if end < len(self.roots) else None
        return first, following

    @property
    def is_paginated(self):
        return self.num_pages > 1

    def url(self, number):
        return page_url(self.post, number, self.default_page)

    @property
    def current_url(self):
        return self.url(self.number)

    @property
    def previous_url(self):
        return self.url(self.number - 1) if self.number > 1 else None

    @property
    def next_url(self):
        return self.url(self.number + 1) if self.number < self.num_pages else None


def default_page(num_pages):
    """The page a post opens on (COMMENTS_FIRST_PAGE)."""
    return 1 if settings.COMMENTS_FIRST_PAGE == "oldest" else num_pages


def page_url(post, number, opening_page):
    if number == opening_page:
        return post.get_absolute_url()
    return reverse("posts:comments_page", kwargs={**post.permalink_kwargs(), "page": number})


def comment_url(comment):
    """Where a comment shows: its thread page and anchor (one query when paginated).

    Reads comment.post (a query if not loaded).
    """
    post = comment.post
    per_page = settings.COMMENTS_PER_PAGE
    anchor = f"#comment-{comment.pk}"
    if not per_page:
        return post.get_absolute_url() + anchor
    root = comment.path[0]
    # Index-only over the thread's shown top-level comments (comment_roots_idx).
    counts = (
        Comment.objects.approved()
        .conversation()
        .for_post(post)
        .filter(parent__isnull=True)
        .aggregate(
            before=Count("id", filter=Q(id__lt=root)), shown=Count("id", filter=Q(id=root)), total=Count("id")
        )
    )
    # A reply whose top-level comment is hidden shows on the page of the
    # shown top-level comment before it.
    own_place = counts["shown"] or root == comment.pk
    index = counts["before"] if own_place else max(counts["before"] - 1, 0)
    num_pages = math.ceil(max(counts["total"], index + 1) / per_page)
    return page_url(post, index // per_page + 1, default_page(num_pages)) + anchor
