"""The two signed cookies a commenter may carry.

wflm_pending: the ids of the comments this browser sent that are not
(yet) approved, so their author alone sees them, "awaiting moderation".
wflm_commenter: name, email and website, only when the reader ticked
"Save my name, email, and website in this browser".

Both are signed with SECRET_KEY (django.core.signing): a forged or expired
cookie reads as no cookie. The page cache bypasses itself for requests
carrying either name, so keep these names in step with it.
"""

from django.conf import settings
from django.core import signing

PENDING_COOKIE = "wflm_pending"
COMMENTER_COOKIE = "wflm_commenter"
_PENDING_SALT = "comments.cookies.pending"
_COMMENTER_SALT = "comments.cookies.commenter"
# Enough for anyone's recent comments; keeps the cookie small.
MAX_PENDING_IDS = 20
DAY = 24 * 60 * 60


def pending_ids(request):
    """The comment ids in a valid wflm_pending cookie (an empty list otherwise)."""
    value = _load(request, PENDING_COOKIE, _PENDING_SALT, settings.COMMENTS_PENDING_DAYS)
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, int) and not isinstance(item, bool)]


def add_pending(response, request, comment):
    """Let this browser see comment until it is approved (and for COMMENTS_PENDING_DAYS at most)."""
    ids = [pk for pk in pending_ids(request) if pk != comment.pk] + [comment.pk]
    _set(response, PENDING_COOKIE, ids[-MAX_PENDING_IDS:], _PENDING_SALT, settings.COMMENTS_PENDING_DAYS)


def remembered_commenter(request):
    """{"name", "email", "url", "remember": True} from a valid wflm_commenter cookie, or {}."""
    value = _load(request, COMMENTER_COOKIE, _COMMENTER_SALT, settings.COMMENTS_REMEMBER_DAYS)
    if not isinstance(value, dict):
        return {}
    fields = {key: value.get(key) for key in ("name", "email", "url")}
    if not all(isinstance(text, str) for text in fields.values()):
        return {}
    return fields | {"remember": True}


def remember_commenter(response, name, email, url):
    values = {"name": name, "email": email, "url": url}
    _set(response, COMMENTER_COOKIE, values, _COMMENTER_SALT, settings.COMMENTS_REMEMBER_DAYS)


def forget_commenter(response):
    response.delete_cookie(COMMENTER_COOKIE, samesite="Lax")


def _load(request, name, salt, days):
    value = request.COOKIES.get(name)
    if not value:
        return None
    try:
        return signing.loads(value, salt=salt, max_age=days * DAY)
    except (signing.BadSignature, ValueError):  # forged, expired (a BadSignature) or garbled
        return None


def _set(response, name, value, salt, days):
    response.set_cookie(
        name,
        signing.dumps(value, salt=salt, compress=True),
        max_age=days * DAY,
        secure=settings.HTTPS,
        httponly=True,
        samesite="Lax",
    )
