"""Cross-site request protection that needs no per-reader token in the page.

An anonymous reader's page must be the same bytes for everyone, so that
any shared HTTP cache can serve it (docs/scaling.md); a CSRF token in the
form would make it theirs alone. The anonymous comment form is protected
instead by what every current browser says about where a request comes
from: `Sec-Fetch-Site` (Fetch Metadata) and `Origin`. A form on another
site cannot forge either. A request that carries neither did not come
from a browser's cross-site form (browsers since 2020 send Origin on every
POST), so it cannot ride on a victim's browser, which is what CSRF is.

Signed-in users (a session cookie) keep Django's CSRF token check as
well: their pages are personal and never shared, so a token costs nothing.
"""

import functools

from django.conf import settings
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt, csrf_protect

CROSS_SITE = "The request came from another site (Sec-Fetch-Site: {value})."
FOREIGN_ORIGIN = "The request came from another site (Origin: {value})."


def own_origins(request):
    """The origins this site's own pages have: this host, and CSRF_TRUSTED_ORIGINS."""
    return {f"{request.scheme}://{request.get_host()}", *settings.CSRF_TRUSTED_ORIGINS}


def cross_site_reason(request):
    """Why request looks sent by another site's page, or None when it came from ours."""
    origin = request.headers.get("Origin")
    fetch_site = request.headers.get("Sec-Fetch-Site")
    # same-site (a sibling subdomain) is another site too, unless trusted by name.
    trusted = origin is not None and origin in set(settings.CSRF_TRUSTED_ORIGINS)
    if fetch_site is not None and fetch_site not in ("same-origin", "none") and not trusted:
        return CROSS_SITE.format(value=fetch_site[:40])
    if origin is not None and origin not in own_origins(request):
        # "null" included: sandboxed frames and data: pages send it.
        return FOREIGN_ORIGIN.format(value=origin[:100])
    return None


def signed_in(request):
    return settings.SESSION_COOKIE_NAME in request.COOKIES


def same_origin_or_csrf_token(view):
    """Protect a view that anonymous readers POST to, without a token in their page.

    Signed-in requests go through Django's CSRF check as usual; anonymous
    ones must come from this site (cross_site_reason). Either failure goes
    to CSRF_FAILURE_VIEW, which hands the reader's text back.
    """
    with_token = csrf_protect(view)

    @csrf_exempt
    @functools.wraps(view)
    def protected(request, *args, **kwargs):
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return view(request, *args, **kwargs)
        if signed_in(request):
            return with_token(request, *args, **kwargs)
        reason = cross_site_reason(request)
        if reason is not None:
            return import_string(settings.CSRF_FAILURE_VIEW)(request, reason=reason)
        return view(request, *args, **kwargs)

    return protected
