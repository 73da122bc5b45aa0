"""Helpers shared by the tests.

A test that needs something beyond the embedded default says so with one marker
(`postgres`, `redis`, `chromium`, `wrk`); `tests/conftest.py` checks each marker
before the test runs. On a developer's machine a missing service skips the test with
its reason; with REQUIRE_SERVICES=1 (CI) it fails instead.
"""

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


def services_required() -> bool:
    return os.environ.get("REQUIRE_SERVICES", "") in {"1", "true", "yes"}


def skip_or_fail(reason: str) -> None:
    if services_required():
        pytest.fail(f"REQUIRE_SERVICES is set but {reason}")
    pytest.skip(reason)


def require_postgres() -> None:
    if connection.vendor != "postgresql":
        skip_or_fail(
            "this test needs PostgreSQL: set DATABASE_URL to a postgres:// URL"
        )


def redis_url() -> str:
    """Return REDIS_URL; only for tests marked `redis`, which checked it answers."""
    return os.environ["REDIS_URL"]


def require_redis() -> None:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        skip_or_fail("this test needs Redis: set REDIS_URL")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        skip_or_fail(f"Redis at REDIS_URL does not answer: {error}")


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        skip_or_fail(
            f"this test needs Debian's chromium at {CHROMIUM}: apt-get install chromium"
        )
    if not (ROOT / "static" / "build" / "application.css").exists():
        skip_or_fail("this test needs the front end: run `make frontend`")


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        skip_or_fail("this test needs wrk (apt-get install wrk)")


# What each marker needs, checked in this one place (tests/conftest.py).
SERVICE_MARKERS: dict[str, Callable[[], None]] = {
    "postgres": require_postgres,
    "redis": require_redis,
    "chromium": require_chromium,
    "wrk": require_wrk,
}
