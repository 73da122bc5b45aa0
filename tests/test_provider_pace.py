"""The pace of calls to a provider that limits us (GOV.UK Notify: 3,000 requests a
minute per key): one schedule shared by every worker process through Redis, slots
one interval apart, no burst after a quiet spell, a schedule per provider, codes
ahead of updates, and calls that go on unpaced while Redis is away."""

import os
import subprocess
import sys
import time

import pytest
from django.core.cache import caches
from django.test import override_settings

from notifications.constants import MessageKind
from notifications.policy import (
    PACE_MAX_WAIT_SECONDS,
    provider_pace,
    provider_slot,
)
from trackmycrime.rate_limits import Pace, pace_reserve
from trackmycrime.testing import ROOT, redis_url

LOCAL_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "pace-tests",
    }
}
# 61 a minute: slots about a second apart, long enough for the assertions below to
# hold on a busy machine.
SLOW = 61


def _redis_time() -> float:
    client = caches["default"]._cache.get_client(write=True)  # type: ignore[attr-defined]
    seconds, micros = client.time()
    return seconds + micros / 1_000_000


def _schedule_end(pace: Pace) -> float:
    backend = caches["default"]
    client = backend._cache.get_client()  # type: ignore[attr-defined]
    raw = client.get(backend.make_and_validate_key(pace.key()))
    return float(raw)


def test_the_pace_leaves_headroom_under_notifys_limit(settings):
    pace = provider_pace("notify")
    assert pace is not None
    assert (pace.requests, pace.seconds) == (3000, 60)
    # One call, and a second's worth of calls, below the limit in any minute.
    assert pace.seconds / pace.interval == 3000 - 1 - 2 * 25
    assert provider_pace("file") is None
    assert provider_pace("smtp") is None


@pytest.mark.redis
def test_every_process_reserves_from_one_schedule():
    pace = Pace(name="shared-test", requests=SLOW, seconds=60)
    child = (
        "import django, sys; django.setup();"
        "from trackmycrime.rate_limits import Pace, pace_reserve;"
        f"pace = Pace(name='shared-test', requests={SLOW}, seconds=60);"
        "slots = [pace_reserve(pace, max_wait=120) for _ in range(10)];"
        "print(sum(slot.reserved for slot in slots))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "trackmycrime.settings",
        "DEBUG": "true",
        "REDIS_URL": redis_url(),
    }
    started = _redis_time()
    processes = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", child],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    reserved = [
        int(process.communicate(timeout=60)[0].strip()) for process in processes
    ]
    finished = _redis_time()

    assert reserved == [10, 10, 10]
    # Thirty slots, one after another, on one schedule: it ends thirty intervals
    # after the first of them, which was taken between the start and the end.
    end = _schedule_end(pace)
    assert started + 30 * pace.interval <= end <= finished + 30 * pace.interval


def _slots_are_an_interval_apart_and_a_quiet_spell_banks_no_burst(name: str):
    pace = Pace(name=name, requests=6000, seconds=60)
    waits = [pace_reserve(pace, max_wait=60).wait for _ in range(5)]
    assert waits[0] == pytest.approx(0, abs=0.05)
    for earlier, later in zip(waits, waits[1:], strict=False):
        assert later - earlier == pytest.approx(pace.interval, abs=0.01)

    # Once the schedule has run out, the next call goes at once, and the one after
    # it an interval later: unused time is not saved up for a burst.
    time.sleep(5 * pace.interval + 0.05)
    assert pace_reserve(pace, max_wait=60).wait == pytest.approx(0, abs=0.01)
    assert pace_reserve(pace, max_wait=60).wait == pytest.approx(
        pace.interval, abs=0.01
    )


@pytest.mark.redis
def test_slots_on_redis_are_an_interval_apart_and_refill_without_a_burst():
    _slots_are_an_interval_apart_and_a_quiet_spell_banks_no_burst("refill-redis")


@override_settings(CACHES=LOCAL_CACHE)
def test_slots_in_one_process_are_an_interval_apart_and_refill_without_a_burst():
    _slots_are_an_interval_apart_and_a_quiet_spell_banks_no_burst("refill-local")


@override_settings(CACHES=LOCAL_CACHE)
def test_a_slot_further_off_than_the_caller_waits_is_not_reserved():
    pace = Pace(name="too-far", requests=SLOW, seconds=60)
    for _ in range(3):
        assert pace_reserve(pace, max_wait=10).reserved

    slot = pace_reserve(pace, max_wait=1)

    assert not slot.reserved
    assert slot.wait == pytest.approx(3 * pace.interval, abs=0.05)
    # Nothing was taken: the next caller who waits long enough gets that slot.
    assert pace_reserve(pace, max_wait=10).wait == pytest.approx(slot.wait, abs=0.05)


@pytest.mark.redis
def test_each_provider_has_a_schedule_of_its_own():
    notify = Pace(name="notify-test", requests=SLOW, seconds=60)
    other = Pace(name="other-test", requests=SLOW, seconds=60)
    for _ in range(5):
        pace_reserve(notify, max_wait=60)

    assert pace_reserve(other, max_wait=60).wait == pytest.approx(0, abs=0.05)
    assert pace_reserve(notify, max_wait=60).wait == pytest.approx(
        5 * notify.interval, abs=0.1
    )


@pytest.mark.redis
def test_a_code_goes_ahead_of_updates_already_waiting(settings):
    settings.NOTIFY_RATE_LIMIT = 600
    pace = provider_pace("notify")
    assert pace is not None and pace.headroom == 5
    # Updates waiting for slots up to almost a second ahead.
    updates = 0
    while provider_slot("notify", MessageKind.UPDATE).reserved:
        updates += 1
    assert updates * pace.interval >= PACE_MAX_WAIT_SECONDS

    code = provider_slot("notify", MessageKind.SIGN_IN_CODE)

    assert code.reserved
    # It goes a headroom's worth of calls ahead of the end of the schedule.
    assert code.wait == pytest.approx(
        (updates - pace.headroom) * pace.interval, abs=0.1
    )
    # and still moves the end on, so the limit's count is kept.
    assert provider_slot("notify", MessageKind.UPDATE).wait == pytest.approx(
        (updates + 1) * pace.interval, abs=0.1
    )


def test_a_provider_without_a_limit_is_never_paced():
    for _ in range(100):
        slot = provider_slot("file", MessageKind.UPDATE)
        assert (slot.reserved, slot.wait) == (True, 0.0)


@pytest.mark.redis
def test_while_redis_is_away_calls_go_unpaced_and_it_is_logged(caplog):
    closed = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    pace = Pace(name="away", requests=SLOW, seconds=60)
    with override_settings(CACHES=closed):
        slots = [pace_reserve(pace, max_wait=1) for _ in range(3)]

    assert [(slot.reserved, slot.wait) for slot in slots] == [(True, 0.0)] * 3
    assert "Pace of calls to away not kept" in caplog.text
