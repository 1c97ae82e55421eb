"""Taking a reader's reply: what the post page's POST hands to comments/."""

from django.db import transaction

from comments import notifications
from comments.forms import CommentForm
from comments.net import client_ip, user_agent


def take_reply(post, request):
    """Validate and store the reply request sent to post's form: (form, comment or None).

    Validated (moderation rules included) and saved in one transaction, so
    flood control's per-IP lock covers both. A form sent a second time gives
    back the comment its first copy stored. Emails go after the commit.
    """
    form = CommentForm(post, data=request.POST, ip_address=client_ip(request), user_agent=user_agent(request))
    comment = None
    with transaction.atomic():
        if form.is_valid():
            comment = form.already_stored
            if comment is None:  # not this form's second copy
                comment = form.save()
                notifications.comment_posted(comment, request)
    return form, comment
