"""Django's Redis cache, with one Redis client per connection pool, and one time-out
per outage rather than one per command.

Django makes a new `redis.Redis` for every cache command; setting one up (its table
of response callbacks) costs more than the command itself on the signed-in victim's
fast path (victims/portal_cache.py). A client is safe to share between threads, and
its pool makes new connections after a fork, so one per pool does the same work.

Everything the service keeps in Redis outside Celery goes through this cache: the
rate limits, the portal's cache, the metrics counters and the providers' pace. When
a command times out or cannot connect, this process treats Redis as away for
`AWAY_SECONDS`: the next commands fail at once with `RedisAway` (a time-out, which
every caller already handles as its failure mode says), so a request touching Redis
several times waits for one time-out, not one per command (README, "Failure modes").
"""

import time

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

AWAY_SECONDS = 5.0
_away_until = 0.0


class RedisAway(redis.exceptions.TimeoutError):
    """Redis failed moments ago in this process; not asked again yet."""


def redis_away() -> bool:
    return time.monotonic() < _away_until


def redis_failed() -> None:
    global _away_until
    _away_until = time.monotonic() + AWAY_SECONDS


def redis_back() -> None:
    """Forget an outage (tests that restart Redis)."""
    global _away_until
    _away_until = 0.0


_FAILURES = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class _Watched:
    """Sends (single commands and pipelines alike) refuse while Redis is away, and
    a failed send or read marks it away."""

    def send_packed_command(self, command, check_health=True):
        if redis_away():
            raise RedisAway("Redis was unavailable moments ago")
        try:
            return super().send_packed_command(command, check_health)
        except RedisAway:
            raise
        except _FAILURES:
            redis_failed()
            raise

    def read_response(self, *args, **kwargs):
        try:
            return super().read_response(*args, **kwargs)
        except _FAILURES:
            redis_failed()
            raise


class _WatchedConnection(_Watched, redis.Connection):
    pass


class _WatchedSSLConnection(_Watched, redis.SSLConnection):
    pass


class _SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict = {}

    def _get_connection_pool(self, write):
        index = self._get_connection_pool_index(write)
        if index not in self._pools:
            url = self._servers[index]
            options = dict(self._pool_options)
            if url.startswith("rediss://"):
                options["connection_class"] = _WatchedSSLConnection
            elif url.startswith("redis://"):
                options["connection_class"] = _WatchedConnection
            self._pools[index] = self._pool_class.from_url(url, **options)
        return self._pools[index]

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class SharedClientRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _SharedClientRedisCacheClient
