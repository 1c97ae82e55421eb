"""A commenter editing or deleting their own comment, from the browser that sent it.

/comments/<id>/edit/ shows the form (GET) and saves it (POST);
/comments/<id>/delete/ removes it (POST, with a ticked confirmation box on
the edit page). Who may: the browser whose wflm_own cookie names the
comment, while it is younger than COMMENTS_EDIT_MINUTES (by its created_at
in the database; comments/edit_window.py). Anything else gets a page saying
why, with whatever was typed handed back.

An edit runs the moderation rules about what a comment says (disallowed
keys, links, moderation keys) again: who sent it, how fast and how often
were settled when it was posted. A rule that holds sends an approved
comment back to the queue; a disallowed key makes it spam; otherwise its
status stays as it was.
"""

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.middleware.csrf import get_token
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, gettext_noop, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from comments import cookies, edit_window, moderation, notifications
from comments.editing import clean_body, edit_comment
from comments.forms import WebAddressField, body_help_text
from comments.models import BODY_MAX_LENGTH, Comment
from comments.net import client_ip, user_agent
from comments.text import reject_control_characters, reject_line_breaks_and_bidi_controls
from comments.threads import comment_url
from posts import pagecache
from wflm.ids import parse_id
from wflm.same_origin import same_origin_or_csrf_token, signed_in

# What a commenter may change about their comment; which rules see an edit.
CONTENT_RULES = [moderation.disallowed_keys, moderation.max_links, moderation.moderation_keys]
# Notes for moderators, stored with the comment in the site's language
# (moderation.site_note), as the moderation rules' notes are.
DELETED_NOTE = gettext_noop("Deleted by its commenter.")
EDITED_NOTE = gettext_noop("After its commenter's edit: %(reason)s")
# Translated where shown (gettext_noop: marked, kept as the English text here).
CONFIRM_DELETE = gettext_noop("Tick “Yes, delete my comment” to delete it.")
FROM_ANOTHER_SITE = gettext_lazy(
    "This change was sent from another site's page, so it was not saved. "
    "Everything you typed is below: check it, and make the change from here if you meant to."
)
EXPIRED = gettext_lazy(
    "Your form had expired, so your change was not saved. "
    "Everything you typed is below: open the edit page again and make the change there."
)


class OwnCommentForm(forms.Form):
    """The three things a commenter may change: name, website, text (email stays)."""

    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        validators=[reject_control_characters, reject_line_breaks_and_bidi_controls],
        error_messages={"required": gettext_lazy("Please enter your name.")},
    )
    url = WebAddressField(
        label=gettext_lazy("Website"),
        max_length=200,
        required=False,
        assume_scheme="https",
        validators=[reject_control_characters],
        error_messages={
            "invalid": gettext_lazy("Please enter a web address starting with http:// or https://.")
        },
    )
    # No max_length (it would cut a long paste): clean_body says by how much.
    body = forms.CharField(
        label=gettext_lazy("Comment"),
        widget=forms.Textarea(attrs={"rows": 8, "cols": 45, "data-limit": BODY_MAX_LENGTH}),
        # In the interface's language and its way of writing numbers (comments/forms.py).
        help_text=body_help_text,
        validators=[reject_control_characters],
        error_messages={"required": gettext_lazy("Please type your comment.")},
    )

    def clean_body(self):
        try:
            return clean_body(self.cleaned_data["body"])
        except ValidationError as error:
            raise ValidationError(error.message_dict["body"]) from error


@dataclass(frozen=True)
class Refusal:
    status: int
    title: str
    message: str


def refusal(request, comment):
    """Why this browser may not change comment now, or None when it may."""
    count = edit_window.window_seconds() // 60
    minutes = ngettext("%(count)d minute", "%(count)d minutes", count) % {"count": count}
    if not edit_window.is_on():
        return Refusal(
            403,
            gettext("Comments cannot be changed"),
            gettext("This site does not let commenters change comments."),
        )
    if comment is None:
        return Refusal(404, gettext("No such comment"), gettext("There is no comment at this address."))
    if comment.pk not in edit_window.editable_ids(request):
        return Refusal(
            403,
            gettext("This comment cannot be changed from here"),
            gettext(
                "A comment can be changed or deleted only from the browser that sent it, for %(minutes)s "
                "after it was sent. This browser did not send this one, or its time is over."
            )
            % {"minutes": minutes},
        )
    if comment.status == Comment.Status.REMOVED:
        return Refusal(
            410,
            gettext("This comment was deleted"),
            gettext("This comment was deleted: it can no longer be changed."),
        )
    if comment.status not in edit_window.EDITABLE_STATUSES:
        return Refusal(
            403,
            gettext("This comment cannot be changed"),
            gettext("A moderator has set this comment aside: it cannot be changed."),
        )
    if not edit_window.seconds_left(comment.created_at):
        return Refusal(
            403,
            gettext("The time to change this comment is over"),
            gettext(
                "A comment can be changed or deleted for %(minutes)s after it was sent, and that time is over."
            )
            % {"minutes": minutes},
        )
    return None


def refused_by_csrf_check(request, reason):
    """The edit refused by same_origin_or_csrf_token (posts.post_page.csrf_failure sends it here).

    Sent from another site's page, or a signed-in reader's stale token:
    either way the text comes back on the page.
    """
    message = FROM_ANOTHER_SITE if reason.startswith("The request came from another site") else EXPIRED
    return refused_page(
        request, Refusal(403, gettext("Your change was not saved"), message), typed=request.POST
    )


@require_http_methods(["GET", "HEAD", "POST"])
@same_origin_or_csrf_token
def edit_own(request, comment_id):
    """The edit page (GET), or the edit saved and the reader sent to their comment (POST)."""
    comment = _load(comment_id)
    refused = refusal(request, comment)
    if refused is not None:
        return refused_page(request, refused, typed=request.POST if request.method == "POST" else None)
    if request.method != "POST":
        form = OwnCommentForm(initial={"name": comment.name, "url": comment.url, "body": comment.body})
        return edit_page(request, comment, form)
    form = OwnCommentForm(request.POST)
    if form.is_valid() and save_edit(request, comment, form):
        response = HttpResponseRedirect(comment_url(comment))
        if not comment.is_approved:
            # Held again by the edit: its author still sees it, "awaiting moderation".
            cookies.add_pending(response, request, comment)
        return response
    return edit_page(request, comment, form, status=400)


@require_POST
@same_origin_or_csrf_token
def delete_own(request, comment_id):
    """Remove the comment (logged as any removal, by nobody, noted as its commenter's)."""
    comment = _load(comment_id)
    refused = refusal(request, comment)
    if refused is not None:
        return refused_page(request, refused)
    if request.POST.get("confirm") != "yes":
        form = OwnCommentForm(initial={"name": comment.name, "url": comment.url, "body": comment.body})
        return edit_page(request, comment, form, status=400, delete_error=gettext(CONFIRM_DELETE))
    with transaction.atomic():
        removed = Comment.objects.filter(pk=comment.pk).moderate(Comment.Status.REMOVED, by=None)
        if removed:
            Comment.objects.filter(pk=comment.pk).update(moderation_note=moderation.site_note(DELETED_NOTE))
    context = {"comment": comment, "post": comment.post}
    return _personal(request, "comments/own_comment_deleted.html", context)


def save_edit(request, comment, form):
    """Store the edit and run the content rules on it; False (errors on form) when refused.

    One transaction: the edit, its history and any change of status.
    """
    data = form.cleaned_data
    with transaction.atomic():
        try:
            edit_comment(comment, name=data["name"], url=data["url"], body=data["body"], by_commenter=True)
        except ValidationError as error:
            form.add_error(None, error)
            return False
        decision = recheck(request, comment)
        if decision.action != moderation.APPROVE:
            _apply(request, comment, decision)
    return True


def recheck(request, comment):
    """The content rules' decision on the comment as it now reads (no query)."""
    submission = moderation.Submission(
        post=comment.post,
        name=comment.name,
        email=comment.email,
        url=comment.url,
        body=comment.body,
        # Whoever sends the new text now (a disallowed IP stays disallowed).
        ip_address=client_ip(request),
        user_agent=user_agent(request),
    )
    return moderation.decide(submission, rules=CONTENT_RULES)


def _apply(request, comment, decision):
    # A pending comment stays pending when a rule holds it; the reason is
    # still brought up to date, for the moderator's queue.
    changed = Comment.objects.filter(pk=comment.pk).moderate(decision.status, by=None)
    note = moderation.site_note(EDITED_NOTE, reason=decision.message)[:200]
    Comment.objects.filter(pk=comment.pk).update(
        moderation_rule=decision.rule, moderation_note=note, decided_at=timezone.now()
    )
    comment.status = decision.status
    if changed and decision.status == Comment.Status.PENDING:
        notifications.tell_moderators(changed, request)


def _load(comment_id):
    """The comment with its post (one query), or None for a nonsense or unknown id."""
    pk = parse_id(comment_id)
    if pk is None:
        return None
    return Comment.objects.select_related("post").filter(pk=pk).first()


def edit_page(request, comment, form, status=200, delete_error=""):
    """Reads comment.post (loaded by _load) and where the comment shows (a query when paginated)."""
    seconds = edit_window.seconds_left(comment.created_at)
    context = {
        "comment": comment,
        "post": comment.post,
        "form": form,
        "delete_error": delete_error,
        "seconds_left": seconds,
        "time_left": edit_window.minutes_label(seconds),
        "comment_url": comment_url(comment),
        "form_token": get_token(request) if signed_in(request) else "",
    }
    return _personal(request, "comments/own_comment.html", context, status=status)


def refused_page(request, refused, typed=None):
    """Why not, and (for a POST) everything the reader sent, to copy from."""
    typed = typed or {}
    context = {
        "refusal": refused,
        "typed": {name: typed.get(name, "") for name in ("name", "url", "body")} if typed else None,
    }
    return _personal(request, "comments/own_comment_refused.html", context, status=refused.status)


def _personal(request, template, context, status=200):
    # Every one of these pages is about one reader's comment: never cached.
    return pagecache.personal(TemplateResponse(request, template, context, status=status).render())
