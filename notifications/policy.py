"""When a message may go: quiet hours, back-off between retries, a provider's
request to slow down, and the pace its limit allows. Plain rules, with no database
writes of their own."""

import datetime
import random
import zoneinfo

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from notifications.constants import TO_A_VICTIM_ON_A_CASE, MessageKind
from trackmycrime.rate_limits import Pace, PaceSlot, pace_reserve
from victims.constants import Channel

PAUSE_KEY = "notifications:pause:{provider}"


def quiet_hours_end(moment: datetime.datetime) -> datetime.datetime | None:
    """Return when the quiet hours around `moment` end, or None outside them."""
    if not settings.NOTIFICATIONS_QUIET_HOURS:
        return None
    start, end = settings.NOTIFICATIONS_QUIET_HOURS
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    local = moment.astimezone(zone)
    now = local.time()
    if start <= end:
        quiet, end_date = start <= now < end, local.date()
    elif now >= start:
        quiet, end_date = True, local.date() + datetime.timedelta(days=1)
    else:
        quiet, end_date = now < end, local.date()
    if not quiet:
        return None
    return datetime.datetime.combine(end_date, end, tzinfo=zone)


def held_for_quiet_hours(
    kind: str, channel: str, now: datetime.datetime
) -> datetime.datetime | None:
    """Return when a message may go if quiet hours hold it, else None. Updates, news
    of a message and invitations are not urgent, so a text message waits; a sign-in
    code is asked for by the victim there and then, so it never waits."""
    if kind in TO_A_VICTIM_ON_A_CASE and channel == Channel.SMS:
        return quiet_hours_end(now)
    return None


def earliest_send(kind: str, channel: str, now: datetime.datetime) -> datetime.datetime:
    return held_for_quiet_hours(kind, channel, now) or now


def retry_delay(attempt: int, retry_after: float | None = None) -> float:
    """Return seconds to wait after failed attempt number `attempt` (1, 2, ...):
    exponential back-off with jitter, never sooner than the provider asked."""
    base = settings.NOTIFICATIONS_RETRY_BASE_SECONDS
    ceiling = settings.NOTIFICATIONS_RETRY_MAX_DELAY_SECONDS
    backoff = min(ceiling, base * 2 ** min(attempt - 1, 30))
    # "Equal jitter": at least half the back-off, so that retries spread out but
    # still slow down.
    delay = random.uniform(backoff / 2, backoff)  # noqa: S311 (not a secret)
    if retry_after is not None:
        spread = random.uniform(0, min(retry_after, base))  # noqa: S311
        delay = max(delay, retry_after + spread)
    return delay


def provider_paused_until(provider_name: str) -> datetime.datetime | None:
    until = cache.get(PAUSE_KEY.format(provider=provider_name))
    if until is None:
        return None
    until = datetime.datetime.fromtimestamp(until, tz=datetime.UTC)
    return until if until > timezone.now() else None


def provider_pause(provider_name: str, seconds: float) -> None:
    """Hold every message to this provider: it asked us to slow down."""
    until = timezone.now() + datetime.timedelta(seconds=seconds)
    cache.set(
        PAUSE_KEY.format(provider=provider_name),
        until.timestamp(),
        timeout=int(seconds) + 1,
    )


# How long a call waits for its slot before its message is put back to wait instead
# (not counted as an attempt). Short for updates, so that the slots reserved ahead
# never reach far. A code waits longer rather than being put back, and goes ahead
# of the updates already waiting (trackmycrime.rate_limits): it finds its slot at
# once, or within half a second, whatever backlog of updates is going.
PACE_MAX_WAIT_SECONDS = 1.0
PACE_MAX_WAIT_CODE_SECONDS = 10.0


def provider_pace(provider_name: str) -> Pace | None:
    """The limit a provider sets on our calls, if it has one (GOV.UK Notify)."""
    if provider_name == "notify":
        return Pace(
            name=provider_name,
            requests=settings.NOTIFY_RATE_LIMIT,
            seconds=settings.NOTIFY_RATE_LIMIT_SECONDS,
        )
    return None


def provider_slot(provider_name: str, kind: str) -> PaceSlot:
    """Reserve the next slot for one call to this provider for a message of this
    kind; a provider without a limit has a slot at once."""
    pace = provider_pace(provider_name)
    if pace is None:
        return PaceSlot(reserved=True, wait=0.0)
    if kind == MessageKind.SIGN_IN_CODE:
        return pace_reserve(pace, max_wait=PACE_MAX_WAIT_CODE_SECONDS, ahead=True)
    return pace_reserve(pace, max_wait=PACE_MAX_WAIT_SECONDS)
