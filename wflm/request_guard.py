"""Requests refused before anything reads their body.

Two kinds of body make Django raise on every access to request.POST, its
error handling included (a bare 500 and a traceback per request): a form
body declared in a charset other than UTF-8, and one larger than
DATA_UPLOAD_MAX_MEMORY_SIZE (PUBLIC_MAX_BODY_BYTES outside the admin).
Both are answered here, first, with a clear status and message; a body
too large is refused from its Content-Length, unread, so a 10 MB POST
costs the worker nothing.
"""

import codecs

from django.conf import settings
from django.template.response import TemplateResponse
from django.utils.translation import gettext

FORM = "application/x-www-form-urlencoded"


class RequestGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusal = self.refusal(request)
        if refusal is not None:
            status, message = refusal
            response = TemplateResponse(request, "400.html", {"message": message}, status=status)
            response["Connection"] = "close"  # the unread body must not be taken as the next request
            return response.render()
        return self.get_response(request)

    def refusal(self, request):
        """(status, message) for a request to refuse unread, or None."""
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return 400, gettext("The request's Content-Length is not a number.")
        limit = self.body_limit(request)
        if limit is not None and length > limit:
            return 413, gettext("The request is too large: at most %(size)s KB can be sent.") % {
                "size": limit // 1024
            }
        if request.content_type == FORM and request.encoding is not None:
            if _codec_name(request.encoding) != "utf-8":
                return 400, gettext(
                    "Forms must be sent in UTF-8 (the request declared another character set)."
                )
            # "utf8", "UTF_8"...: the same codec under another name, which Django refuses.
            request.encoding = "utf-8"
        return None

    @staticmethod
    def body_limit(request):
        # The admin's forms (a post with its comments inline) may be large;
        # the public site takes nothing bigger than a reply (10,000
        # characters, about 120 KB once percent-encoded).
        if request.path_info.startswith("/" + settings.ADMIN_URL):
            return settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return settings.PUBLIC_MAX_BODY_BYTES


def _codec_name(charset):
    try:
        return codecs.lookup(charset).name
    except LookupError:
        return None
