"""Settings: zero-config defaults, typed environment helpers, and a clean deploy check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from wennuan.settings import env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parents[3]


def test_defaults_are_shanghai_and_chinese():
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.LANGUAGE_CODE == "zh-hans"


def test_sqlite_runs_in_immediate_mode_with_a_busy_timeout():
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("this test run uses PostgreSQL; the SQLite options do not apply")
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5
    assert "journal_mode=WAL" in options["init_command"]


def test_env_helpers_read_and_reject(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "12")
    monkeypatch.setenv("X_LIST", "a.example, b.example")
    assert env_bool("X_BOOL", False) is True
    assert env_int("X_INT", 0) == 12
    assert env_list("X_LIST", []) == ["a.example", "b.example"]
    monkeypatch.setenv("X_BOOL", "maybe")
    with pytest.raises(ValueError, match="X_BOOL"):
        env_bool("X_BOOL", False)
    monkeypatch.setenv("X_INT", "twelve")
    with pytest.raises(ValueError, match="X_INT"):
        env_int("X_INT", 0)


def _deploy_check(extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(extra)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_values_pass_the_deploy_check():
    result = _deploy_check(
        {
            "DEBUG": "false",
            "SECRET_KEY": "x7!k2#production-secret-with-enough-length-and-variety-0123456789",
            "ALLOWED_HOSTS": "heat.example.cn",
            "SECURE_SSL_REDIRECT": "true",
            "SECURE_HSTS_SECONDS": "31536000",
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_defaults_fail_the_deploy_check():
    result = _deploy_check({"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stdout + result.stderr
