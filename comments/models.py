from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, URLValidator
from django.db import models

from comments.text import normalise_newlines, plain_text_to_html, reject_control_characters

BODY_MAX_LENGTH = 10_000


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


class Comment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        SPAM = "spam", "Spam"
        REMOVED = "removed", "Removed"

    class Kind(models.TextChoices):
        # Pingbacks and trackbacks (from imported blogs) are shown apart
        # from the conversation, as WordPress themes do.
        COMMENT = "comment", "Comment"
        PINGBACK = "pingback", "Pingback"
        TRACKBACK = "trackback", "Trackback"

    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    name = models.CharField(max_length=100, validators=[reject_control_characters])
    email = models.EmailField(max_length=254, blank=True, validators=[reject_control_characters])
    url = models.URLField(
        "website",
        max_length=200,
        blank=True,
        validators=[URLValidator(schemes=["http", "https"]), reject_control_characters],
    )
    body = models.TextField(validators=[MaxLengthValidator(BODY_MAX_LENGTH), reject_control_characters])
    # body rendered once at write time (escaped, paragraphs, links).
    body_html = models.TextField(editable=False, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.COMMENT)
    created_at = models.DateTimeField(db_default=models.functions.Now())
    # For moderation only; never shown on the site.
    ip_address = models.GenericIPAddressField("IP address", null=True, blank=True)
    user_agent = models.TextField(blank=True)
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
    depth = models.PositiveSmallIntegerField(db_default=1, editable=False)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        indexes = [
            # The thread page (approved comments of a post in path order)
            # and the response counts (approved comments per post).
            models.Index(fields=["post", "status", "path"], name="comment_thread_idx"),
            # The moderation queue: comments by status, newest first.
            models.Index(fields=["status", "-created_at"], name="comment_status_idx"),
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
        return f"{self.name} on {self.post_id}: {self.body[:40]}"

    def save(self, *args, **kwargs):
        self.body = normalise_newlines(self.body)
        self.body_html = plain_text_to_html(self.body)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        """The comment's anchor on its post's page (reads self.post: a query if not loaded)."""
        return f"{self.post.get_absolute_url()}#comment-{self.pk}"

    def clean(self):
        if self.parent_id is None:
            return
        if self.parent is None or self.parent.post_id != self.post_id:
            raise ValidationError({"parent": "The comment you replied to belongs to another post."})
        if self.parent.pk == self.pk:
            raise ValidationError({"parent": "A comment cannot reply to itself."})
