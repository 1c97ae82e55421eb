"""Emails: moderators for held comments, commenters for approved replies, one-click unsubscribe."""

import socket
import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail, signing
from django.test import Client
from django.utils import timezone

from comments import notifications
from comments.models import Comment
from conftest import make_comment, make_form_timestamp

pytestmark = pytest.mark.django_db

VALID = {"name": "Bea", "email": "bea@example.com", "url": "", "body": "An answer.", "parent": ""}


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MODERATOR_EMAILS = ["mod@example.com", "other-mod@example.com"]


def post_reply(client, post, ip="192.0.2.7", **changes):
    data = VALID | {"ts": make_form_timestamp()} | changes
    return client.post(post.get_absolute_url(), data, REMOTE_ADDR=ip)


def subscriber(post, **fields):
    """An approved comment whose author ticked "Notify me"."""
    defaults = {"name": "Ada", "email": "ada@example.com", "notify_replies": True}
    return make_comment(post, **defaults | fields, created_at=timezone.now() - timedelta(days=2))


def known(post, email="bea@example.com"):
    return make_comment(post, email=email, body="Earlier.", created_at=timezone.now() - timedelta(days=2))


# --- Moderators --------------------------------------------------------------------------------------


def test_a_held_comment_emails_the_moderators_after_commit(client, post, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post_reply(client, post, body="Please let me in.")
    assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()

    comment = Comment.objects.get()
    (message,) = mail.outbox
    assert message.to == ["mod@example.com", "other-mod@example.com"]
    assert post.title in message.subject
    assert "Please let me in." in message.body and "192.0.2.7" in message.body
    assert "No previously approved comment" in message.body
    for action in ("approve", "spam", "remove"):
        assert f"http://testserver/admin/comments/comment/{comment.pk}/moderate/{action}/" in message.body


def test_the_email_links_work_for_a_moderator(admin_client, post, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_reply(Client(), post)
    comment = Comment.objects.get()
    link = next(line for line in mail.outbox[0].body.splitlines() if line.startswith("Approve it: "))
    url = link.removeprefix("Approve it: http://testserver")

    confirm = admin_client.get(url)
    assert (
        confirm.status_code == 200 and "You are about to <strong>approve</strong>" in confirm.content.decode()
    )
    comment.refresh_from_db()
    assert comment.status == "pending"  # GET never writes
    admin_client.post(url)
    comment.refresh_from_db()
    assert comment.status == "approved"


def test_no_moderator_email_when_none_are_set(client, post, settings, django_capture_on_commit_callbacks):
    settings.MODERATOR_EMAILS = []
    with django_capture_on_commit_callbacks(execute=True):
        post_reply(client, post)
    assert Comment.objects.get().status == "pending" and mail.outbox == []


@pytest.mark.parametrize("extra", [{}, {"subject": "honeypot"}])
def test_approved_and_spam_comments_do_not_email_moderators(
    client, post, django_capture_on_commit_callbacks, extra
):
    known(post)
    with django_capture_on_commit_callbacks(execute=True):
        post_reply(client, post, **extra)
    assert Comment.objects.exclude(body="Earlier.").get().status in ("approved", "spam")
    assert mail.outbox == []


# --- Replies ------------------------------------------------------------------------------------------


def test_an_approved_reply_emails_the_parent_author_once(client, post, django_capture_on_commit_callbacks):
    parent = subscriber(post)
    known(post)
    with django_capture_on_commit_callbacks(execute=True):
        post_reply(client, post, parent=parent.pk, body="I agree with Ada.")

    reply = Comment.objects.get(body="I agree with Ada.")
    assert reply.status == "approved" and reply.reply_notified_at is not None
    (message,) = mail.outbox
    assert message.to == ["ada@example.com"]
    assert "I agree with Ada." in message.body
    # The stable permalink: it redirects to wherever the reply is shown.
    assert f"http://testserver/comments/{reply.pk}/" in message.body
    token = notifications.unsubscribe_token(parent)
    assert f"http://testserver/comments/unsubscribe/{token}/" in message.body
    assert message.extra_headers["List-Unsubscribe"] == f"<http://testserver/comments/unsubscribe/{token}/>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_held_reply_emails_the_parent_author_when_approved_and_only_once(
    admin_client, post, django_capture_on_commit_callbacks
):
    parent = subscriber(post)
    with django_capture_on_commit_callbacks(execute=True):
        post_reply(Client(), post, parent=parent.pk, body="Held reply.")
    reply = Comment.objects.get(body="Held reply.")
    assert reply.status == "pending"
    assert [message.to for message in mail.outbox] == [["mod@example.com", "other-mod@example.com"]]
    mail.outbox.clear()

    changelist = "/admin/comments/comment/"
    for action in ["approve", "unapprove", "approve"]:
        with django_capture_on_commit_callbacks(execute=True):
            admin_client.post(changelist, {"action": action, "_selected_action": [reply.pk]})

    reply.refresh_from_db()
    assert reply.status == "approved"
    assert [message.to for message in mail.outbox] == [["ada@example.com"]]


@pytest.mark.parametrize(
    "parent_fields",
    [{"notify_replies": False}, {"email": "bea@example.com"}],
    ids=["did-not-ask", "own-reply"],
)
def test_no_reply_email_when_not_asked_or_to_oneself(
    client, post, django_capture_on_commit_callbacks, parent_fields
):
    parent = subscriber(post, **parent_fields)
    known(post)
    with django_capture_on_commit_callbacks(execute=True):
        post_reply(client, post, parent=parent.pk)
    assert Comment.objects.filter(parent=parent, status="approved").exists()
    assert mail.outbox == []


# --- A failing mail server ----------------------------------------------------------------------------


@pytest.fixture
def silent_smtp_server(settings):
    """A server that accepts connections and never says a word, as a hung mail server does."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = listener.getsockname()
    settings.EMAIL_TIMEOUT = 1
    yield accepted
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def test_a_hung_mail_server_costs_one_timeout_and_fails_nothing(
    client, post, silent_smtp_server, caplog, django_capture_on_commit_callbacks
):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_reply(client, post, body="Saved whatever the mail does.")
    elapsed = time.monotonic() - started

    assert response.status_code == 302
    assert Comment.objects.filter(body="Saved whatever the mail does.").exists()
    assert silent_smtp_server, "the mail server was never tried"
    assert elapsed < 3
    assert "not sent" in caplog.text and "mod@example.com" in caplog.text


def test_a_refusing_mail_server_is_logged(client, post, settings, caplog, django_capture_on_commit_callbacks):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    with django_capture_on_commit_callbacks(execute=True):
        response = post_reply(client, post)
    assert response.status_code == 302
    assert "Could not reach the mail server" in caplog.text


# --- Unsubscribe --------------------------------------------------------------------------------------


def test_unsubscribe_asks_on_get_and_acts_on_post(client, post):
    parent = subscriber(post)
    other = subscriber(post, email="ADA@example.com", body="Another of mine.")
    stranger = subscriber(post, email="someone@example.com")
    url = f"/comments/unsubscribe/{notifications.unsubscribe_token(parent)}/"

    page = client.get(url)
    assert page.status_code == 200 and "Unsubscribe</button>" in page.content.decode()
    assert Comment.objects.get(pk=parent.pk).notify_replies is True  # a link scanner changes nothing

    done = client.post(url)
    assert done.status_code == 200 and "no more emails" in done.content.decode()
    assert set(
        Comment.objects.filter(pk__in=[parent.pk, other.pk]).values_list("notify_replies", flat=True)
    ) == {False}
    assert Comment.objects.get(pk=stranger.pk).notify_replies is True


def test_one_click_unsubscribe_needs_no_csrf_token(post):
    parent = subscriber(post)
    client = Client(enforce_csrf_checks=True)
    url = f"/comments/unsubscribe/{notifications.unsubscribe_token(parent)}/"
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert Comment.objects.get(pk=parent.pk).notify_replies is False


@pytest.mark.parametrize(
    "token",
    ["nonsense", "MQ:1tQzQz:forgedsignature", "%00", "a" * 3000],
)
def test_a_forged_unsubscribe_token_is_refused(client, post, token):
    parent = subscriber(post)
    response = client.post(f"/comments/unsubscribe/{token}/")
    assert response.status_code in (400, 404)
    assert Comment.objects.get(pk=parent.pk).notify_replies is True


def test_a_token_for_another_comment_cannot_be_made_from_one(client, post):
    parent = subscriber(post)
    victim = subscriber(post, email="victim@example.com")
    token = notifications.unsubscribe_token(parent)
    payload, timestamp, signature = token.split(":")
    victim_payload = signing.b64_encode(str(victim.pk).encode()).decode()
    forged = f"{victim_payload}:{timestamp}:{signature}"
    assert client.post(f"/comments/unsubscribe/{forged}/").status_code == 400
    assert Comment.objects.get(pk=victim.pk).notify_replies is True


def test_an_expired_unsubscribe_token_is_refused(client, post, settings):
    settings.COMMENTS_UNSUBSCRIBE_DAYS = 30
    parent = subscriber(post)
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 31 * 24 * 3600):
        token = notifications.unsubscribe_token(parent)
    response = client.post(f"/comments/unsubscribe/{token}/")
    assert response.status_code == 400 and "not valid" in response.content.decode()
    assert Comment.objects.get(pk=parent.pk).notify_replies is True
