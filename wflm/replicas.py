"""Read replicas: reads go to a streaming replica, writes to the primary.

DATABASE_REPLICA_URLS names zero or more replicas of DATABASE_URL (the
primary); each becomes a database alias, "replica1", "replica2", ...
(replica_databases, called by wflm/settings.py).

Per request, PrimaryPinMiddleware chooses where reads go, and
ReplicaRouter sends them there:
- one replica, chosen at random for the whole request, so that every
  query of a page sees one moment of the archive (replay only moves
  forward; two replicas may stand at different moments);
- the primary for the admin, for any request that may write (not GET,
  HEAD, OPTIONS or TRACE), and for a client that wrote in the last
  REPLICA_PIN_SECONDS: a write that succeeded sets the signed cookie
  wflm_primary, so a commenter sees their reply, and a moderator their
  decision, while the replicas are still replaying it.
Writes and migrations always go to the primary. Outside a request
(management commands, the shell) every read goes to the primary: a
command that reads and then writes must read what it writes over.

With no replica configured every read goes to the primary, but a write
still sets the cookie: it also tells shared caches in front (nginx's
micro-cache, deploy/nginx/wflm.conf) and the app's own page cache to let
this client by for those seconds, so a commenter never gets a copy of the
page made before their reply.
"""

import contextlib
import contextvars
import random

import environ
from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS

REPLICA_ALIAS_PREFIX = "replica"
POSTGRESQL_ENGINE = "django.db.backends.postgresql"
PIN_COOKIE = "wflm_primary"
_PIN_SALT = "wflm.replicas.pin"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# What says where a replica is; everything else (CONN_MAX_AGE,
# CONN_HEALTH_CHECKS, ...) a replica takes from the primary.
_ADDRESS_KEYS = frozenset({"ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT", "OPTIONS", "TEST"})

# The alias this context's reads go to; None: not set (the primary).
_read_alias = contextvars.ContextVar("wflm_read_alias", default=None)


# --- Settings -----------------------------------------------------------------------


def replica_databases(urls, primary):
    """The DATABASES entries for DATABASE_REPLICA_URLS: {"replica1": {...}, ...}.

    urls: comma-separated PostgreSQL URLs (blank: no replica). Each URL
    gives its replica's address and options (?sslmode=..., ?host=...);
    the rest of the connection handling comes from primary, the default
    database's settings. In tests a replica mirrors the test database.
    """
    databases = {}
    entries = [url.strip() for url in urls.split(",") if url.strip()]
    for number, url in enumerate(entries, start=1):
        # The scheme first: django-environ would print a URL it cannot read, password and all.
        scheme = url.partition("://")[0] if "://" in url else ""
        if environ.Env.DB_SCHEMES.get(scheme) != POSTGRESQL_ENGINE:
            # Never the URL itself in the message, for the same reason.
            raise ImproperlyConfigured(
                f"DATABASE_REPLICA_URLS: entry {number} must point at PostgreSQL (postgres://...)."
            )
        address = environ.Env.db_url_config(url)
        shared = {key: value for key, value in primary.items() if key not in _ADDRESS_KEYS}
        databases[f"{REPLICA_ALIAS_PREFIX}{number}"] = {
            **shared,
            **address,
            "TEST": {"MIRROR": DEFAULT_DB_ALIAS},
        }
    return databases


def replica_aliases():
    """The aliases of the configured replicas, in order."""
    return [alias for alias in settings.DATABASES if alias.startswith(REPLICA_ALIAS_PREFIX)]


# --- Where reads go -------------------------------------------------------------------


@contextlib.contextmanager
def reading_from(alias):
    """Within: every read goes to the database alias."""
    token = _read_alias.set(alias)
    try:
        yield
    finally:
        _read_alias.reset(token)


def primary():
    """Within: every read goes to the primary (e.g. a read that decides a write)."""
    return reading_from(DEFAULT_DB_ALIAS)


class ReplicaRouter:
    """Reads where the current context says (a replica within most requests), the rest to the primary."""

    def db_for_read(self, model, **hints):
        return _read_alias.get() or DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # A replica holds the primary's rows: a post read from one and a
        # comment saved to the other are the same archive.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # Replicas replay the primary's schema; never migrate them.
        return db == DEFAULT_DB_ALIAS


# --- Per request ---------------------------------------------------------------------


class PrimaryPinMiddleware:
    """Chooses where this request reads; pins a client that just wrote to the primary."""

    def __init__(self, get_response):
        self.replicas = replica_aliases()
        self.get_response = get_response
        self.admin_path = f"/{settings.ADMIN_URL}"

    def __call__(self, request):
        may_write = request.method not in _SAFE_METHODS
        if not self.replicas or may_write or self._needs_primary(request):
            alias = DEFAULT_DB_ALIAS
        else:
            alias = random.choice(self.replicas)
        with reading_from(alias):
            response = self.get_response(request)
        # A refused write (4xx, 5xx) left nothing that a replica could lack.
        if may_write and response.status_code < 400:
            pin_to_primary(response)
        return response

    def _needs_primary(self, request):
        # The admin: a moderator's list must show the decision just taken.
        return request.path_info.startswith(self.admin_path) or is_pinned(request)


def pin_to_primary(response):
    """Send this client's reads to the primary for the next REPLICA_PIN_SECONDS."""
    response.set_cookie(
        PIN_COOKIE,
        signing.TimestampSigner(salt=_PIN_SALT).sign("primary"),
        max_age=settings.REPLICA_PIN_SECONDS,
        secure=settings.HTTPS,
        httponly=True,
        samesite="Lax",
    )


def is_pinned(request):
    """Whether request carries a valid pin cookie younger than REPLICA_PIN_SECONDS."""
    value = request.COOKIES.get(PIN_COOKIE)
    if not value:
        return False
    try:
        signing.TimestampSigner(salt=_PIN_SALT).unsign(value, max_age=settings.REPLICA_PIN_SECONDS)
    except (signing.BadSignature, ValueError):  # forged, expired (a BadSignature) or garbled
        return False
    return True
