import functools
import operator

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import OpClass
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, URLValidator
from django.db import connection, models, transaction
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from comments.text import (
    comment_to_html,
    normalise_newlines,
    reject_control_characters,
    reject_line_breaks_and_bidi_controls,
)

BODY_MAX_LENGTH = 10_000


class Host(models.Func):
    """PostgreSQL's host(inet): an IP address as text, without its netmask."""

    function = "host"
    output_field = models.TextField()


class CommentQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(status=Comment.Status.APPROVED)

    def conversation(self):
        """Comments proper, without pingbacks and trackbacks."""
        return self.filter(kind=Comment.Kind.COMMENT)

    def for_post(self, post):
        return self.filter(post=post)

    def in_thread_order(self):
        # path is [root id, ..., own id]: ordering by it lists each comment
        # after its parent and siblings oldest first (one index scan).
        return self.order_by("path")

    def pending(self):
        return self.filter(status=Comment.Status.PENDING)

    def spam(self):
        return self.filter(status=Comment.Status.SPAM)

    def by_email(self, email):
        """Every comment written with this address (case-insensitive; comment_email_idx)."""
        return self.filter(email__iexact=email) if email else self.none()

    def by_emails(self, emails):
        """Every comment written with any of these addresses (case-insensitive)."""
        emails = [email for email in emails if email]
        if not emails:
            return self.none()
        return self.filter(
            functools.reduce(operator.or_, (models.Q(email__iexact=email) for email in emails))
        )

    def moderate(self, status, *, by=None):
        """Move these comments to status, logging each change (who, when, from, to).

        Locks the rows, so two moderators clicking at once change (and
        log) a comment once. Returns the comments that changed, each with
        previous_status set.
        """
        return self._change_statuses(lambda comment: status, by=by)

    def restore(self, *, by=None):
        """Put removed comments back to the status they had before removal (pending if unknown)."""
        removed = self.filter(status=Comment.Status.REMOVED)
        before = {}
        # Oldest first, so each comment keeps its latest removal's "from".
        changes = StatusChange.objects.filter(comment__in=removed, to_status=Comment.Status.REMOVED)
        for comment_id, from_status in changes.order_by("changed_at", "id").values_list(
            "comment_id", "from_status"
        ):
            before[comment_id] = from_status
        return removed._change_statuses(
            lambda comment: before.get(comment.pk) or Comment.Status.PENDING, by=by
        )

    def _change_statuses(self, target_for, *, by):
        with transaction.atomic():
            comments = list(
                self.select_related(None)
                .select_related("post")
                .select_for_update(of=("self",))
                .order_by("pk")
            )
            changed = []
            for comment in comments:
                target = target_for(comment)
                if comment.status == target:
                    continue
                comment.previous_status, comment.status = comment.status, target
                changed.append(comment)
            Comment.objects.bulk_update(changed, ["status"])
            StatusChange.objects.bulk_create(
                StatusChange(
                    comment=comment,
                    from_status=comment.previous_status,
                    to_status=comment.status,
                    changed_by=by if by and by.is_authenticated else None,
                )
                for comment in changed
            )
        return changed

    def purgeable(self):
        """(ids of these comments that can be deleted, how many are kept).

        Deleting a comment deletes its replies (CASCADE), so any comment
        with a descendant outside this set is kept. Walked on parent_id in
        one recursive query (a path stops at 32 ids, so it is not the whole
        ancestry): each reply outside the set keeps its parent, and every
        kept comment keeps its parent in the set, up to the thread's root.
        """
        ids = sorted(set(self.values_list("pk", flat=True)))
        if not ids:
            return [], 0
        with connection.cursor() as cursor:
            cursor.execute(
                """
                WITH RECURSIVE kept(id) AS (
                    SELECT DISTINCT parent_id FROM comments_comment
                     WHERE parent_id = ANY(%(ids)s) AND NOT id = ANY(%(ids)s)
                    UNION
                    SELECT c.parent_id FROM comments_comment c JOIN kept k ON c.id = k.id
                     WHERE c.parent_id = ANY(%(ids)s)
                )
                SELECT id FROM kept
                """,
                {"ids": ids},
            )
            kept = {row[0] for row in cursor.fetchall()}
        return [pk for pk in ids if pk not in kept], len(kept)

    def ancestor_ids(self, comment_id):
        """The ids of comment_id's parent, grandparent, ... up to its root (on parent_id, any depth)."""
        with connection.cursor() as cursor:
            cursor.execute(
                """
                WITH RECURSIVE ancestor(id, parent_id) AS (
                    SELECT id, parent_id FROM comments_comment WHERE id = %s
                    UNION
                    SELECT c.id, c.parent_id FROM comments_comment c JOIN ancestor a ON c.id = a.parent_id
                )
                SELECT id FROM ancestor WHERE id <> %s
                """,
                [comment_id, comment_id],
            )
            return {row[0] for row in cursor.fetchall()}

    def personal_data(self):
        """What the privacy export lists for each comment (no database ids of other people)."""
        return [
            {
                "id": comment.pk,
                "post": comment.post.title,
                "post_url": comment.post.get_absolute_url(),
                "name": comment.name,
                "email": comment.email,
                "website": comment.url,
                "ip_address": comment.ip_address,
                "user_agent": comment.user_agent,
                "date": comment.created_at.isoformat(),
                "status": comment.status,
                "notify_replies": comment.notify_replies,
                "text": comment.body,
            }
            for comment in self.select_related("post").order_by("created_at", "pk")
        ]

    def erase_personal_data(self):
        """WordPress's eraser: the text stays, who wrote it does not. Returns the count."""
        return self.update(
            name=Comment.ANONYMOUS,
            email="",
            url="",
            ip_address=None,
            user_agent="",
            notify_replies=False,
        )


class Comment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        SPAM = "spam", _("Spam")
        REMOVED = "removed", _("Removed")

    class Rule(models.TextChoices):
        # Which moderation rule decided a new comment's status (see
        # comments/moderation.py); blank for imported comments.
        HONEYPOT = "honeypot", _("Honeypot field filled")
        TOO_FAST = "too_fast", _("Sent too fast after the page loaded")
        DISALLOWED_KEYS = "disallowed_keys", _("Disallowed word, IP or email")
        MANUAL_APPROVAL = "manual_approval", _("All comments manually approved")
        MAX_LINKS = "max_links", _("Too many links")
        MODERATION_KEYS = "moderation_keys", _("Moderation word")
        FIRST_TIME_AUTHOR = "first_time_author", _("No previously approved comment")
        KNOWN_AUTHOR = "known_author", _("Previously approved author")
        NO_RULE = "no_rule", _("No rule held it")

    class Kind(models.TextChoices):
        # Pingbacks and trackbacks (from imported blogs) are shown apart
        # from the conversation, as WordPress themes do.
        COMMENT = "comment", _("Comment")
        PINGBACK = "pingback", _("Pingback")
        TRACKBACK = "trackback", _("Trackback")

    # The admin's labels (verbose_name) are the interface's, translated.
    post = models.ForeignKey(
        "posts.Post", on_delete=models.CASCADE, related_name="comments", verbose_name=_("post")
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="replies",
        verbose_name=_("in reply to"),
    )
    name = models.CharField(
        _("name"),
        max_length=100,
        validators=[reject_control_characters, reject_line_breaks_and_bidi_controls],
    )
    email = models.EmailField(_("email"), max_length=254, blank=True, validators=[reject_control_characters])
    url = models.URLField(
        _("website"),
        max_length=200,
        blank=True,
        validators=[URLValidator(schemes=["http", "https"]), reject_control_characters],
    )
    body = models.TextField(
        _("text"), validators=[MaxLengthValidator(BODY_MAX_LENGTH), reject_control_characters]
    )
    # body rendered once at write time (escaped, paragraphs, links, the allowed tags).
    body_html = models.TextField(editable=False, default="")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.COMMENT)
    created_at = models.DateTimeField(_("date"), db_default=models.functions.Now())
    # For moderation only; never shown on the site.
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.TextField(_("user agent"), blank=True)
    # Set by the database trigger comments_comment_thread (see migration
    # 0002) on insert: the ids from the thread's root down to this comment,
    # and their count. Replies never renumber anything.
    # db_default makes Django read both back from the INSERT's RETURNING.
    # Archive imports: the comment's id on the blog it came from (kept on
    # the page as an alias anchor, #comment-<original_id>), and whether its
    # parent was inferred from an "@name" reply rather than recorded.
    original_id = models.CharField(max_length=64, blank=True)
    reply_inferred = models.BooleanField(default=False)
    path = ArrayField(models.BigIntegerField(), db_default=models.Value("{}"), editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), db_default=1, editable=False)
    # The moderation rule that set the status of a new comment, why, and when.
    moderation_rule = models.CharField(
        _("moderation rule"), max_length=20, choices=Rule.choices, blank=True, editable=False
    )
    moderation_note = models.CharField(_("moderation note"), max_length=200, blank=True, editable=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    # "Notify me of follow-up replies by email", and when this comment's
    # parent's author was told about it (at most once).
    notify_replies = models.BooleanField(_("notify of replies"), default=False)
    reply_notified_at = models.DateTimeField(
        _("parent's author notified at"), null=True, blank=True, editable=False
    )
    # The reply form's one-off key (comments.forms.CommentForm.key): the
    # same form sent twice (a double click, a retried POST) is stored once.
    submission_key = models.CharField(max_length=64, blank=True, default="", editable=False)
    # Written by the site's staff (a reply from the moderation queue): shown
    # with an "author" badge, like WordPress's bypostauthor; user is who.
    # db_default: COPY imports (archive/writer.py) do not name this column.
    by_staff = models.BooleanField(_("by the site's staff"), default=False, db_default=False, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects = CommentQuerySet.as_manager()

    ANONYMOUS = "Anonymous"

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["path"]
        indexes = [
            # The thread page (approved comments of a post in path order)
            # and the response counts (approved comments per post).
            models.Index(fields=["post", "status", "path"], name="comment_thread_idx"),
            # A thread's page map: its approved top-level comments.
            models.Index(
                fields=["post", "id"],
                name="comment_roots_idx",
                condition=models.Q(parent__isnull=True, status="approved", kind="comment"),
            ),
            # Pingbacks and trackbacks, listed apart on the post page.
            models.Index(fields=["post"], name="comment_pings_idx", condition=~models.Q(kind="comment")),
            # The moderation queue: comments by status, newest first.
            models.Index(fields=["status", "-created_at"], name="comment_status_idx"),
            # The moderation queue's "All": every comment, newest first (its ordering).
            models.Index(fields=["-created_at", "-id"], name="comment_newest_idx"),
            # An author's history (previously approved? duplicate?) and the
            # privacy export and eraser: WHERE UPPER(email) = UPPER(%s).
            models.Index(Upper("email"), name="comment_email_idx"),
            # Flood control: the latest comments from one IP address.
            models.Index(fields=["ip_address", "-created_at"], name="comment_ip_idx"),
            # The moderation queue's search by IP address, or its start:
            # WHERE host(ip_address) LIKE '192.0.2.%'.
            models.Index(OpClass(Host("ip_address"), name="text_pattern_ops"), name="comment_ip_prefix_idx"),
            # A form sent again: the comment its key already stored.
            models.Index(
                fields=["post", "submission_key"],
                name="comment_submission_key_idx",
                condition=~models.Q(submission_key=""),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "approved", "spam", "removed"]),
                name="comment_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["comment", "pingback", "trackback"]), name="comment_kind_valid"
            ),
        ]

    def __str__(self):
        # The admin shows it (breadcrumbs, the parent's raw id): in the interface language.
        return gettext("%(name)s on %(post)s: %(text)s") % {
            "name": self.name,
            "post": self.post_id,
            "text": self.body[:40],
        }

    def save(self, *args, **kwargs):
        self.body = normalise_newlines(self.body)
        self.body_html = comment_to_html(self.body)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        """The stable permalink, /comments/<id>/: it redirects to the right thread page."""
        return reverse("posts:comment", kwargs={"comment_id": self.pk})

    def get_admin_url(self):
        return reverse("admin:comments_comment_change", args=[self.pk])

    @property
    def is_approved(self):
        return self.status == self.Status.APPROVED

    def clean(self):
        if self.parent_id is None:
            return
        if self.parent is None or self.parent.post_id != self.post_id:
            raise ValidationError({"parent": _("The comment you replied to belongs to another post.")})
        if self.parent.pk == self.pk:
            raise ValidationError({"parent": _("A comment cannot reply to itself.")})


class StatusChange(models.Model):
    """One moderation step on a comment: who moved it from which status to which, and when."""

    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("comment")
    )
    from_status = models.CharField(_("from"), max_length=10, choices=Comment.Status.choices)
    to_status = models.CharField(_("to"), max_length=10, choices=Comment.Status.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    changed_at = models.DateTimeField(_("when"), db_default=models.functions.Now())

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [
            # A comment's history on its admin page, newest first; restore's
            # "status before removal".
            models.Index(fields=["comment", "-changed_at"], name="status_change_comment_idx"),
        ]

    def __str__(self):
        return f"{self.comment_id}: {self.from_status} → {self.to_status}"

    def get_absolute_url(self):
        return reverse("admin:comments_comment_change", args=[self.comment_id])


class CommentEdit(models.Model):
    """One edit of a comment (by a moderator or its commenter): what it said before, who, when.

    The comment itself holds the current text; the oldest edit holds the original.
    """

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="edits")
    edited_at = models.DateTimeField(db_default=models.functions.Now())
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Edited by its commenter (from their browser, within COMMENTS_EDIT_MINUTES).
    by_commenter = models.BooleanField(default=False)
    old_name = models.CharField(max_length=100)
    old_url = models.CharField("old website", max_length=200, blank=True)
    old_body = models.TextField()

    class Meta:
        ordering = ["-edited_at", "-id"]
        indexes = [
            # A comment's edit history on its admin page, newest first.
            models.Index(fields=["comment", "-edited_at"], name="comment_edit_comment_idx"),
        ]

    def __str__(self):
        return f"{self.comment_id}: edited at {self.edited_at}"

    def get_absolute_url(self):
        return reverse("admin:comments_comment_change", args=[self.comment_id])


class ModeratorPreference(models.Model):
    """A moderator's own settings for the moderation queue (stored per user, not per browser)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="moderator_preference"
    )
    # WordPress's "Keyboard shortcuts: enable for comment moderation".
    keyboard_shortcuts = models.BooleanField(default=False)

    def __str__(self):
        return f"Moderation preferences of {self.user}"

    def get_absolute_url(self):
        return reverse("admin:comments_comment_changelist")
