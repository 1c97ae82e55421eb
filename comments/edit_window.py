"""The commenter's second chance: which comments this browser may still edit or delete.

wflm_own is a signed cookie (django.core.signing, its own salt) holding the
ids of the comments this browser wrote in the last COMMENTS_EDIT_MINUTES.
It proves only "this browser sent it": no account, as Isso and Remark42.
How long a comment stays editable is counted from its created_at in the
database, never from the cookie, so a cookie kept longer (a browser that
ignores max-age, a copied value) opens nothing. A forged, garbled or
expired cookie reads as no cookie.

Pages for a reader carrying it are personal (posts/pagecache.py lists the
name in PERSONAL_COOKIES): they show "Edit" on that reader's comments.
"""

import math
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext

from comments.models import Comment

OWN_COOKIE = "wflm_own"
_OWN_SALT = "comments.edit_window.own"
# More than anyone writes in a few minutes; keeps the cookie small.
MAX_OWN_IDS = 20
# What a commenter may still change: not spam, not removed (a moderator's call).
EDITABLE_STATUSES = (Comment.Status.APPROVED, Comment.Status.PENDING)


def is_on():
    return settings.COMMENTS_EDIT_MINUTES > 0


def window_seconds():
    return settings.COMMENTS_EDIT_MINUTES * 60


def grant(response, request, comment):
    """Let this browser edit comment for COMMENTS_EDIT_MINUTES (nothing when editing is off)."""
    if not is_on():
        return
    ids = [pk for pk in editable_ids(request) if pk != comment.pk] + [comment.pk]
    response.set_cookie(
        OWN_COOKIE,
        signing.dumps(ids[-MAX_OWN_IDS:], salt=_OWN_SALT, compress=True),
        max_age=window_seconds(),
        secure=settings.HTTPS,
        httponly=True,
        samesite="Lax",
    )


def editable_ids(request):
    """The comment ids a valid wflm_own cookie names (an empty list otherwise).

    Whether each is still inside its window is for seconds_left to say.
    """
    value = request.COOKIES.get(OWN_COOKIE)
    if not value or not is_on():
        return []
    try:
        ids = signing.loads(value, salt=_OWN_SALT, max_age=window_seconds())
    except (signing.BadSignature, ValueError):  # forged, expired (a BadSignature) or garbled
        return []
    if not isinstance(ids, list):
        return []
    return [pk for pk in ids if isinstance(pk, int) and not isinstance(pk, bool)]


def remaining(created_at, now=None):
    """How long a comment written at created_at (the database's) may still be edited."""
    return created_at + timedelta(minutes=settings.COMMENTS_EDIT_MINUTES) - (now or timezone.now())


def seconds_left(created_at, now=None):
    """Whole seconds left in the window (0 when it is over or editing is off)."""
    if not is_on():
        return 0
    return max(0, math.floor(remaining(created_at, now).total_seconds()))


def minutes_label(seconds):
    """ "9 min left": rounded up, so the last seconds still read "1 min"."""
    return gettext("%(minutes)s min left") % {"minutes": max(1, math.ceil(seconds / 60))}
