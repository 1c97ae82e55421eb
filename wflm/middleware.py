"""PostgreSQL down: a friendly 503, never a 500, and nothing a reader typed is lost.

While the database is unreachable every page answers 503 with a
Retry-After header, rendered from templates alone (no context processors,
no query), and a "Leave a Reply" POST gets its form back, filled in with
everything that was sent, to send again once the database is back.

Two ways in: process_exception answers for errors raised by views (and
their templates), before Django's own error handling, so even with DEBUG
on; server_error (the handler500 in wflm/urls.py) answers for those raised
by other middleware (a session saved or a user loaded outside a view),
which no process_exception sees. Each failure is logged as one WARNING
line, not a traceback per request.

Recovery needs nothing here: a connection that failed has errors_occurred
set, so Django closes it at the end of the request when it is no longer
usable, and the next request connects afresh.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.urls import Resolver404, resolve
from django.utils.cache import add_never_cache_headers
from django.utils.encoding import escape_uri_path
from django.utils.translation import gettext_lazy
from django.views import defaults

from comments.kept_form import kept_form_response

DATABASE_ERRORS = (OperationalError, InterfaceError)
# Long enough for a PostgreSQL restart, short enough that a reader retries.
RETRY_AFTER_SECONDS = 30
COULD_NOT_SAVE = gettext_lazy(
    "Your comment could not be saved because the archive's database is unavailable. "
    "Everything you typed is below: please try again in a moment."
)

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            return database_unavailable(request, exception)
        return None


def server_error(request):
    """handler500: a database error raised outside a view still gets the 503."""
    exception = sys.exc_info()[1]
    if isinstance(exception, DATABASE_ERRORS):
        return database_unavailable(request, exception)
    return defaults.server_error(request)


def database_unavailable(request, exception):
    """The 503 for this request: the reader's comment form back, or the friendly page."""
    # One line: libpq's messages span several ("Is the server running...").
    logger.warning(
        "Database unavailable, 503 for %s %s: %s",
        request.method,
        escape_uri_path(request.path),  # %0A stays %0A: one line
        " ".join(str(exception).split()),
    )
    if _is_comment_post(request):
        response = kept_form_response(request, COULD_NOT_SAVE, status=503)
    else:
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
        # A proxy or browser must not keep the outage once the database is back.
        add_never_cache_headers(response)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # Logged above: Django would log it again, and with a traceback when it
    # comes through handler500.
    response._has_been_logged = True
    return response


def _is_comment_post(request):
    if request.method != "POST":
        return False
    # Resolved again: a middleware fails before the URL is resolved for the view.
    try:
        return resolve(request.path_info).view_name == "posts:detail"
    except Resolver404:
        return False
