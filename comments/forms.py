import re
import secrets

from django import forms
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from comments import moderation
from comments.models import BODY_MAX_LENGTH, Comment
from comments.text import normalise_newlines, reject_control_characters, reject_line_breaks_and_bidi_controls

SUBMISSION_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_submission_key():
    return secrets.token_urlsafe(18)


CLOSED = _("Comments are closed on this post, so your reply could not be saved.")


def _number(value):
    """value grouped as the interface language writes it ("10,000", "10 000")."""
    return number_format(value, force_grouping=True)


def _body_help_text():
    return gettext("Up to %(limit)s characters.") % {"limit": _number(BODY_MAX_LENGTH)}


# The comment box's help text, read in the language of each render (also comments/own_comment.py).
body_help_text = lazy(_body_help_text, str)()


class WebAddressField(forms.URLField):
    # In place of URLField's own validator (which also takes ftp://), not
    # beside it: with both, a bad address got the same message twice.
    default_validators = [URLValidator(schemes=["http", "https"])]


class CommentForm(forms.ModelForm):
    """ "Leave a Reply": a new comment (or reply) on one post.

    Every refusal is a form error, so the page re-renders with the reader's
    text in place; nothing a client sends can reach the database unchecked.
    A complete comment then goes through the moderation rules, which set
    its status or refuse it (comments/moderation.py): validate it inside a
    transaction, so that flood control holds across processes.
    """

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        validators=[reject_control_characters, reject_line_breaks_and_bidi_controls],
        error_messages={
            "required": _("Please enter your name."),
        },
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        validators=[reject_control_characters],
        help_text=_("Never shown publicly."),
        error_messages={
            "required": _("Please enter your email address."),
            "invalid": _("Please enter a valid email address."),
        },
    )
    url = WebAddressField(
        label=_("Website"),
        max_length=200,
        required=False,
        assume_scheme="https",
        validators=[reject_control_characters],
        error_messages={"invalid": _("Please enter a web address starting with http:// or https://.")},
    )
    # No max_length here: it would put maxlength on the textarea, and the
    # browser would cut a long paste silently. clean_body says how long the
    # text is instead (and a script counts as the reader types).
    body = forms.CharField(
        label=_("Comment"),
        # data-limit: for the live count (static/js/comment-reply.js).
        widget=forms.Textarea(attrs={"rows": 8, "cols": 45, "data-limit": BODY_MAX_LENGTH}),
        help_text=body_help_text,
        validators=[reject_control_characters],
        error_messages={"required": _("Please type your comment.")},
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)
    remember = forms.BooleanField(
        label=_("Save my name, email, and website in this browser for the next time I comment."),
        required=False,
    )
    notify_replies = forms.BooleanField(label=_("Notify me of follow-up replies by email"), required=False)
    # Signed when the page is rendered (a callable initial: fresh each time).
    ts = forms.CharField(required=False, widget=forms.HiddenInput, initial=moderation.form_timestamp)
    # A one-off key per rendered form: sent again (a double click, a retried
    # POST, a reload after a timeout), the same reply is stored once.
    key = forms.CharField(required=False, widget=forms.HiddenInput, initial=new_submission_key)
    # The honeypot (named moderation.HONEYPOT_FIELD): hidden from people by
    # CSS and aria-hidden, skipped by Tab and autofill; bots fill it in.
    subject = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    class Meta:
        model = Comment
        fields = ["name", "email", "url", "body", "notify_replies"]

    def __init__(self, post, *args, ip_address=None, user_agent="", **kwargs):
        super().__init__(*args, **kwargs)
        body = self.fields["body"]
        # The live count's sentences (static/js/comment-reply.js fills in the numbers).
        body.widget.attrs = {
            **body.widget.attrs,
            "data-count": gettext("%(count)s of %(limit)s characters"),
            "data-count-over": gettext("%(count)s of %(limit)s characters: %(excess)s too many"),
            "data-too-long": gettext("Your comment is longer than %(limit)s characters."),
            "data-fits": gettext("Your comment fits again."),
        }
        self.post = post
        self.instance.post = post
        self.instance.ip_address = ip_address
        self.instance.user_agent = user_agent[:1000]
        self.parent_comment = None
        self.decision = None
        # Set by clean() when this form was sent before and its reply stored.
        self.already_stored = None
        # The HTTP status of a refusal, for the view.
        self.refusal_status = 400
        # A message above the form when it comes back unsent (e.g. a refused
        # cross-site check: posts/post_page.py), the reader's text below.
        self.notice = ""

    @property
    def closed(self):
        return moderation.comments_closed(self.post)

    def text_fields(self):
        """The inputs a reader types into, in order (the template loops over these)."""
        return [self[name] for name in ("name", "email", "url", "body")]

    def clean_key(self):
        # A malformed key is no key: the reply is still taken, only not deduplicated.
        key = self.cleaned_data.get("key", "")
        return key if SUBMISSION_KEY.fullmatch(key) else ""

    def clean_body(self):
        # Counted as stored: a browser sends each line break as two characters.
        body = normalise_newlines(self.cleaned_data["body"])
        if len(body) > BODY_MAX_LENGTH:
            raise forms.ValidationError(
                gettext(
                    "Your comment is %(length)s characters long and the limit is %(limit)s: "
                    "please shorten it by %(excess)s. Your text is kept below."
                )
                % {
                    "length": _number(len(body)),
                    "limit": _number(BODY_MAX_LENGTH),
                    "excess": _number(len(body) - BODY_MAX_LENGTH),
                },
                code="max_length",
            )
        return body

    def clean_parent(self):
        parent_id = self.cleaned_data.get("parent")
        if not parent_id:
            return None
        # email and notify_replies: for the follow-up email, without another query.
        parent = (
            Comment.objects.filter(pk=parent_id)
            .only("id", "post_id", "status", "name", "email", "notify_replies")
            .first()
        )
        if parent is None or parent.status != Comment.Status.APPROVED:
            raise forms.ValidationError(
                gettext(
                    "The comment you are replying to is no longer available. "
                    "Your reply is still below: send it as a new comment, or pick another comment to reply to."
                )
            )
        if parent.post_id != self.post.pk:
            raise forms.ValidationError(
                gettext("The comment you are replying to belongs to another post. Your reply is still below.")
            )
        self.parent_comment = parent
        return parent_id

    def clean(self):
        cleaned_data = super().clean()
        if self.closed:
            self.refusal_status = 403
            raise forms.ValidationError(CLOSED, code="closed")
        if self.errors:
            return cleaned_data  # the rules judge complete comments only
        moderation.lock_ip(self.instance.ip_address)
        # Under the lock: a second copy sent at once waits for the first.
        self.already_stored = self._stored_before()
        if self.already_stored is not None:
            return cleaned_data
        self.decision = moderation.decide(self.submission())
        if self.decision.action == moderation.REFUSE:
            self.refusal_status = self.decision.http_status
            if self.decision.rule == "form_expired":
                self._sign_again()
            raise forms.ValidationError(self.decision.message, code=self.decision.rule)
        return cleaned_data

    def _stored_before(self):
        """The comment this very form already stored, if it is sent again.

        The same key with another text is a new reply written on the same
        page (e.g. after going back): it is taken as new, never dropped.
        """
        data = self.cleaned_data
        if not data.get("key"):
            return None
        return (
            Comment.objects.filter(
                post=self.post,
                submission_key=data["key"],
                parent_id=data.get("parent"),
                email=data["email"],
                body=data["body"],
            )
            .order_by("-id")
            .first()
        )

    def submission(self):
        data = self.cleaned_data
        return moderation.Submission(
            post=self.post,
            name=data["name"],
            email=data["email"],
            url=data.get("url", ""),
            body=data["body"],
            ip_address=self.instance.ip_address,
            user_agent=self.instance.user_agent,
            honeypot=data.get(moderation.HONEYPOT_FIELD, ""),
            timestamp=data.get(moderation.TIMESTAMP_FIELD, ""),
        )

    def _sign_again(self):
        # The re-rendered form carries a fresh timestamp, so sending it again works.
        self.data = self.data.copy()
        self.data[moderation.TIMESTAMP_FIELD] = moderation.form_timestamp()

    def save(self, commit=True):
        """Store the comment with the status the rules decided (is_valid() first)."""
        decision = self.decision
        self.instance.status = decision.status
        self.instance.moderation_rule = decision.rule
        self.instance.moderation_note = decision.message[:200]
        self.instance.decided_at = timezone.now()
        self.instance.submission_key = self.cleaned_data.get("key", "")
        return super().save(commit=commit)

    def _post_clean(self):
        self.instance.parent = self.parent_comment
        super()._post_clean()

    def has_parent_error(self):
        return "parent" in self.errors
