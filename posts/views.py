from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods, require_safe

from comments.forms import CommentForm
from comments.threads import Thread
from comments.views import post_comment
from posts.models import Post


@require_safe
def post_list(request):
    posts = (
        Post.objects.published()
        .with_response_counts()
        .order_by("-published_at", "-id")
        .only("title", "slug", "excerpt", "body", "published_at")
    )
    page = Paginator(posts, settings.POSTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "posts/post_list.html", {"page": page})


def get_post_for_permalink(year, month, slug):
    return get_object_or_404(
        Post.objects.published(), slug=slug, published_at__year=year, published_at__month=month
    )


@require_http_methods(["GET", "HEAD", "POST"])
def post_detail(request, year, month, slug):
    post = get_post_for_permalink(year, month, slug)
    if request.method == "POST":
        return post_comment(request, post)
    return render_post_page(request, post, CommentForm(post), reply_to=request.GET.get("replytocom"))


def render_post_page(request, post, form, reply_to=None, status=200):
    """The post, its thread and the reply form (two queries: post, comments)."""
    thread = Thread.for_post(post)
    reply_to_comment = None
    if form.is_bound:
        parent_id = form.data.get("parent", "")
        if parent_id.isdigit() and not form.has_parent_error():
            reply_to_comment = thread.get(int(parent_id))
    elif reply_to and reply_to.isdigit():
        # No-JavaScript replies: ?replytocom=<id> turns the form into a reply.
        reply_to_comment = thread.get(int(reply_to))
        if reply_to_comment:
            form.initial["parent"] = reply_to_comment.pk
    context = {"post": post, "thread": thread, "form": form, "reply_to": reply_to_comment}
    return render(request, "posts/post_detail.html", context, status=status)
