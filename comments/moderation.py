"""The rules a new comment passes through, WordPress's in WordPress's order.

Each rule looks at one submission and either says nothing (the next rule
decides) or returns a Decision: approve, hold (pending), spam, or refuse
with a message (nothing stored; the form comes back with the text). All
thresholds and lists are settings (see docs/moderation.md).

Refusals come first, so nothing is stored for them; then spam, then hold;
a comment no rule stops is approved.
"""

import math
import re
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import connection
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, gettext_noop, ngettext, override

from comments.models import Comment

APPROVE, HOLD, SPAM, REFUSE = "approve", "hold", "spam", "refuse"
STATUS_FOR = {APPROVE: Comment.Status.APPROVED, HOLD: Comment.Status.PENDING, SPAM: Comment.Status.SPAM}

# The two anti-bot inputs of the form. Their names are fixed: the page
# cache substitutes a fresh timestamp into cached pages.
TIMESTAMP_FIELD = "ts"
HONEYPOT_FIELD = "subject"
_TIMESTAMP_SALT = "comments.form-timestamp"

# What WordPress counts as a link in a comment.
LINK = re.compile(r"https?://", re.IGNORECASE)

# Refusals speak the reader's language (the interface's); notes for
# moderators, stored with the comment, the site's (see site_note).
FORM_TOO_OLD = gettext_lazy(
    "This form was too old (or damaged) to accept, so your comment was not saved yet. "
    "Everything you typed is below: please submit again."
)
DUPLICATE = gettext_lazy("Duplicate comment detected; it looks as though you've already said that!")


@dataclass(frozen=True)
class Decision:
    action: str
    rule: str = ""
    # For refusals, the message shown to the reader; otherwise a note for moderators.
    message: str = ""
    http_status: int = 400

    @property
    def status(self):
        return STATUS_FOR[self.action]


@dataclass
class Submission:
    """What the rules see of one new comment (after the form's own checks)."""

    post: object
    name: str
    email: str
    url: str
    body: str
    ip_address: str | None = None
    user_agent: str = ""
    honeypot: str = ""
    timestamp: str = ""
    now: float = field(default_factory=time.time)
    _history: dict | None = field(default=None, init=False, repr=False)

    def history(self):
        """This author's and this IP's earlier comments, summed up in one query (cached)."""
        if self._history is None:
            self._history = author_history(self)
        return self._history


# --- The signed form timestamp ---------------------------------------------------


def form_timestamp(at=None):
    """The value of the form's hidden "ts" input: when the page was rendered, signed."""
    # Rounded down: a form is never younger than 0 s (rounding up made a
    # fresh form look sent from the future).
    milliseconds = math.floor((time.time() if at is None else at) * 1000)
    return signing.Signer(salt=_TIMESTAMP_SALT).sign(str(milliseconds))


def form_age(value, now=None):
    """Seconds since form_timestamp() made value; None when missing or tampered with."""
    try:
        milliseconds = int(signing.Signer(salt=_TIMESTAMP_SALT).unsign(value or ""))
    except (signing.BadSignature, ValueError):
        return None
    return (time.time() if now is None else now) - milliseconds / 1000


# --- Closing old posts ----------------------------------------------------------------


def site_note(message, **values):
    """A note for moderators (message marked with gettext_noop), in the site's language
    (LANGUAGE_CODE), whichever reader's language the request that made it had."""
    with override(settings.LANGUAGE_CODE):
        return gettext(message) % values if values else gettext(message)


def comments_closed(post):
    """Closed by hand, or (COMMENTS_CLOSE_OLD_POSTS) older than COMMENTS_CLOSE_AFTER_DAYS."""
    if not post.comments_open:
        return True
    if settings.COMMENTS_CLOSE_OLD_POSTS:
        return post.published_at < timezone.now() - timedelta(days=settings.COMMENTS_CLOSE_AFTER_DAYS)
    return False


# --- The rules ---------------------------------------------------------------------------


def form_too_old_or_tampered(submission):
    age = form_age(submission.timestamp, now=submission.now)
    if age is None or age > settings.COMMENTS_FORM_MAX_AGE_SECONDS:
        return Decision(REFUSE, "form_expired", str(FORM_TOO_OLD))
    return None


def flood(submission):
    if submission.ip_address is None:
        return None
    history = submission.history()
    last = history["last_from_ip"]
    wait = settings.COMMENTS_FLOOD_SECONDS
    if wait and last and (timezone.now() - last).total_seconds() < wait:
        return Decision(
            REFUSE,
            "flood",
            ngettext(
                "You are posting comments too quickly. Please wait %(count)d second and send it again: "
                "your comment is still below.",
                "You are posting comments too quickly. Please wait %(count)d seconds and send it again: "
                "your comment is still below.",
                wait,
            )
            % {"count": wait},
            http_status=429,
        )
    limit = settings.COMMENTS_MAX_PER_HOUR
    if limit and history["last_hour_from_ip"] >= limit:
        return Decision(
            REFUSE,
            "flood",
            ngettext(
                "You have sent %(count)d comment in the last hour, the most we take from one address. "
                "Please send it again later: your comment is still below.",
                "You have sent %(count)d comments in the last hour, the most we take from one address. "
                "Please send it again later: your comment is still below.",
                limit,
            )
            % {"count": limit},
            http_status=429,
        )
    return None


def duplicate(submission):
    if submission.history()["duplicates"]:
        return Decision(REFUSE, "duplicate", str(DUPLICATE), http_status=409)
    return None


def honeypot(submission):
    if submission.honeypot:
        return Decision(
            SPAM, Comment.Rule.HONEYPOT, site_note(gettext_noop("the hidden field was filled in"))
        )
    return None


def too_fast(submission):
    age = form_age(submission.timestamp, now=submission.now)
    if age is not None and age < settings.COMMENTS_MIN_SUBMIT_SECONDS:
        return Decision(
            SPAM,
            Comment.Rule.TOO_FAST,
            site_note(gettext_noop("sent %(seconds)s s after the page loaded"), seconds=f"{max(age, 0):.1f}"),
        )
    return None


def disallowed_keys(submission):
    key = _first_key_in(settings.COMMENTS_DISALLOWED_KEYS, submission)
    if key:
        return Decision(
            SPAM, Comment.Rule.DISALLOWED_KEYS, site_note(gettext_noop("contains “%(key)s”"), key=key)
        )
    return None


def manual_approval(submission):
    if settings.COMMENTS_MANUAL_APPROVAL:
        return Decision(HOLD, Comment.Rule.MANUAL_APPROVAL)
    return None


def max_links(submission):
    links = len(LINK.findall(submission.body))
    if links > settings.COMMENTS_MAX_LINKS:
        return Decision(
            HOLD,
            Comment.Rule.MAX_LINKS,
            site_note(
                gettext_noop("%(links)d links (more than %(limit)d)"),
                links=links,
                limit=settings.COMMENTS_MAX_LINKS,
            ),
        )
    return None


def moderation_keys(submission):
    key = _first_key_in(settings.COMMENTS_MODERATION_KEYS, submission)
    if key:
        return Decision(
            HOLD, Comment.Rule.MODERATION_KEYS, site_note(gettext_noop("contains “%(key)s”"), key=key)
        )
    return None


def previously_approved(submission):
    if not settings.COMMENTS_REQUIRE_PREVIOUSLY_APPROVED:
        return None
    if submission.history()["approved_by_email"]:
        return Decision(APPROVE, Comment.Rule.KNOWN_AUTHOR)
    return Decision(
        HOLD, Comment.Rule.FIRST_TIME_AUTHOR, site_note(gettext_noop("first comment from this email address"))
    )


# In order: the first rule that decides, decides.
RULES = [
    form_too_old_or_tampered,
    flood,
    duplicate,
    honeypot,
    too_fast,
    disallowed_keys,
    manual_approval,
    max_links,
    moderation_keys,
    previously_approved,
]


def decide(submission, rules=None):
    """The first decision of the rules, or approve when none objects.

    Flood control must see the comments of concurrent requests: call this
    inside the transaction that saves the comment, after lock_ip().
    """
    for rule in RULES if rules is None else rules:
        decision = rule(submission)
        if decision is not None:
            return decision
    return Decision(APPROVE, Comment.Rule.NO_RULE)


def lock_ip(ip_address):
    """Serialise comment posting per IP address until the transaction ends.

    A PostgreSQL advisory lock: every gunicorn worker and app server sees
    it, so two simultaneous posts from one address cannot both pass flood
    control. Does nothing outside a transaction (it would not hold).
    """
    if ip_address is None or not connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"comments:{ip_address}"])


def author_history(submission):
    """One query over the comments sharing this email or IP address."""
    nothing = Q(pk__isnull=True)
    email_match = Q(email__iexact=submission.email) if submission.email else nothing
    ip_match = Q(ip_address=submission.ip_address) if submission.ip_address else nothing
    same_text = Q(post=submission.post, body=submission.body) & (email_match | ip_match)
    hour_ago = timezone.now() - timedelta(hours=1)
    return Comment.objects.filter(email_match | ip_match).aggregate(
        last_from_ip=Max("created_at", filter=ip_match),
        last_hour_from_ip=Count("pk", filter=ip_match & Q(created_at__gte=hour_ago)),
        duplicates=Count("pk", filter=same_text & ~Q(status=Comment.Status.REMOVED)),
        approved_by_email=Count("pk", filter=email_match & Q(status=Comment.Status.APPROVED)),
    )


def _first_key_in(keys, submission):
    # As WordPress: a key anywhere in the name, email, website, text, IP or user agent.
    if not keys:
        return None
    fields = [submission.name, submission.email, submission.url, submission.body]
    fields += [submission.ip_address or "", submission.user_agent]
    haystack = "\n".join(fields).lower()
    return next((key for key in keys if key in haystack), None)
