import time

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from comments import moderation, notifications
from comments.forms import new_submission_key
from comments.models import Comment

# The longest a page may say it has been open (an hour): enough for any
# reader, and no way to look older than a form left open that long.
MAX_OPEN_SECONDS = 3600


@require_safe
def form_values(request):
    """A signed timestamp and one-off key for this reader's form (static/js/comment-form.js).

    Cached pages are the same bytes for every reader, so the form's own
    values are those of the page's render. The script asks for these when
    the reader starts writing, saying how long the page has been open
    (?open=<seconds>), so "sent too fast" counts from when the reader got
    the page, as it would with a page rendered for them. (A script could
    claim more; it could as well wait: the rule is for bots that run none.)
    """
    try:
        open_seconds = min(max(float(request.GET.get("open", "0")), 0.0), MAX_OPEN_SECONDS)
    except ValueError:
        open_seconds = 0.0
    if open_seconds != open_seconds:  # NaN
        open_seconds = 0.0
    rendered_at = time.time() - open_seconds
    response = JsonResponse({"ts": moderation.form_timestamp(at=rendered_at), "key": new_submission_key()})
    add_never_cache_headers(response)
    return response


@csrf_exempt  # the signed token is the credential; mail clients POST without cookies (RFC 8058)
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    """Stop follow-up emails: GET asks (link scanners must not unsubscribe anyone), POST does it."""
    comment = notifications.comment_for_unsubscribe_token(token)
    if comment is None:
        context = {"invalid": True, "days": settings.COMMENTS_UNSUBSCRIBE_DAYS}
        return render(request, "comments/unsubscribe.html", context, status=400)
    done = False
    if request.method == "POST":
        Comment.objects.by_email(comment.email).update(notify_replies=False)
        done = True
    return render(request, "comments/unsubscribe.html", {"comment": comment, "done": done})
