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
