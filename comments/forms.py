from django import forms
from django.core.validators import URLValidator

from comments.models import BODY_MAX_LENGTH, Comment
from comments.text import normalise_newlines, reject_control_characters


class CommentForm(forms.ModelForm):
    """ "Leave a Reply": a new comment (or reply) on one post.

    Every refusal is a form error, so the page re-renders with the reader's
    text in place; nothing a client sends can reach the database unchecked.
    """

    name = forms.CharField(
        label="Name",
        max_length=100,
        validators=[reject_control_characters],
        error_messages={
            "required": "Please enter your name.",
        },
    )
    email = forms.EmailField(
        label="Email",
        max_length=254,
        validators=[reject_control_characters],
        help_text="Never shown publicly.",
        error_messages={
            "required": "Please enter your email address.",
            "invalid": "Please enter a valid email address.",
        },
    )
    url = forms.URLField(
        label="Website",
        max_length=200,
        required=False,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"]), reject_control_characters],
        error_messages={"invalid": "Please enter a web address starting with http:// or https://."},
    )
    body = forms.CharField(
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 8, "cols": 45}),
        max_length=BODY_MAX_LENGTH,
        validators=[reject_control_characters],
        error_messages={"required": "Please type your comment."},
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)

    class Meta:
        model = Comment
        fields = ["name", "email", "url", "body"]

    def __init__(self, post, *args, ip_address=None, user_agent="", **kwargs):
        super().__init__(*args, **kwargs)
        self.post = post
        self.instance.post = post
        self.instance.ip_address = ip_address
        self.instance.user_agent = user_agent[:1000]
        # Moderation rules arrive later; until then readers are trusted.
        self.instance.status = Comment.Status.APPROVED
        self.parent_comment = None

    def clean_body(self):
        return normalise_newlines(self.cleaned_data["body"])

    def clean_parent(self):
        parent_id = self.cleaned_data.get("parent")
        if not parent_id:
            return None
        parent = Comment.objects.filter(pk=parent_id).only("id", "post_id", "status", "name").first()
        if parent is None or parent.status != Comment.Status.APPROVED:
            raise forms.ValidationError(
                "The comment you are replying to is no longer available. "
                "Your reply is still below: send it as a new comment, or pick another comment to reply to."
            )
        if parent.post_id != self.post.pk:
            raise forms.ValidationError(
                "The comment you are replying to belongs to another post. Your reply is still below."
            )
        self.parent_comment = parent
        return parent_id

    def clean(self):
        cleaned_data = super().clean()
        if not self.post.comments_open:
            raise forms.ValidationError("Comments are closed on this post, so your reply could not be saved.")
        return cleaned_data

    def _post_clean(self):
        self.instance.parent = self.parent_comment
        super()._post_clean()

    def has_parent_error(self):
        return "parent" in self.errors
