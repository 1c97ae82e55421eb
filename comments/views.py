from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from comments import cookies, notifications
from comments.forms import CommentForm
from comments.kept_form import kept_form_response
from comments.models import Comment
from comments.net import client_ip, user_agent
from comments.threads import comment_url


def post_comment(request, post):
    """A "Leave a Reply" POST to a post's permalink.

    Validated (moderation rules included) and saved in one transaction, so
    flood control's per-IP lock covers both. Emails go after the commit.
    """
    from posts.views import render_post_page

    form = CommentForm(post, data=request.POST, ip_address=client_ip(request), user_agent=user_agent(request))
    comment = None
    with transaction.atomic():
        if form.is_valid():
            comment = form.already_stored
            if comment is None:  # not this form's second copy
                comment = form.save()
                notifications.comment_posted(comment, request)
    if comment is None:
        if form.refusal_status == 429:
            # Flood control: a burst of POSTs must not cost a thread render
            # each; the reader's text comes back on a page of its own.
            response = kept_form_response(request, " ".join(form.non_field_errors()), status=429)
            response["Retry-After"] = str(max(1, settings.COMMENTS_FLOOD_SECONDS))
            return response
        return render_post_page(request, post, form, status=form.refusal_status)

    # Straight to the thread page and anchor where the new comment shows.
    response = redirect(comment_url(comment))
    if not comment.is_approved:
        # Held and spam alike: the author sees it "awaiting moderation";
        # a bot learns nothing.
        cookies.add_pending(response, request, comment)
    if form.cleaned_data["remember"]:
        cookies.remember_commenter(response, comment.name, comment.email, comment.url)
    elif cookies.COMMENTER_COOKIE in request.COOKIES:
        cookies.forget_commenter(response)
    return response


def csrf_failure(request, reason=""):
    """A failed CSRF check must not throw away what the reader typed.

    On a post page the form comes back filled in, with a fresh token and
    a message; anywhere else, a plain explanation.
    """
    from posts.views import get_post_for_permalink, render_post_page

    try:
        match = resolve(request.path_info)
        if request.method == "POST" and match.view_name == "posts:detail":
            post = get_post_for_permalink(**match.kwargs)
            form = CommentForm(post, initial=_typed_values(request))
            form.expired = True
            return render_post_page(request, post, form, reply_to=form.initial.get("parent"), status=403)
    except (Resolver404, Http404):
        pass
    return render(request, "403_csrf.html", status=403)


def _typed_values(request):
    fields = ("name", "email", "url", "body", "parent", "key")
    values = {field: request.POST.get(field, "") for field in fields}
    return values | {field: bool(request.POST.get(field)) for field in ("remember", "notify_replies")}


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
