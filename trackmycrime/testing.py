"""Helpers shared by the tests.

A test that needs a real service (PostgreSQL, Redis) skips with a reason when it is
missing on a developer's machine; with REQUIRE_SERVICES=1 (CI) it fails instead.
"""

import os

import pytest
from django.db import connection


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


def require_redis() -> str:
    """Return the Redis URL after checking that Redis answers."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        skip_or_fail("this test needs Redis: set REDIS_URL")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        skip_or_fail(f"Redis at REDIS_URL does not answer: {error}")
    return url
