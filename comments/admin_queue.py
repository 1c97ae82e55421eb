"""The moderation queue's list: its status filter and the cells of its compact rows.

One row per comment, narrow enough for a 1280 px window: the excerpt with
the row's actions beneath (as WordPress lays them out), the author with
email, website and IP stacked, the post, the status label, the date. The
actions are buttons of the list's own form (it carries the CSRF token),
so they work as plain POSTs; static/js/admin-queue.js sends the same POSTs
with fetch and keeps the list in place.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.views.main import SEARCH_VAR
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape, escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext, gettext_lazy, ngettext_lazy, pgettext_lazy

from comments.models import Comment, Host
from posts.models import Post

Status = Comment.Status
EXCERPT_LENGTH = 140


@dataclass(frozen=True)
class Step:
    """One moderation step, with every sentence it needs whole (no words glued together:
    each language orders and inflects its own).
    """

    label: str  # its button on the change page: "Approve"
    question: str  # the confirmation page's title: "Approve this comment?"
    about_to: str  # the confirmation page's sentence (HTML, ours): "You are about to <strong>…"
    done: str  # "Comment by %(name)s approved."
    done_count: str  # ngettext_lazy keyed by "count": "%(count)d comments approved."
    applies_to: list | None  # the statuses it applies to (None: any)
    target: str  # the status it sets, or "restore" (the one before the trash)


# "Spam" and "Trash" are also a status's name: their buttons have a context
# of their own (a literal, for makemessages), for the languages that say
# the deed otherwise ("Çöpe at").
MODERATION = {
    "approve": Step(
        gettext_lazy("Approve"),
        gettext_lazy("Approve this comment?"),
        gettext_lazy("You are about to <strong>approve</strong> this comment:"),
        gettext_lazy("Comment by %(name)s approved."),
        ngettext_lazy("%(count)d comment approved.", "%(count)d comments approved.", "count"),
        None,
        Status.APPROVED,
    ),
    "unapprove": Step(
        gettext_lazy("Unapprove"),
        gettext_lazy("Unapprove this comment?"),
        gettext_lazy("You are about to <strong>unapprove</strong> this comment (back to pending):"),
        gettext_lazy("Comment by %(name)s unapproved."),
        ngettext_lazy("%(count)d comment unapproved.", "%(count)d comments unapproved.", "count"),
        [Status.APPROVED],
        Status.PENDING,
    ),
    "spam": Step(
        pgettext_lazy("moderation button", "Spam"),
        gettext_lazy("Mark this comment as spam?"),
        gettext_lazy("You are about to <strong>mark</strong> this comment <strong>as spam</strong>:"),
        gettext_lazy("Comment by %(name)s marked as spam."),
        ngettext_lazy("%(count)d comment marked as spam.", "%(count)d comments marked as spam.", "count"),
        None,
        Status.SPAM,
    ),
    "not_spam": Step(
        gettext_lazy("Not spam"),
        gettext_lazy("Take this comment out of spam?"),
        gettext_lazy("You are about to <strong>approve</strong> this comment held as spam:"),
        gettext_lazy("Comment by %(name)s restored from spam."),
        ngettext_lazy(
            "%(count)d comment restored from spam.", "%(count)d comments restored from spam.", "count"
        ),
        [Status.SPAM],
        Status.APPROVED,
    ),
    "remove": Step(
        gettext_lazy("Remove"),
        gettext_lazy("Move this comment to the trash?"),
        gettext_lazy("You are about to <strong>remove</strong> this comment (to the trash):"),
        gettext_lazy("Comment by %(name)s moved to the trash."),
        ngettext_lazy(
            "%(count)d comment moved to the trash.", "%(count)d comments moved to the trash.", "count"
        ),
        None,
        Status.REMOVED,
    ),
    "restore": Step(
        gettext_lazy("Restore"),
        gettext_lazy("Restore this comment from the trash?"),
        gettext_lazy("You are about to <strong>restore</strong> this comment from the trash:"),
        gettext_lazy("Comment by %(name)s restored."),
        ngettext_lazy("%(count)d comment restored.", "%(count)d comments restored.", "count"),
        [Status.REMOVED],
        "restore",
    ),
}
# The row's one-click status buttons, by the row's status: (step, label,
# keyboard shortcut). Reply and Edit follow them.
TRASH_BUTTON = pgettext_lazy("moderation button", "Trash")
ROW_STEPS = {
    Status.PENDING: [
        ("approve", MODERATION["approve"].label, "a"),
        ("spam", MODERATION["spam"].label, "s"),
        ("remove", TRASH_BUTTON, "d"),
    ],
    Status.APPROVED: [
        ("unapprove", MODERATION["unapprove"].label, "u"),
        ("spam", MODERATION["spam"].label, "s"),
        ("remove", TRASH_BUTTON, "d"),
    ],
    Status.SPAM: [("not_spam", MODERATION["not_spam"].label, ""), ("remove", TRASH_BUTTON, "d")],
    Status.REMOVED: [("restore", MODERATION["restore"].label, "")],
}
# Who may be answered from the queue (a pending comment is approved first).
REPLYABLE = {Status.PENDING, Status.APPROVED}
# ?status__exact=all lists every status: the filter's default is "pending"
# when anything is pending, so "All" needs a value of its own.
ALL = "all"


# A removed comment is in the trash, as the queue and WordPress call it.
TRASH = gettext_lazy("Trash")


def status_label(status):
    """The status's name in the interface language."""
    return str(TRASH if status == Status.REMOVED else Status(status).label)


def html_format(template, **values):
    """template (a translation, %(name)s placeholders) escaped, with values escaped unless already HTML."""
    escaped = {name: conditional_escape(value) for name, value in values.items()}
    return mark_safe(escape(template) % escaped)  # noqa: S308 (the template and the values are escaped)


class StatusFilter(admin.SimpleListFilter):
    """By status; "Pending (N)" is chosen when nothing is asked for and anything is pending.

    The parameter keeps the name of the field filter it replaces, so the
    moderators' emails' links (?status__exact=pending) keep working.
    """

    title = gettext_lazy("status")
    parameter_name = "status__exact"

    def __init__(self, request, params, model, model_admin):
        # One COUNT on comment_status_idx, shared with the header (see pending_count).
        self.pending = pending_count(request)
        self.searching = bool(request.GET.get(SEARCH_VAR))
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return [
            (Status.PENDING, gettext("Pending (%(count)s)") % {"count": self.pending}),
            (Status.APPROVED, Status.APPROVED.label),
            (Status.SPAM, Status.SPAM.label),
            (Status.REMOVED, status_label(Status.REMOVED)),
        ]

    def value(self):
        asked = super().value()
        if asked is None and self.pending and not self.searching:
            return Status.PENDING
        return asked

    def has_output(self):
        return True

    def queryset(self, request, queryset):
        value = self.value()
        if value in Status.values:
            return queryset.filter(status=value)
        return queryset

    def choices(self, changelist):
        value = self.value()
        yield {
            "selected": value in (None, ALL) or value not in Status.values,
            "query_string": changelist.get_query_string({self.parameter_name: ALL}),
            "display": gettext("All"),
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class PostFilter(admin.SimpleListFilter):
    """By post: chosen from a row (its post's "filter" link), not from a list of every post.

    Listing all posts in the sidebar cost a query over every comment and
    1,245 links a page. The parameter keeps the name of the field filter
    it replaces (?post__id__exact=<id>).
    """

    title = gettext_lazy("post")
    parameter_name = "post__id__exact"

    def lookups(self, request, model_admin):
        value = self.value()
        if not value or not value.isdigit():
            return []
        return list(Post.objects.filter(pk=int(value)).values_list("pk", "title"))

    def has_output(self):
        # Shown (and applied) only while filtering by a post.
        return self.value() is not None

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(post_id=int(value)) if value.isdigit() else queryset.none()

    def choices(self, changelist):
        yield {
            "selected": False,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": gettext("All"),
        }
        for pk, title in self.lookup_choices:
            yield {
                "selected": True,
                "query_string": changelist.get_query_string({self.parameter_name: pk}),
                "display": title,
            }


# A search term that is an IP address (or its start), or an email address
# (or part of one), looks in that column only: not through every text.
IP_LIKE = re.compile(r"[0-9a-fA-F:.]*[.:][0-9a-fA-F:.]*")
EMAIL_LIKE = re.compile(r"\S*@\S*")


def narrow_search(queryset, term):
    """(queryset filtered by term, True) for an IP- or email-shaped term; (None, False) otherwise."""
    term = term.strip()
    if IP_LIKE.fullmatch(term) and any(character.isdigit() for character in term):
        return queryset.annotate(ip_text=Host("ip_address")).filter(ip_text__startswith=term.lower()), True
    if EMAIL_LIKE.fullmatch(term):
        return queryset.filter(email__icontains=term), True
    return None, False


def pending_count(request):
    """How many comments wait for moderation: one COUNT per request, however often it is shown."""
    cached = getattr(request, "_pending_comment_count", None)
    if cached is None:
        cached = Comment.objects.pending().count()
        if request is not None:
            request._pending_comment_count = cached
    return cached


class QueueColumns:
    """The list's cells, for the page being shown (here: its path and query, kept by every action)."""

    # reverse() once per request for each kind of link, with this id in it,
    # replaced by each row's own: a reverse() per link was a third of the
    # list's render time.
    MARK = "987654321987654321"  # 18 digits: the longest id the site's URLs take

    def __init__(self, here):
        self.here = here
        # Each row's words, looked up once for the page (in its language).
        self.words = {
            "reply": gettext("Reply"),
            "edit": gettext("Edit"),
            "view": gettext("View"),
            "staff": gettext("staff"),
            "post_comments": gettext("This post's comments"),
            "in_reply_to": gettext("in reply to %(name)s"),
            **{
                status: [(step, str(label), key) for step, label, key in steps]
                for status, steps in ROW_STEPS.items()
            },
        }
        query = here.partition("?")[2]
        self.filters = urlencode({"_changelist_filters": query}) if query else ""
        self.changelist = reverse("admin:comments_comment_changelist")
        self._patterns = {
            **{
                step: reverse("admin:comments_comment_moderate", args=[self.MARK, step])
                for step in MODERATION
            },
            "reply": reverse("admin:comments_comment_reply", args=[self.MARK]),
            "change": reverse("admin:comments_comment_change", args=[self.MARK]),
            "permalink": reverse("posts:comment", kwargs={"comment_id": self.MARK}),
        }

    def url(self, name, pk):
        """The URL reverse(name) gives for comment pk (name: a MODERATION step, reply, change, permalink)."""
        return self._patterns[name].replace(self.MARK, str(pk))

    def columns(self):
        return [self.comment, self.author, self.response_to, self.state, self.date]

    @admin.display(description=gettext_lazy("Comment"))
    def comment(self, comment):
        body = comment.body
        # Truncator normalises all it is given: a 10,000-character body cost
        # a millisecond a row, so it gets the start only.
        excerpt = (
            body
            if len(body) <= EXCERPT_LENGTH
            else Truncator(body[: EXCERPT_LENGTH + 20]).chars(EXCERPT_LENGTH)
        )
        if excerpt == body:
            text = format_html('<p class="queue-excerpt">{}</p>', body)
        else:
            # The whole text is one click away, without a script.
            text = format_html(
                '<details class="queue-text"><summary class="queue-excerpt">{}</summary>'
                '<div class="queue-full">{}</div></details>',
                excerpt,
                body,
            )
        return format_html(
            '<div class="queue-comment" id="queue-{}" data-comment-id="{}" data-status="{}">{}'
            '<div class="queue-actions">{}</div></div>',
            comment.pk,
            comment.pk,
            comment.status,
            text,
            self.actions(comment),
        )

    def actions(self, comment):
        """The row's buttons for its status (also sent to the script after each step)."""
        buttons = format_html_join(
            " ",
            # formaction last: the tests read '... formmethod="post">Approve</button>'.
            '<button type="submit" class="queue-action" name="next" value="{}" data-step="{}" '
            'data-key="{}" formaction="{}" formmethod="post">{}</button>',
            (
                (
                    self.here,
                    step,
                    key,
                    self.url(step, comment.pk),
                    label,
                )
                for step, label, key in self.words[comment.status]
            ),
        )
        reply = ""
        if comment.status in REPLYABLE:
            reply = format_html(
                ' <a class="queue-action" data-step="reply" data-key="r" href="{}?{}">{}</a>',
                self.url("reply", comment.pk),
                urlencode({"next": self.here}),
                self.words["reply"],
            )
        return format_html(
            '{}{} <a class="queue-action" data-step="edit" data-key="e" href="{}{}">{}</a>'
            ' <a href="{}">{}</a>',
            buttons,
            reply,
            self.url("change", comment.pk),
            f"?{self.filters}" if self.filters else "",
            self.words["edit"],
            self.url("permalink", comment.pk),
            self.words["view"],
        )

    @admin.display(description=gettext_lazy("Author"), ordering="name")
    def author(self, comment):
        badge = (
            format_html(' <span class="queue-badge">{}</span>', self.words["staff"])
            if comment.by_staff
            else ""
        )
        lines = [format_html("<strong>{}</strong>{}", comment.name, badge)]
        if comment.email:
            lines.append(format_html('<a href="mailto:{0}" title="{0}">{0}</a>', comment.email))
        if comment.url:
            lines.append(
                format_html('<a href="{0}" title="{0}" rel="nofollow noopener">{0}</a>', comment.url)
            )
        if comment.ip_address:
            search = self.changelist + "?" + urlencode({"q": comment.ip_address})
            lines.append(format_html('<a href="{}">{}</a>', search, comment.ip_address))
        return format_html(
            '<div class="queue-author">{}</div>',
            format_html_join("", "<span>{}</span>", ((line,) for line in lines)),
        )

    @admin.display(description=gettext_lazy("In response to"))
    def response_to(self, comment):
        # The post's title filters the queue by that post (PostFilter).
        post = format_html(
            '<a href="{}?{}" title="{}">{}</a>',
            self.changelist,
            urlencode({"post__id__exact": comment.post_id, "status__exact": ALL}),
            self.words["post_comments"],
            comment.post.title,
        )
        if comment.parent_id is None:
            return post
        parent = format_html(
            '<a href="{}">{}</a>',
            self.url("change", comment.parent_id),
            comment.parent.name,
        )
        return format_html(
            "{}<br><small>{}</small>", post, html_format(self.words["in_reply_to"], name=parent)
        )

    @admin.display(description=gettext_lazy("Status"), ordering="status")
    def state(self, comment):
        rule = ""
        if comment.moderation_rule:
            rule = format_html(
                '<small class="queue-rule" title="{}">{}</small>',
                comment.moderation_note,
                comment.get_moderation_rule_display(),
            )
        return format_html(
            '<span class="queue-status status-{}">{}</span>{}',
            comment.status,
            status_label(comment.status),
            rule,
        )

    @admin.display(description=gettext_lazy("Date"), ordering="created_at")
    def date(self, comment):
        return format_html(
            '<time datetime="{}">{}</time>',
            comment.created_at.isoformat(),
            timezone.localtime(comment.created_at).isoformat(sep=" ")[:16],  # "2009-05-14 08:00"
        )
