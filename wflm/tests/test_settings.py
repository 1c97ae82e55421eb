"""Configuration: production checks pass, bad values fail at start-up."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent

PRODUCTION = {
    "SECRET_KEY": "a-long-random-production-secret-" + "x" * 40,
    "DEBUG": "off",
    "ALLOWED_HOSTS": "wflm.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://wflm.example.org",
    "HTTPS": "on",
    "DATABASE_URL": "postgres://wflm@db.example.org:5432/wflm",
}


def manage(*args, **env):
    environment = {key: value for key, value in os.environ.items() if key not in PRODUCTION} | env
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=environment, capture_output=True, text=True
    )


def test_check_deploy_with_production_settings_has_no_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_bad_time_zone_fails_loudly():
    result = manage("check", **PRODUCTION, TIME_ZONE="Mars/Olympus_Mons")
    assert result.returncode != 0
    assert "TIME_ZONE='Mars/Olympus_Mons' is not a known time zone" in result.stderr


def test_non_postgres_database_is_refused():
    result = manage("check", **PRODUCTION | {"DATABASE_URL": "sqlite:///db.sqlite3"})
    assert result.returncode != 0
    assert "DATABASE_URL must point at PostgreSQL" in result.stderr


def test_check_deploy_fails_over_https_without_a_secret_key():
    production = {key: value for key, value in PRODUCTION.items() if key != "SECRET_KEY"}
    result = manage("check", "--deploy", **production)
    assert result.returncode != 0
    assert "wflm.E001" in result.stderr and "SECRET_KEY is not set" in result.stderr


def test_https_does_not_imply_trusting_x_forwarded_for():
    script = "from django.conf import settings; print(settings.BEHIND_PROXY)"
    assert manage("shell", "--no-imports", "-c", script, **PRODUCTION).stdout.strip() == "False"
    assert (
        manage("shell", "--no-imports", "-c", script, **PRODUCTION, BEHIND_PROXY="on").stdout.strip()
        == "True"
    )


def test_admin_url_is_configurable():
    script = "from django.urls import reverse; print(reverse('admin:index'))"
    assert (
        manage("shell", "--no-imports", "-c", script, **PRODUCTION, ADMIN_URL="/desk-7f3a/").stdout.strip()
        == "/desk-7f3a/"
    )
    result = manage("check", **PRODUCTION, ADMIN_URL="/")
    assert result.returncode != 0 and "ADMIN_URL must be a path" in result.stderr
