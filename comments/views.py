from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve

from comments.forms import CommentForm
from comments.net import client_ip, user_agent


def post_comment(request, post):
    """A "Leave a Reply" POST to a post's permalink."""
    from posts.views import render_post_page

    form = CommentForm(post, data=request.POST, ip_address=client_ip(request), user_agent=user_agent(request))
    if form.is_valid():
        comment = form.save()
        return redirect(comment.get_absolute_url())
    status = 403 if not post.comments_open else 400
    return render_post_page(request, post, form, status=status)


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
    fields = ("name", "email", "url", "body", "parent")
    return {field: request.POST.get(field, "") for field in fields}
