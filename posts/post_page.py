"""A post's page: the post, a page of its thread, and "Leave a Reply".

Everything a request to a post's permalink can do lives here: reading it
(cached for anonymous readers, posts/pagecache.py), sending a reply
(comments/replies.py takes it), and coming back with the reader's text
after a refusal or a cross-site check (wflm/same_origin.py).
"""

from django.conf import settings
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.urls import Resolver404, resolve
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from comments import cookies, edit_window, own_comment
from comments.cookies import pending_ids, remembered_commenter
from comments.forms import CommentForm
from comments.kept_form import kept_form_response, typed_values
from comments.models import Comment
from comments.replies import take_reply
from comments.threads import Thread, comment_url
from posts import pagecache
from posts.models import Post, permalink_kwargs
from posts.stamps import stamp_cache
from wflm.ids import parse_id
from wflm.same_origin import same_origin_or_csrf_token, signed_in

# No-JavaScript replies (?replytocom=<id>) are cached too, one entry per
# comment that can be replied to; any other value is the plain page.
POST_PAGE_PARAMETERS = pagecache.CACHEABLE_PARAMETERS | {"replytocom"}

EXPIRED = gettext_lazy(
    "Your form had expired, so your comment was not saved yet. "
    "Everything you typed is below: please send it again."
)
FROM_ANOTHER_SITE = gettext_lazy(
    "This comment was sent from another site's page, so it was not saved. "
    "Everything you typed is below: check it, and send it from here if you meant to."
)


def get_post_for_permalink(year, month, slug):
    """The published post at /<year>/<month>/<slug>/, or 404.

    Slugs are unique, so the query is by slug alone (the cheapest lookup on
    the hottest path); the date is checked here.
    """
    post = Post.objects.published().for_page().filter(slug=slug).first()
    _check_address(post and post.published_at, year, month, slug)
    return post


def _check_address(published_at, year, month, slug):
    """404 unless a post published at published_at lives at /<year>/<month>/<slug>/."""
    if published_at is None or permalink_kwargs(published_at, slug) != {
        "year": year,
        "month": month,
        "slug": slug,
    }:
        raise Http404("No post at this address.")


@require_http_methods(["GET", "HEAD", "POST"])
@same_origin_or_csrf_token
def post_detail(request, year, month, slug, page=None):
    if request.method == "POST":
        return leave_a_reply(request, get_post_for_permalink(year, month, slug))
    # A cached page needs only the post's versions; the post itself is
    # loaded when the page is rendered.
    stamp = stamp_cache.get(slug, Post.objects.page_stamp)
    _check_address(stamp and stamp.published_at, year, month, slug)
    reply_to = _reply_target(request, stamp.pk)

    def render():
        # Deleted since the stamp was read: 404. With its tags and neighbours, in the same query.
        post = get_object_or_404(Post.objects.for_page(), pk=stamp.pk)
        form = CommentForm(post, initial=remembered_commenter(request))
        return _render_post_page(request, post, form, reply_to=reply_to, page=page)

    key = f"post:{stamp.pk}:{stamp.version}:{page}:{reply_to or ''}"
    return pagecache.cached_page(request, key, stamp.last_modified, render, parameters=POST_PAGE_PARAMETERS)


def leave_a_reply(request, post):
    """A "Leave a Reply" POST: to the new comment's place in the thread, or the form back."""
    form, comment = take_reply(post, request)
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
    # Its author may edit or delete it for COMMENTS_EDIT_MINUTES, from this browser.
    edit_window.grant(response, request, comment)
    if form.cleaned_data["remember"]:
        cookies.remember_commenter(response, comment.name, comment.email, comment.url)
    elif cookies.COMMENTER_COOKIE in request.COOKIES:
        cookies.forget_commenter(response)
    return response


def csrf_failure(request, reason=""):
    """A refused cross-site check (CSRF_FAILURE_VIEW) must not throw away what the reader typed.

    On a post page the form comes back filled in, with a message; anywhere
    else, a plain explanation.
    """
    try:
        match = resolve(request.path_info)
        if request.method == "POST" and match.url_name in ("detail", "comments_page"):
            kwargs = {name: match.kwargs[name] for name in ("year", "month", "slug")}
            post = get_post_for_permalink(**kwargs)
            form = CommentForm(post, initial=typed_values(request))
            form.notice = (
                FROM_ANOTHER_SITE if reason.startswith("The request came from another site") else EXPIRED
            )
            return render_post_page(request, post, form, reply_to=form.initial.get("parent"), status=403)
        if request.method == "POST" and match.view_name == "comments:edit_own":
            return own_comment.refused_by_csrf_check(request, reason)
    except (Resolver404, Http404):
        pass
    return render(request, "403_csrf.html", status=403)


def _reply_target(request, post_id):
    """?replytocom= as the id of an approved comment of this post, else None (one query when given)."""
    reply_to = parse_id(request.GET.get("replytocom", ""))
    if reply_to is None:
        return None
    exists = Comment.objects.approved().filter(pk=reply_to, post_id=post_id).exists()
    return reply_to if exists else None


def render_post_page(request, post, form, reply_to=None, status=200, page=None):
    """The post page for this reader only, e.g. with a form that has errors."""
    return pagecache.personal(_render_post_page(request, post, form, reply_to, status, page))


def _render_post_page(request, post, form, reply_to=None, status=200, page=None):
    """The post, a page of its thread and the reply form.

    Queries: see Thread.for_post (the post is loaded already). Nothing in
    an anonymous reader's page is theirs alone (wflm/same_origin.py): a
    CSRF token is printed for signed-in users only, whose pages are
    never cached.
    """
    thread = Thread.for_post(
        post, page=page, also_show_ids=pending_ids(request), editable_ids=edit_window.editable_ids(request)
    )
    reply_to_comment = None
    if form.is_bound:
        parent_id = parse_id(form.data.get("parent", ""))
        if parent_id and not form.has_parent_error():
            reply_to_comment = thread.get(parent_id)
    elif reply_to_id := parse_id(str(reply_to or "")):
        # No-JavaScript replies: ?replytocom=<id> turns the form into a reply.
        reply_to_comment = thread.get(reply_to_id)
        if reply_to_comment:
            form.initial["parent"] = reply_to_comment.pk
    context = {
        "post": post,
        "thread": thread,
        "pingbacks": thread.pingbacks,
        "pagination": thread.pagination,
        "form": form,
        "reply_to": reply_to_comment,
        "form_token": get_token(request) if signed_in(request) else "",
        "thread_slot": THREAD_SLOT,
    }
    response = TemplateResponse(request, "posts/post_detail.html", context, status=status).render()
    response.content = _splice_thread(response.content, thread.html, response.charset)
    return response


# Where the thread goes in the rendered page. The thread's HTML (1.5 MB for
# 1,000 comments) is put into the page's bytes after rendering instead of
# going through the template, whose nested blocks would copy it at each
# level and whose page-wide text (with its curly quotes) would make Python
# widen and re-encode it: that was about a sixth of such a page's render.
# Nothing before the slot can hold the marker (titles are escaped, the
# post's HTML is nh3's, which drops comments).
THREAD_SLOT = mark_safe("<!--wflm:thread-->")  # noqa: S308 (a constant)


def _splice_thread(content, thread_html, charset):
    before, slot, after = content.partition(THREAD_SLOT.encode(charset))
    if not slot:  # a post_detail.html of a site's own without the slot: no thread, not one after </html>
        return content
    return b"".join((before, thread_html.encode(charset), after))
