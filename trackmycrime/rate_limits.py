"""The one rate limiter: fixed windows counted in the shared cache (Redis in
production, so every web worker sees the same counts).

The first hit starts a window (`add` sets its expiry); `incr` is atomic on Redis and
locked in local memory; later hits never extend the window, so a cool-off ends when
its window does. Both the victims' sign-in limits and the API throttle count here.

While the cache is away (down, or not answering within REDIS_SOCKET_TIMEOUT_SECONDS),
each limit does what its `fails_open` says: count nothing and let the request through,
or let the cache's error reach the outage page (trackmycrime.outages), a calm 503.
README.md, "Failure modes", says which limit does which, and why.

Hand-written rather than the `limits` library: it is a dozen lines over the cache
the service already configures (its timeouts, its failure handling, and the tests'
clearing of it), where `limits` would bring a second Redis connection to look after.
"""

import logging
from dataclasses import dataclass

from django.core.cache import cache

from trackmycrime.outages import CACHE_ERRORS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateLimit:
    """At most `hits` of `counter` per `seconds`, counted for each `scope`
    identifier (e.g. per network address)."""

    counter: str
    scope: str
    hits: int
    seconds: int
    # While the cache is away: True lets requests through uncounted; False refuses
    # them with the outage page.
    fails_open: bool = False

    def key(self, identifier: str) -> str:
        return f"rate:{self.counter}:{self.scope}:{self.seconds}:{identifier}"


def window_count(key: str, seconds: int) -> int:
    """Count one hit in the window stored at `key`, starting it (for `seconds`) if
    there is none; return the hits so far, this one included."""
    cache.add(key, 0, timeout=seconds)
    try:
        return cache.incr(key)
    except ValueError:  # the window ended between add and incr
        cache.set(key, 1, timeout=seconds)
        return 1


def cache_away(error: Exception, *, skipped: str) -> None:
    """Log what a limit that fails open skipped because the cache is away."""
    logger.warning(
        "%s: the cache (Redis) did not answer (%s: %s); going on without it, as "
        "this limit fails open.",
        skipped,
        type(error).__name__,
        error,
    )


def _fail_open_or_raise(limits: tuple[RateLimit, ...], error: Exception) -> None:
    if not all(limit.fails_open for limit in limits):
        raise error
    counters = ", ".join(sorted({limit.counter for limit in limits}))
    cache_away(error, skipped=f"Rate limit {counters} not counted")


def rate_limits_hit(
    *, limits: tuple[RateLimit, ...], identifiers: dict[str, str]
) -> bool:
    """Count one hit against every limit; return True if any is now over. While the
    cache is away: False if every limit fails open, else the cache's error."""
    over = False
    try:
        for limit in limits:
            hits = window_count(limit.key(identifiers[limit.scope]), limit.seconds)
            over = over or hits > limit.hits
    except CACHE_ERRORS as error:
        _fail_open_or_raise(limits, error)
        return False
    return over


def rate_limits_reached(
    *, limits: tuple[RateLimit, ...], identifiers: dict[str, str]
) -> bool:
    """Return True if any limit is already used up, without counting a hit. While
    the cache is away: False if every limit fails open, else the cache's error."""
    keys = {limit.key(identifiers[limit.scope]): limit.hits for limit in limits}
    try:
        counts = cache.get_many(list(keys))
    except CACHE_ERRORS as error:
        _fail_open_or_raise(limits, error)
        return False
    return any(counts.get(key, 0) >= hits for key, hits in keys.items())


def rate_limits_reset(
    *, limits: tuple[RateLimit, ...], identifiers: dict[str, str], scope: str
) -> None:
    """End the current windows of the limits counted per `scope` (e.g. once someone
    has proved they are who the count was about). While the cache is away this is
    skipped, and logged: the windows end by themselves."""
    try:
        cache.delete_many(
            [limit.key(identifiers[scope]) for limit in limits if limit.scope == scope]
        )
    except CACHE_ERRORS as error:
        cache_away(error, skipped="Rate limits not reset")
