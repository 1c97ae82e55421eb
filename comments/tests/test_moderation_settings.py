"""Moderation settings: WordPress's defaults, and bad values stop the site at start-up."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parent.parent.parent
MODERATION_VARIABLES = ("COMMENTS_", "EMAIL_", "MODERATOR_EMAILS", "DEFAULT_FROM_EMAIL")


def check(**variables):
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(MODERATION_VARIABLES)
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=environment | {"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"} | variables,
        capture_output=True,
        text=True,
    )


def test_defaults_are_wordpresss():
    assert settings.COMMENTS_REQUIRE_PREVIOUSLY_APPROVED is True
    assert settings.COMMENTS_MANUAL_APPROVAL is False
    assert settings.COMMENTS_MAX_LINKS == 2
    assert settings.COMMENTS_CLOSE_OLD_POSTS is False
    assert (settings.COMMENTS_FLOOD_SECONDS, settings.COMMENTS_MAX_PER_HOUR) == (15, 10)
    assert (settings.COMMENTS_MIN_SUBMIT_SECONDS, settings.COMMENTS_FORM_MAX_AGE_SECONDS) == (3, 86400)


def test_the_defaults_start_and_mail_goes_to_the_console():
    result = check()
    assert result.returncode == 0, result.stderr
    code = (
        "from django.conf import settings as s; print(s.EMAIL_BACKEND, s.EMAIL_TIMEOUT, s.MODERATOR_EMAILS)"
    )
    shell = subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", code],
        cwd=BASE_DIR,
        env={k: v for k, v in os.environ.items() if not k.startswith(MODERATION_VARIABLES)},
        capture_output=True,
        text=True,
    )
    assert shell.stdout.split() == ["django.core.mail.backends.console.EmailBackend", "5", "[]"], shell.stderr


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"EMAIL_URL": "carrier-pigeon://loft"}, "Invalid email schema"),
        ({"MODERATOR_EMAILS": "mod@example.com,not-an-address"}, "'not-an-address' (in MODERATOR_EMAILS"),
        ({"COMMENTS_MAX_LINKS": "-1"}, "COMMENTS_MAX_LINKS must be 0 or more"),
        ({"COMMENTS_MAX_PER_HOUR": "ten"}, "ten"),
        ({"COMMENTS_REQUIRE_PREVIOUSLY_APPROVED": "perhaps"}, "must be on or off, not 'perhaps'"),
        ({"COMMENTS_CLOSE_AFTER_DAYS": "0"}, "COMMENTS_CLOSE_AFTER_DAYS must be at least 1"),
        ({"COMMENTS_FORM_MAX_AGE_SECONDS": "2"}, "must exceed COMMENTS_MIN_SUBMIT_SECONDS"),
        ({"COMMENTS_PENDING_DAYS": "0"}, "COMMENTS_PENDING_DAYS must be at least 1"),
        ({"EMAIL_TIMEOUT": "0"}, "EMAIL_TIMEOUT must be at least 1"),
    ],
)
def test_bad_values_fail_loudly(variables, message):
    result = check(**variables)
    assert result.returncode != 0
    assert message in result.stderr
