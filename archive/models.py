"""Where imported posts and comments came from, and what each import did.

Post and Comment hold what the site shows; these tables hold the rest of
the source: the old blog's keys (so a second import of the same file, or a
newer export of the same blog, adds only what is new), its permalinks (so
old links keep working), and whatever did not fit our fields (kept, never
dropped).
"""

from urllib.parse import unquote, urlsplit

from django.db import models, transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from comments.models import Comment


def path_key(url_or_path):
    """The form an old link is looked up by: its path (and query), decoded,
    without a trailing slash. "" for an empty or host-only link's path "/"."""
    parts = urlsplit(url_or_path or "")
    path = unquote(parts.path).rstrip("/")
    if not path and not parts.query:
        return ""
    return f"{path or '/'}?{parts.query}" if parts.query else path


class ImportRun(models.Model):
    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed (nothing written)")

    # The admin's labels (verbose_name) are the interface's, translated.
    file_name = models.CharField(_("file name"), max_length=500)
    format = models.CharField(_("format"), max_length=20)
    site = models.CharField(_("site"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    options = models.JSONField(_("options"), default=dict, blank=True)
    # The summary the command prints: created/existing/skipped posts and
    # comments, kinds, statuses, replies, depth, skipped items by reason.
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self):
        return f"{self.file_name} ({self.format}, {self.started_at:%Y-%m-%d %H:%M})"

    def get_absolute_url(self):
        return reverse("admin:archive_importrun_change", args=[self.pk])


class PostSourceQuerySet(models.QuerySet):
    def for_site(self, site):
        return self.filter(site=site)

    def linked_from_any(self, keys):
        """Sources whose old permalink has one of these path keys (newest import first)."""
        return self.filter(path_key__in=keys).order_by("-id")


class PostSource(models.Model):
    post = models.ForeignKey(
        "posts.Post", on_delete=models.CASCADE, related_name="sources", verbose_name=_("post")
    )
    run = models.ForeignKey(
        ImportRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("import"),
    )
    # The blog the post came from (e.g. "wpthemetestdata.wordpress.com",
    # "disqus:hexo-tanglei") and its key there (WordPress post id, Disqus
    # thread dsq:id): unique together, so an item is imported once.
    site = models.CharField(_("site"), max_length=300)
    key = models.CharField(_("key"), max_length=300)
    # The id old links use (/?p=123, /archives/123).
    original_id = models.CharField(_("original id"), max_length=64, blank=True)
    original_url = models.TextField(_("original address"), blank=True)
    path_key = models.CharField(_("lookup path"), max_length=1000, blank=True, editable=False)
    post_type = models.CharField(_("post type"), max_length=40, blank=True)
    post_status = models.CharField(_("post status"), max_length=40, blank=True)
    author = models.CharField(_("author"), max_length=300, blank=True)
    # [{"domain": "category"|"post_tag", "slug": ..., "name": ...}]
    categories = models.JSONField(_("categories"), default=list, blank=True)
    # Whatever else the source said (guid, password, ping status, ...).
    extra = models.JSONField(_("other data"), default=dict, blank=True)

    objects = PostSourceQuerySet.as_manager()

    class Meta:
        verbose_name = _("post source")
        verbose_name_plural = _("post sources")
        constraints = [models.UniqueConstraint(fields=["site", "key"], name="postsource_site_key")]
        indexes = [
            # Old permalinks answered by the 404 handler.
            models.Index(fields=["path_key"], name="postsource_path_idx"),
            # /?p=123 and /archives/123.
            models.Index(fields=["original_id"], name="postsource_original_id_idx"),
        ]

    def __str__(self):
        return f"{self.site} #{self.key}"

    def save(self, *args, **kwargs):
        self.path_key = path_key(self.original_url)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("admin:archive_postsource_change", args=[self.pk])


class CommentSourceQuerySet(models.QuerySet):
    def inferred(self):
        return self.filter(parent_origin__in=CommentSource.INFERRED_ORIGINS)

    def undone(self):
        return self.filter(parent_origin=CommentSource.ParentOrigin.UNDONE)

    @transaction.atomic
    def undo_inferred_links(self):
        """Make these sources' comments top-level again where their parent was inferred.

        The parent is remembered (extra["inferred_parent_id"]) so the link can
        be restored. One UPDATE per comment: the thread trigger moves each
        reply's subtree. Returns how many links were undone.
        """
        undone = 0
        for source in self.inferred().select_related("comment").select_for_update(of=("self",)):
            comment = source.comment
            source.extra = {
                **source.extra,
                "inferred_parent_id": comment.parent_id,
                "inferred_as": source.parent_origin,
            }
            source.parent_origin = CommentSource.ParentOrigin.UNDONE
            source.save(update_fields=["extra", "parent_origin"])
            Comment.objects.filter(pk=comment.pk).update(parent=None, reply_inferred=False)
            undone += 1
        return undone

    @transaction.atomic
    def restore_inferred_links(self):
        """Put back links undone by undo_inferred_links (when the parent still exists). Returns the count."""
        restored = 0
        for source in self.undone().select_related("comment").select_for_update(of=("self",)):
            parent_id = source.extra.get("inferred_parent_id")
            comment = source.comment
            parent_exists = Comment.objects.filter(pk=parent_id, post_id=comment.post_id).exists()
            # Not if the old parent has since become one of the comment's own
            # replies (at any depth: a path keeps only 32 ids).
            if not parent_exists or comment.pk in Comment.objects.ancestor_ids(parent_id):
                continue
            source.parent_origin = source.extra.get("inferred_as", CommentSource.ParentOrigin.AT_NAME)
            source.save(update_fields=["parent_origin"])
            Comment.objects.filter(pk=comment.pk).update(parent_id=parent_id, reply_inferred=True)
            restored += 1
        return restored


class CommentSource(models.Model):
    class ParentOrigin(models.TextChoices):
        NONE = "", _("Top level")
        RECORDED = "recorded", _("Recorded by the source")
        AT_NAME = "at_name", _("Inferred from an @name")
        STATED = "stated", _("Stated by the archivist (--replies)")
        MISSING = "missing", _("Parent missing from the file: made top level")
        UNDONE = "undone", _("Inferred link undone")

    INFERRED_ORIGINS = (ParentOrigin.AT_NAME, ParentOrigin.STATED)

    comment = models.ForeignKey(
        "comments.Comment", on_delete=models.CASCADE, related_name="sources", verbose_name=_("comment")
    )
    run = models.ForeignKey(
        ImportRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("import"),
    )
    # WordPress comment ids are unique only within a post, so the key is
    # "<post key>/<comment id>"; Disqus uses "dsq:<dsq:id>" (its <id> repeats).
    site = models.CharField(_("site"), max_length=300)
    key = models.CharField(_("key"), max_length=400)
    original_id = models.CharField(_("original id"), max_length=64, blank=True)
    original_parent_id = models.CharField(_("original parent id"), max_length=64, blank=True)
    parent_origin = models.CharField(
        _("origin of the reply link"), max_length=10, choices=ParentOrigin.choices, blank=True
    )
    # For an inferred link: what it was inferred from ("@poetichigh").
    inferred_from = models.CharField(_("inferred from"), max_length=200, blank=True)
    # What did not fit our fields: the body's original HTML, an invalid
    # e-mail or website, the source's type and user id, ...
    extra = models.JSONField(_("other data"), default=dict, blank=True)

    objects = CommentSourceQuerySet.as_manager()

    class Meta:
        verbose_name = _("comment source")
        verbose_name_plural = _("comment sources")
        constraints = [models.UniqueConstraint(fields=["site", "key"], name="commentsource_site_key")]
        indexes = [
            # ?replytocom=<original id> on an old permalink.
            models.Index(fields=["original_id"], name="commentsource_original_id_idx"),
        ]

    def __str__(self):
        return f"{self.site} #{self.key}"

    def get_absolute_url(self):
        return reverse("admin:archive_commentsource_change", args=[self.pk])
