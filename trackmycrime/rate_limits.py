"""The one rate limiter: fixed windows counted in the shared cache (Redis in
production, so every web worker sees the same counts), and the pace of calls to a
provider that limits us (`Pace`, below).

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
import math
import threading
import time
from dataclasses import dataclass

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

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


# Pacing: every process that calls a provider shares one schedule (GCRA, the
# "generic cell rate algorithm"): the store keeps the time at which the next call may
# start, and each caller reserves the next slot, one interval after the last, and
# waits for it. Fair (first come, first served), no burst, and no thundering herd
# when the slots run out: a caller that would wait too long reserves nothing.
# A caller that goes `ahead` (a sign-in code) takes a slot up to `jump` calls before
# the end of the schedule, and still moves the end on by one interval: every call
# starts at most `jump` intervals before the slot it is counted in, so at most
# 1 + jump calls more than one per interval start in any window.
# One Lua script, so that reading and moving the schedule is one atomic step on
# Redis, whose clock every worker then shares.
_PACE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval, max_wait, jump = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local next_slot = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now)
local wait = math.max(next_slot - jump, now) - now
if wait > max_wait then return {0, tostring(wait)} end
local ttl = math.ceil((next_slot - now + interval) * 1000) + 1000
redis.call('SET', KEYS[1], tostring(next_slot + interval), 'PX', ttl)
return {1, tostring(wait)}
"""
# A call may reach the provider a little after its slot (a busy machine, the
# network): the schedule leaves this much of the limit's rate unused, so that late
# calls bunched together still stay under it; and as much again for the calls that
# go ahead.
PACE_HEADROOM_SECONDS = 0.5


@dataclass(frozen=True)
class Pace:
    """At most `requests` calls to `name` in any `seconds`, shared by every worker.

    Calls are spaced `interval` apart, a little under the limit's own rate, so that
    with the calls that went ahead and those that arrived late there are still no
    more than `requests` in any window: the provider never has reason to refuse one
    (GOV.UK Notify answers 429).
    """

    name: str
    requests: int
    seconds: float

    @property
    def headroom(self) -> int:
        """Calls' worth of PACE_HEADROOM_SECONDS at the limit's rate."""
        return math.ceil(self.requests * PACE_HEADROOM_SECONDS / self.seconds)

    @property
    def interval(self) -> float:
        return self.seconds / max(1, self.requests - 1 - 2 * self.headroom)

    def key(self) -> str:
        return f"pace:{self.name}"


@dataclass(frozen=True)
class PaceSlot:
    """A reservation: start the call `wait` seconds from now. Not `reserved` when
    the wait would be longer than the caller allowed: try later, after `wait`."""

    reserved: bool
    wait: float


_local_lock = threading.Lock()
_local_slots: dict[str, float] = {}


def _reserve_here(pace: Pace, max_wait: float, jump: float) -> PaceSlot:
    """The same schedule in this process alone, for a cache that is this process's
    alone (local memory, without Redis): one worker, one schedule."""
    with _local_lock:
        now = time.monotonic()
        next_slot = max(_local_slots.get(pace.key(), 0.0), now)
        wait = max(next_slot - jump, now) - now
        if wait > max_wait:
            return PaceSlot(reserved=False, wait=wait)
        _local_slots[pace.key()] = next_slot + pace.interval
        return PaceSlot(reserved=True, wait=wait)


def pace_reserve(pace: Pace, *, max_wait: float, ahead: bool = False) -> PaceSlot:
    """Reserve the next slot for one call, if it starts within `max_wait` seconds;
    `ahead` goes before up to a headroom's worth of calls already waiting.

    Fails open: while the cache is away (a worker still busy with a batch when Redis
    went), the call goes at once, unpaced, and is logged. The broker is the same
    Redis, so no new task arrives meanwhile: the unpaced calls are those of batches
    under way, far fewer than a provider's limit, and a refusal (429) would only be
    retried later, never lost or sent twice. Failing closed would hold messages
    already claimed for no gain. README.md, "Failure modes", says the same.
    """
    jump = pace.headroom * pace.interval if ahead else 0.0
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return _reserve_here(pace, max_wait, jump)
    try:
        # The cache's own client: its time-outs, its connection pool, its key prefix.
        client = backend._cache.get_client(write=True)  # type: ignore[attr-defined]
        reserved, wait = client.eval(
            _PACE_SCRIPT,
            1,
            backend.make_and_validate_key(pace.key()),
            repr(pace.interval),
            repr(max_wait),
            repr(jump),
        )
    except CACHE_ERRORS as error:
        cache_away(error, skipped=f"Pace of calls to {pace.name} not kept")
        return PaceSlot(reserved=True, wait=0.0)
    return PaceSlot(reserved=bool(reserved), wait=float(wait))
