"""Requests refused before anything reads their body.

Two kinds of body make Django raise on every access to request.POST, its
error handling included (a bare 500 and a traceback per request): a form
body declared in a charset other than UTF-8, and one larger than
DATA_UPLOAD_MAX_MEMORY_SIZE. Both are answered here, first, with a clear
status and message; a body too large is refused from its Content-Length,
unread, so a 10 MB POST costs the worker nothing.
"""

import codecs

from django.conf import settings
from django.template.response import TemplateResponse

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
            return 400, "The request's Content-Length is not a number."
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit:
            return 413, f"The request is too large: at most {limit // 1024} KB can be sent."
        if request.content_type == FORM and request.encoding is not None:
            if _codec_name(request.encoding) != "utf-8":
                return 400, "Forms must be sent in UTF-8 (the request declared another character set)."
            # "utf8", "UTF_8"...: the same codec under another name, which Django refuses.
            request.encoding = "utf-8"
        return None


def _codec_name(charset):
    try:
        return codecs.lookup(charset).name
    except LookupError:
        return None
