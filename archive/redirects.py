"""Old links to imported posts and comments answer with a 301 to their new home.

Nothing here runs on a normal page view: the 404 handler (archive.views
.not_found) asks `redirect_for_old_link` before rendering "Not found",
the WordPress-shaped /archives/123 URLs have their own route, and the home
page calls `legacy_redirect` only to see whether a ?p=/?page_id= is there
(no query without one).
"""

import re
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.http import HttpResponsePermanentRedirect
from django.utils import timezone

from archive.models import PostSource, path_key
from comments.models import Comment
from comments.threads import comment_url
from wflm.ids import is_digits

# WordPress's query-string permalinks: /?p=123 (posts), /?page_id=123 (pages).
ID_PARAMETERS = ("p", "page_id")
COMMENT_PAGE = re.compile(r"/comment-page-[0-9]{1,6}/?$")
MAX_ID_LENGTH = 20


def legacy_redirect(request):
    """For the home page: /?p=123 or /?page_id=123 of an imported post -> 301, else None.

    No query unless one of those parameters holds digits.
    """
    original_id = _original_id(request)
    if original_id is None:
        return None
    return _redirect(request, _by_original_id(request, original_id))


def redirect_for_old_link(request):
    """For a 404: an imported post's old permalink (or /archives/123, or one of
    its /comment-page-N/ pages) -> 301 to its new permalink, else None."""
    if request.method not in ("GET", "HEAD"):
        return None
    path = COMMENT_PAGE.sub("/", request.path)
    keys = [path_key(path)]
    query = request.META.get("QUERY_STRING", "")
    original_id = _original_id(request)
    if original_id is not None:
        keys.insert(0, path_key(f"{path}?{_id_query(request)}"))
    if query:
        keys.insert(0, path_key(f"{path}?{query}"))
    # PostgreSQL refuses NUL in text: such a key cannot match anything anyway.
    keys = [key for key in dict.fromkeys(keys) if key and len(key) <= 1000 and "\x00" not in key]
    source = None
    if keys:
        candidates = {}
        for candidate in PostSource.objects.linked_from_any(keys).select_related("post"):
            candidates.setdefault(candidate.path_key, candidate)  # the newest import wins
        source = next((candidates[key] for key in keys if key in candidates), None)
    if source is None and original_id is not None:
        source = _by_original_id(request, original_id)
    return _redirect(request, source)


def redirect_by_original_id(request, original_id):
    """/archives/123 (WordPress's numeric permalinks)."""
    return _redirect(request, _by_original_id(request, str(original_id)))


def _original_id(request):
    for name in ID_PARAMETERS:
        value = request.GET.get(name, "")
        if is_digits(value) and len(value) <= MAX_ID_LENGTH:
            return value
    return None


def _id_query(request):
    name = next(name for name in ID_PARAMETERS if is_digits(request.GET.get(name, "")))
    return urlencode({name: request.GET[name]})


def _by_original_id(request, original_id):
    """The post an old id names; several blogs may have used it: the one at this host, else the latest."""
    candidates = list(
        PostSource.objects.filter(original_id=original_id).select_related("post").order_by("-id")[:20]
    )
    host = request.get_host().lower()
    return next(
        (s for s in candidates if s.site.split("/")[0] == host), candidates[0] if candidates else None
    )


def _redirect(request, source):
    if source is None or source.post.published_at > timezone.now():
        return None
    post = source.post
    target = post.get_absolute_url()
    reply_to = request.GET.get("replytocom", "")
    if is_digits(reply_to) and len(reply_to) <= MAX_ID_LENGTH:
        comment = (
            Comment.objects.approved()
            .filter(post=post, sources__original_id=reply_to)
            .only("id", "path", "post")
            .first()
        )
        if comment is not None:
            comment.post = post
            parts = urlsplit(comment_url(comment))
            target = urlunsplit(parts._replace(query=f"replytocom={comment.pk}", fragment="respond"))
    if target == request.get_full_path():
        return None
    return HttpResponsePermanentRedirect(target)
