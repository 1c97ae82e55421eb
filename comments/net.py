"""Where a request came from, for moderation records."""

import ipaddress

from django.conf import settings


def client_ip(request):
    """The client's IP address, or None when it is not a valid address.

    Behind a proxy (BEHIND_PROXY=on) the last X-Forwarded-For entry is the
    one our own proxy appended; earlier entries are client-supplied.
    """
    candidate = request.META.get("REMOTE_ADDR", "")
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            candidate = forwarded.split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def user_agent(request):
    # Header values are latin-1 decoded by WSGI; drop control characters
    # so the stored value can never be refused by PostgreSQL.
    value = request.META.get("HTTP_USER_AGENT", "")
    return "".join(ch for ch in value if ch.isprintable())[:1000]
