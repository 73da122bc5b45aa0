"""Production settings refuse insecure values and pass Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "k7#Qv9!pZ2@xL5$wN8^rT1&yU4*iO6(eA3)sD0-fG7=hJ2+kL9_mB5~cV8"


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    clean.update({"ALLOWED_HOSTS": "", "VAR_DIR": str(ROOT / "var"), **env})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_refuses_to_start_without_a_secret_key():
    result = _manage("check", DEBUG="false", ALLOWED_HOSTS="tmc.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("key", ["short", "django-insecure-" + "x" * 60, "a" * 60])
def test_it_refuses_a_weak_secret_key(key):
    result = _manage(
        "check", DEBUG="false", SECRET_KEY=key, ALLOWED_HOSTS="tmc.example.org"
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("hosts", ["", "*"])
def test_it_refuses_missing_or_wildcard_allowed_hosts(hosts):
    result = _manage("check", DEBUG="false", SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS=hosts)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must list" in result.stderr


def test_it_refuses_a_malformed_boolean():
    result = _manage("check", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_the_deployment_check_is_clean_with_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=GOOD_KEY,
        ALLOWED_HOSTS="tmc.example.org",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_it_refuses_to_run_without_redis():
    result = _manage(
        "check",
        DEBUG="false",
        SECRET_KEY=GOOD_KEY,
        ALLOWED_HOSTS="tmc.example.org",
        REDIS_URL="",
    )
    assert result.returncode != 0
    assert "REDIS_URL must be set when DEBUG is off" in result.stderr


def test_it_refuses_a_send_batch_that_could_outlast_the_sending_time_out():
    result = _manage(
        "check",
        DEBUG="true",
        NOTIFICATIONS_SEND_BATCH="40",
        NOTIFY_TIMEOUT_SECONDS="20",
        NOTIFICATIONS_SENDING_TIMEOUT_SECONDS="600",
    )
    assert result.returncode != 0
    assert "NOTIFICATIONS_SEND_BATCH times NOTIFY_TIMEOUT_SECONDS" in result.stderr
