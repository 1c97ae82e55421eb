"""wflm settings: one module, configured by the environment (and .env).

Every value is documented in .env.example. Bad values fail at start-up.
"""

import secrets
import zoneinfo
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")


# --- Core -------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)


def _local_secret_key():
    # Local use only: a random key kept in var/ so sessions survive restarts.
    # Production sets SECRET_KEY; `check --deploy` flags a weak one.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


# Whether SECRET_KEY came from the environment: `check --deploy` fails with
# HTTPS=on when it did not (wflm/checks.py), rather than run on a file key.
SECRET_KEY_FROM_ENVIRONMENT = bool(env.str("SECRET_KEY", default=""))
SECRET_KEY = env.str("SECRET_KEY", default="") or _local_secret_key()

# Never "*": a wrong Host header gets a 400, not a page with poisoned links.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The archive's public address, for absolute URLs made outside a request
# (exports) and in e-mails. Unset: `make run`'s address (HOST, PORT), and
# e-mails use the address the reader's request came in on.
SITE_URL_FROM_ENVIRONMENT = bool(env.str("SITE_URL", default=""))
_serve_host = env.str("HOST", default="127.0.0.1")
if _serve_host in {"0.0.0.0", "::", ""}:  # noqa: S104 (every interface: this machine's own address)
    _serve_host = "127.0.0.1"
SITE_URL = env.str(
    "SITE_URL",
    default=f"http://{f'[{_serve_host}]' if ':' in _serve_host else _serve_host}:{env.str('PORT', default='8000')}",
).rstrip("/")
if not SITE_URL.startswith(("http://", "https://")) or "/" in SITE_URL.split("://", 1)[1]:
    raise ImproperlyConfigured(f"SITE_URL must be http(s)://host[:port] with no path, not {SITE_URL!r}.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    # /sitemap.xml (posts/sitemaps.py); its templates only, no models.
    "django.contrib.sitemaps",
    "csp",
    # Admin login throttling; its middleware is last (see MIDDLEWARE).
    "axes",
    "wflm",
    "posts",
    "comments",
    "archive",
    "search",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Right after SecurityMiddleware: static files skip everything below.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the database: a replica or the primary (wflm/replicas.py).
    "wflm.replicas.PrimaryPinMiddleware",
    # Database unreachable: a 503 (and the reader's comment back), never a 500.
    "wflm.middleware.DatabaseUnavailableMiddleware",
    # Compresses HTML (WhiteNoise serves static files precompressed itself).
    "django.middleware.gzip.GZipMiddleware",
    # Before anything reads a body: too large (413, unread) or not UTF-8 (400).
    "wflm.request_guard.RequestGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: answers a locked-out login.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "wflm.urls"
WSGI_APPLICATION = "wflm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
    {
        # Only for the thread loop (comments/threads.py): per-node cost matters there.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        # wflm/jinja2.py: the i18n extension, on Django's catalogues.
        "OPTIONS": {"autoescape": True, "environment": "wflm.jinja2.environment"},
    },
]


# --- Database ---------------------------------------------------------------


def _database_url():
    url = env.str("DATABASE_URL", default="")
    if url:
        return url
    # No DATABASE_URL: the embedded server from var/ (manage.py and
    # `make run` start it; see wflm/localdb.py).
    from wflm import localdb

    return localdb.running_url() or f"postgresql://postgres:@/{localdb.DATABASE_NAME}?host={localdb.PGDATA}"


DATABASES = {"default": env.db_url_config(_database_url())}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...).")
# Keep connections between requests; gunicorn workers are long-lived.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# A health check costs a round trip at the start of every request; turn it
# on where the database may drop idle connections (CONN_HEALTH_CHECKS=on).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=False)
# Lets several test runs share one server (each with its own test database).
if env.str("TEST_DATABASE_NAME", default=""):
    DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME")}
# Read replicas of DATABASE_URL (comma-separated URLs, none by default):
# aliases replica1, replica2, ... with the primary's connection settings.
# Requests read from one of them; writes, the admin and a client that
# wrote in the last REPLICA_PIN_SECONDS use the primary (wflm/replicas.py).
from wflm.replicas import replica_databases  # noqa: E402 (needs the primary's settings above)

DATABASES.update(replica_databases(env.str("DATABASE_REPLICA_URLS", default=""), DATABASES["default"]))
DATABASE_ROUTERS = ["wflm.replicas.ReplicaRouter"]
# Long enough for a replica to replay a write (usually well under a second).
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=10)
if REPLICA_PIN_SECONDS < 1:
    raise ImproperlyConfigured("REPLICA_PIN_SECONDS must be at least 1.")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# --- Time and language --------------------------------------------------------

# The interface's language (LANGUAGE_CODE=fr, zh-hans, ...): one of LANGUAGES,
# each with its catalogue in locale/ (README, "Languages").
LANGUAGES = [
    ("en", "English"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("tr", "Türkçe"),
    ("zh-hans", "简体中文"),
]
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en").strip().lower()
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(
        f"LANGUAGE_CODE={LANGUAGE_CODE!r} is not a shipped language ({', '.join(dict(LANGUAGES))})."
    )
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our date formats per language (wflm/formats/<lang>/formats.py), before Django's own.
FORMAT_MODULE_PATH = ["wflm.formats"]
# LANGUAGE_FROM_BROWSER=on: each reader gets the shipped language their
# browser asks for (Accept-Language), LANGUAGE_CODE otherwise; cached pages
# then vary by language (posts/pagecache.py, wflm/fast_pages.py).
LANGUAGE_FROM_BROWSER = env.str("LANGUAGE_FROM_BROWSER", default="off").strip().lower()
if LANGUAGE_FROM_BROWSER not in {"on", "off"}:
    raise ImproperlyConfigured(f"LANGUAGE_FROM_BROWSER must be on or off, not {LANGUAGE_FROM_BROWSER!r}.")
LANGUAGE_FROM_BROWSER = LANGUAGE_FROM_BROWSER == "on"
if LANGUAGE_FROM_BROWSER:
    # After the session (Django's order), before CommonMiddleware.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.common.CommonMiddleware"),
        "django.middleware.locale.LocaleMiddleware",
    )
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
if TIME_ZONE not in zoneinfo.available_timezones():
    raise ImproperlyConfigured(f"TIME_ZONE={TIME_ZONE!r} is not a known time zone (e.g. Europe/Paris).")
USE_I18N = True
USE_TZ = True


# --- Static files -------------------------------------------------------------

STATIC_URL = "static/"
# collectstatic writes here and WhiteNoise serves from here (tests use a temporary one).
STATIC_ROOT = Path(env.path("STATIC_ROOT", default=VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


# --- Security -----------------------------------------------------------------

# HTTPS=on in production (behind a TLS-terminating proxy): secure cookies,
# redirects to https and HSTS. Off by default so http://127.0.0.1 works.
HTTPS = env.bool("HTTPS", default=False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS)
# Behind a reverse proxy: trust its X-Forwarded-Proto and X-Forwarded-For.
# Said explicitly, never implied by HTTPS=on: without a proxy that sets
# X-Forwarded-For itself, any client could pick the address flood control,
# login throttling and moderation records see (README, "Security and operations").
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Request bodies outside the admin larger than this are refused unread (413,
# wflm/request_guard.py): a reply needs at most about 120 KB. The admin keeps
# Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB).
PUBLIC_MAX_BODY_BYTES = env.int("PUBLIC_MAX_BODY_BYTES", default=256 * 1024)
# A CSRF failure re-renders the reader's form with their text, never a bare 403.
CSRF_FAILURE_VIEW = "posts.post_page.csrf_failure"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", "https:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# The admin's address; a less guessable one keeps password-guessing bots away
# from the login page (which is throttled anyway, see AXES_*).
ADMIN_URL = env.str("ADMIN_URL", default="admin/").strip("/") + "/"
if ADMIN_URL == "/" or not all(part for part in ADMIN_URL.rstrip("/").split("/")):
    raise ImproperlyConfigured('ADMIN_URL must be a path such as "admin/" or "desk-7f3a/".')

# Admin login throttling (django-axes): after AXES_FAILURE_LIMIT wrong
# passwords for one username from one address, that pair is locked out for
# AXES_COOLOFF minutes, even with the right password; other users and other
# addresses are not. A successful login resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
if AXES_FAILURE_LIMIT < 1:
    raise ImproperlyConfigured("AXES_FAILURE_LIMIT must be at least 1.")
AXES_COOLOFF_MINUTES = env.int("AXES_COOLOFF", default=15)
if AXES_COOLOFF_MINUTES < 1:
    raise ImproperlyConfigured("AXES_COOLOFF must be at least 1 (minutes).")
AXES_COOLOFF_TIME = timedelta(minutes=AXES_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The same address as moderation records: X-Forwarded-For only with BEHIND_PROXY.
AXES_CLIENT_IP_CALLABLE = "comments.net.client_ip"
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
# Usernames typed at a login form are not personal data we need to keep.
AXES_DISABLE_ACCESS_LOG = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]


# --- Threads ------------------------------------------------------------------

# How deep replies are indented; deeper ones show at this depth with
# "in reply to <name>".
COMMENTS_DISPLAY_DEPTH = env.int("COMMENTS_DISPLAY_DEPTH", default=5)
if not 1 <= COMMENTS_DISPLAY_DEPTH <= 32:
    # 32: the ids a stored path keeps (comments/migrations/0002_thread_trigger.py).
    raise ImproperlyConfigured("COMMENTS_DISPLAY_DEPTH must be between 1 and 32.")
# Top-level comments per thread page, with all their replies (0: one page).
COMMENTS_PER_PAGE = env.int("COMMENTS_PER_PAGE", default=50)
if COMMENTS_PER_PAGE < 0:
    raise ImproperlyConfigured("COMMENTS_PER_PAGE must be 0 (no pages) or more.")
# Which thread page a post opens on: "oldest" (page 1) or "newest" (the last).
COMMENTS_FIRST_PAGE = env.str("COMMENTS_FIRST_PAGE", default="oldest")
if COMMENTS_FIRST_PAGE not in ("oldest", "newest"):
    raise ImproperlyConfigured('COMMENTS_FIRST_PAGE must be "oldest" or "newest".')
POSTS_PER_PAGE = env.int("POSTS_PER_PAGE", default=10)
if POSTS_PER_PAGE < 1:
    raise ImproperlyConfigured("POSTS_PER_PAGE must be at least 1.")
# An imported comment body longer than this is held (pending) for a
# moderator, and its page shows only this much of it (a form comment is
# at most 10,000 characters).
IMPORT_MAX_BODY_CHARS = env.int("IMPORT_MAX_BODY_CHARS", default=100_000)
if IMPORT_MAX_BODY_CHARS < 10_000:
    raise ImproperlyConfigured("IMPORT_MAX_BODY_CHARS must be at least 10000 (a form comment's limit).")


# --- Moderation -----------------------------------------------------------------
# The rules every new comment passes through (comments/moderation.py), with
# WordPress's defaults; docs/moderation.md explains each one.


def _non_negative_int(name, default):
    value = env.int(name, default=default)
    if value < 0:
        raise ImproperlyConfigured(f"{name} must be 0 or more, not {value}.")
    return value


def _switch(name, default):
    # env.bool reads any unknown word as off; a typo must not turn a rule off.
    value = env.str(name, default="").strip().lower()
    if not value:
        return default
    if value not in {"on", "off", "true", "false", "yes", "no", "1", "0"}:
        raise ImproperlyConfigured(f"{name} must be on or off, not {value!r}.")
    return value in {"on", "true", "yes", "1"}


def _keys(name):
    # One word, IP address or email per comma-separated entry, matched
    # case-insensitively; blanks would match every comment, so they go.
    return [key.strip().lower() for key in env.list(name, default=[]) if key.strip()]


# How mail leaves: console (printed) by default; smtp://user:pass@host:587
# (smtp+tls://, smtp+ssl://) in production. A slow or dead mail server costs
# a request at most EMAIL_TIMEOUT seconds and never fails it.
EMAIL_URL = env.str("EMAIL_URL", default="") or "consolemail://"
vars().update(env.email_url_config(EMAIL_URL))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=5)
if EMAIL_TIMEOUT < 1:
    raise ImproperlyConfigured("EMAIL_TIMEOUT must be at least 1 second.")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="WFLM archive <noreply@localhost>")
# Who is told about each held comment; empty: nobody.
MODERATOR_EMAILS = env.list("MODERATOR_EMAILS", default=[])
for _address in [DEFAULT_FROM_EMAIL.rpartition("<")[2].rstrip(">"), *MODERATOR_EMAILS]:
    try:
        validate_email(_address)
    except ValidationError as error:
        raise ImproperlyConfigured(
            f"{_address!r} (in MODERATOR_EMAILS or DEFAULT_FROM_EMAIL) is not an email address."
        ) from error

# "Comment must be manually approved": hold every new comment.
COMMENTS_MANUAL_APPROVAL = _switch("COMMENTS_MANUAL_APPROVAL", False)
# "Comment author must have a previously approved comment": hold first-timers.
COMMENTS_REQUIRE_PREVIOUSLY_APPROVED = _switch("COMMENTS_REQUIRE_PREVIOUSLY_APPROVED", True)
# "Hold a comment in the queue if it contains more than N links".
COMMENTS_MAX_LINKS = _non_negative_int("COMMENTS_MAX_LINKS", 2)
# Comment moderation words → held; disallowed words, IPs, emails → spam.
COMMENTS_MODERATION_KEYS = _keys("COMMENTS_MODERATION_KEYS")
COMMENTS_DISALLOWED_KEYS = _keys("COMMENTS_DISALLOWED_KEYS")
# "Automatically close comments on posts older than N days" (off for an archive).
COMMENTS_CLOSE_OLD_POSTS = _switch("COMMENTS_CLOSE_OLD_POSTS", False)
COMMENTS_CLOSE_AFTER_DAYS = env.int("COMMENTS_CLOSE_AFTER_DAYS", default=14)
if COMMENTS_CLOSE_AFTER_DAYS < 1:
    raise ImproperlyConfigured("COMMENTS_CLOSE_AFTER_DAYS must be at least 1.")
# Sent sooner than this after the page was rendered: a bot, so spam.
COMMENTS_MIN_SUBMIT_SECONDS = _non_negative_int("COMMENTS_MIN_SUBMIT_SECONDS", 3)
# A form older than this is refused ("please submit again", text kept).
COMMENTS_FORM_MAX_AGE_SECONDS = env.int("COMMENTS_FORM_MAX_AGE_SECONDS", default=24 * 60 * 60)
if COMMENTS_FORM_MAX_AGE_SECONDS <= COMMENTS_MIN_SUBMIT_SECONDS:
    raise ImproperlyConfigured("COMMENTS_FORM_MAX_AGE_SECONDS must exceed COMMENTS_MIN_SUBMIT_SECONDS.")
# Flood control per IP address (0 turns a limit off); counted in PostgreSQL,
# so it holds across every worker and app server.
COMMENTS_FLOOD_SECONDS = _non_negative_int("COMMENTS_FLOOD_SECONDS", 15)
COMMENTS_MAX_PER_HOUR = _non_negative_int("COMMENTS_MAX_PER_HOUR", 10)
# Lifetimes of the signed cookies and links given to commenters.
COMMENTS_REMEMBER_DAYS = env.int("COMMENTS_REMEMBER_DAYS", default=365)
COMMENTS_PENDING_DAYS = env.int("COMMENTS_PENDING_DAYS", default=30)
COMMENTS_UNSUBSCRIBE_DAYS = env.int("COMMENTS_UNSUBSCRIBE_DAYS", default=365)
for _name in ["COMMENTS_REMEMBER_DAYS", "COMMENTS_PENDING_DAYS", "COMMENTS_UNSUBSCRIBE_DAYS"]:
    if vars()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be at least 1.")
# How long a commenter may edit or delete their own comment, from the browser
# that sent it (comments/edit_window.py); 0 turns it off. At most a day.
COMMENTS_EDIT_MINUTES = _non_negative_int("COMMENTS_EDIT_MINUTES", 10)
if COMMENTS_EDIT_MINUTES > 24 * 60:
    raise ImproperlyConfigured("COMMENTS_EDIT_MINUTES must be at most 1440 (a day).")


# --- Page cache -----------------------------------------------------------------

# Django's cache; local memory by default (one per worker). A shared cache
# (redis://..., memcached://...) lets all workers share cached pages.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://wflm")}
# Options are per backend: MAX_ENTRIES bounds the in-process caches (local
# memory, files); Django's Redis backend hands its OPTIONS to the redis
# client, which refuses unknown ones (Redis bounds itself: maxmemory).
if CACHES["default"]["BACKEND"] in (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.filebased.FileBasedCache",
):
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 500)
# Anonymous page views are cached for this long (they are also replaced at
# once on any change, see posts/pagecache.py). PAGE_CACHE=off turns it off.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=600) if env.bool("PAGE_CACHE", default=True) else 0
# Each process remembers posts' page versions until PostgreSQL notifies it
# of a change (posts/stamps.py): a cache hit then needs no query.
PAGE_STAMP_LISTEN = env.bool("PAGE_STAMP_LISTEN", default=True)
# Pages larger than this are rendered every time rather than cached.
PAGE_CACHE_MAX_BYTES = env.int("PAGE_CACHE_MAX_BYTES", default=4 * 1024 * 1024)
# What anonymous pages tell HTTP caches (posts/pagecache.py, docs/scaling.md):
# browsers revalidate every time by default (a 304 is cheap, and a commenter
# back on the page sees their reply); shared caches (a CDN, nginx) keep a
# page this many seconds and may serve it stale while fetching the new one.
HTTP_CACHE_MAX_AGE = env.int("HTTP_CACHE_MAX_AGE", default=0)
HTTP_CACHE_SHARED_SECONDS = env.int("HTTP_CACHE_SHARED_SECONDS", default=5)
HTTP_CACHE_STALE_SECONDS = env.int("HTTP_CACHE_STALE_SECONDS", default=30)
# Whatever a process keeps in its own memory (pages, post stamps) is
# forgotten after this long, even if no change notice reached it.
PROCESS_MEMORY_SECONDS = env.float("PROCESS_MEMORY_SECONDS", default=5.0)


# --- Logging ------------------------------------------------------------------

# gunicorn's access log gives one line per request (status, duration;
# wflm/gunicorn.conf.py). Here: errors with their stack traces, to stderr.
# django.request logs 4xx as warnings, a second line for what the access
# log already says, so only its errors (5xx) are kept.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes announces itself at INFO on every start (each manage.py command).
    "loggers": {"django.request": {"level": "ERROR"}, "axes": {"level": "WARNING"}},
}
