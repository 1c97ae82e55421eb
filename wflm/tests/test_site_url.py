"""SITE_URL: the archive's public address, in exports and e-mails."""

import io
import json

import pytest
from django.core import mail
from django.core.management import call_command

from comments.models import Comment
from comments.tests.test_notifications import _locmem_email, known, post_reply, subscriber  # noqa: F401
from conftest import make_comment
from wflm.tests.test_settings import PRODUCTION, manage


def shell_value(expression, **env):
    result = manage("shell", "-c", f"from django.conf import settings; print({expression})", **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]  # after shell's "objects imported" line


def test_default_is_the_address_make_run_serves():
    env = {key: value for key, value in PRODUCTION.items() if key != "HTTPS"}
    assert shell_value("settings.SITE_URL", **env) == "http://127.0.0.1:8000"
    assert shell_value("settings.SITE_URL", **env, PORT="9123") == "http://127.0.0.1:9123"
    assert shell_value("settings.SITE_URL", **env, HOST="0.0.0.0", PORT="80") == "http://127.0.0.1:80"  # noqa: S104
    assert shell_value("settings.SITE_URL", **env, HOST="::1") == "http://[::1]:8000"
    assert shell_value("settings.SITE_URL_FROM_ENVIRONMENT", **env) == "False"


def test_given_value_is_kept_without_its_trailing_slash():
    env = {key: value for key, value in PRODUCTION.items() if key != "HTTPS"}
    assert (
        shell_value("settings.SITE_URL", **env, SITE_URL="https://archive.example/")
        == "https://archive.example"
    )


@pytest.mark.parametrize(
    "value", ["archive.example", "ftp://archive.example", "https://archive.example/blog"]
)
def test_bad_site_url_fails_loudly(value):
    result = manage("check", **PRODUCTION, SITE_URL=value)
    assert result.returncode != 0
    assert "SITE_URL must be http(s)://host[:port] with no path" in result.stderr


@pytest.mark.django_db
def test_exports_use_it(settings, post):
    settings.SITE_URL = "https://archive.example"
    make_comment(post)
    out = io.StringIO()
    call_command("export_archive", format="json", stdout=out, stderr=io.StringIO())
    data = json.loads(out.getvalue())
    assert data["site_url"] == "https://archive.example" and data["site"] == "archive.example"
    assert data["posts"][0]["url"] == "https://archive.example" + post.get_absolute_url()
    out = io.StringIO()
    call_command("export_archive", format="wxr", stdout=out, stderr=io.StringIO())
    assert "<link>https://archive.example</link>" in out.getvalue()


@pytest.mark.django_db
def test_emails_use_it_when_set(settings, client, post, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://archive.example"
    settings.SITE_URL_FROM_ENVIRONMENT = True
    parent = subscriber(post)
    known(post)
    with django_capture_on_commit_callbacks(execute=True):
        post_reply(client, post, parent=parent.pk, body="I agree with Ada.")
    reply = Comment.objects.get(body="I agree with Ada.")
    (message,) = mail.outbox
    assert f"https://archive.example/comments/{reply.pk}/" in message.body
    assert "testserver" not in message.body
    assert message.extra_headers["List-Unsubscribe"].startswith(
        "<https://archive.example/comments/unsubscribe/"
    )
