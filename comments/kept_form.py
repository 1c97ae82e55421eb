"""The reader's form handed back on its own, when the post page is not rendered.

Used where rendering the whole page is impossible (the database is down:
wflm/middleware.py) or not worth it (flood control refusing a burst of
POSTs: each refusal would otherwise cost a full thread render). The page
queries nothing; everything the reader sent comes back, hidden fields
included, so sending it again works.
"""

from django import forms
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template import loader
from django.utils.cache import add_never_cache_headers

from comments.forms import CommentForm
from wflm.same_origin import signed_in


def kept_form_response(request, message, status):
    form = CommentForm(None, initial=typed_values(request))
    context = {
        "form": form,
        "message": message,
        "action": request.path,
        "form_token": get_token(request) if signed_in(request) else "",
    }
    response = HttpResponse(loader.render_to_string("comments/could_not_save.html", context), status=status)
    # The page holds what the reader typed: no cache may keep it.
    add_never_cache_headers(response)
    return response


def typed_values(request):
    """Every field of the comment form as it was sent, hidden ones included.

    The signed timestamp stays the original one: a fresh one would make a
    quick second try look like a bot's.
    """
    values = {}
    for name, field in CommentForm.base_fields.items():
        if isinstance(field, forms.BooleanField):
            values[name] = bool(request.POST.get(name))
        else:
            values[name] = request.POST.get(name, "")
    return values
