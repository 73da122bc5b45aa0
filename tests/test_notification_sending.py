"""Sending one outbox row: claiming it, retrying, giving up, and the sweep.

The provider here is scripted in the test process; tests/test_notification_workers.py
does the same against real Celery workers and a stand-in for GOV.UK Notify.
"""

import datetime
import zoneinfo

import pytest
from django.core.cache import cache

from audit.constants import AuditAction
from audit.models import AuditEvent
from cases.services import case_add_update
from notifications import services
from notifications.constants import FAILED_STATUSES, NotificationStatus
from notifications.models import Notification
from notifications.policy import PAUSE_KEY, quiet_hours_end, retry_delay
from notifications.providers import PermanentProviderError, TransientProviderError
from notifications.services import notification_send, notifications_sweep
from tests.factories import CaseVictimFactory
from victims.constants import ContactPreference

pytestmark = pytest.mark.usefixtures("celery_eager")

LONDON = zoneinfo.ZoneInfo("Europe/London")
MORNING = datetime.datetime(2026, 11, 24, 11, 0, tzinfo=LONDON)


class ScriptedProvider:
    """Answers each send with the next outcome: an exception, or success."""

    name = "scripted"

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.sent = []

    def send(self, message):
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if isinstance(outcome, Exception):
            raise outcome
        self.sent.append(message)
        return f"scripted-{len(self.sent)}"


class LookingUpProvider(ScriptedProvider):
    """A provider that can say whether a reference was already sent (as Notify)."""

    def find_sent(self, reference):
        return next(
            (
                f"scripted-{n}"
                for n, m in enumerate(self.sent, 1)
                if m.reference == reference
            ),
            None,
        )


@pytest.fixture
def provider(monkeypatch):
    cache.delete(PAUSE_KEY.format(provider=ScriptedProvider.name))

    def use(provider):
        monkeypatch.setattr(services, "provider_for", lambda channel: provider)
        return provider

    return use


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(MORNING, tick=False)
    return time_machine


def _pending(case, officer, preference=ContactPreference.EMAIL) -> Notification:
    CaseVictimFactory(case=case, victim__contact_preference=preference)
    case_add_update(case=case, actor=officer, victim_text="We have CCTV.")
    return Notification.objects.get()


def _refresh(notification: Notification) -> Notification:
    notification.refresh_from_db()
    return notification


def _retry_when_due(notification, clock) -> str:
    clock.move_to(_refresh(notification).next_attempt_at, tick=False)
    return notification_send(notification_id=notification.pk)


def test_a_transient_failure_is_tried_again_after_a_back_off(
    case, officer, provider, clock, settings
):
    provider(ScriptedProvider(TransientProviderError("Notify answered 500.")))
    notification = _pending(case, officer)

    assert notification_send(notification_id=notification.pk) == "retrying"

    notification = _refresh(notification)
    assert notification.status == NotificationStatus.PENDING
    assert notification.attempts == 1
    assert notification.last_error == "Notify answered 500."
    wait = (notification.next_attempt_at - MORNING).total_seconds()
    base = settings.NOTIFICATIONS_RETRY_BASE_SECONDS
    assert base / 2 <= wait <= base


def test_it_is_delivered_once_the_provider_recovers(case, officer, provider, clock):
    scripted = provider(
        ScriptedProvider(TransientProviderError("500"), TransientProviderError("500"))
    )
    notification = _pending(case, officer)

    assert notification_send(notification_id=notification.pk) == "retrying"
    assert notification_send(notification_id=notification.pk) == "not due"
    assert _retry_when_due(notification, clock) == "retrying"
    assert _retry_when_due(notification, clock) == "sent"

    notification = _refresh(notification)
    assert notification.status == NotificationStatus.SENT
    assert notification.attempts == 3
    assert notification.last_error == ""
    assert len(scripted.sent) == 1


def test_back_off_doubles_with_jitter_up_to_the_longest_wait(settings):
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 30
    settings.NOTIFICATIONS_RETRY_MAX_DELAY_SECONDS = 1800
    for attempt, backoff in [(1, 30), (2, 60), (3, 120), (6, 960), (7, 1800)]:
        delays = [retry_delay(attempt) for _ in range(200)]
        assert all(backoff / 2 <= delay <= backoff for delay in delays)
        assert len(set(delays)) > 100  # jittered, not in lock-step
    assert retry_delay(40) <= 1800


def test_back_off_never_comes_sooner_than_the_provider_asked(settings):
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 30
    assert all(retry_delay(1, retry_after=300) >= 300 for _ in range(100))


def test_after_the_retry_period_it_is_a_technical_failure_for_staff(
    case, officer, provider, clock, settings
):
    settings.NOTIFICATIONS_RETRY_PERIOD_SECONDS = 10 * 60
    provider(ScriptedProvider(*[TransientProviderError("timeout")] * 50))
    notification = _pending(case, officer)

    outcomes = [notification_send(notification_id=notification.pk)]
    while outcomes[-1] == "retrying":
        outcomes.append(_retry_when_due(notification, clock))

    notification = _refresh(notification)
    assert outcomes[-1] == "failed"
    assert notification.status == NotificationStatus.TECHNICAL_FAILURE
    assert notification.is_open_failure
    assert 3 <= notification.attempts <= 10
    assert notification.finished_at - notification.first_attempted_at <= (
        datetime.timedelta(minutes=10)
    )
    assert case.notifications.filter(status__in=FAILED_STATUSES).exists()


def test_a_permanent_failure_is_marked_at_once(case, officer, provider, clock):
    provider(ScriptedProvider(PermanentProviderError("Not a valid email address")))
    notification = _pending(case, officer)

    assert notification_send(notification_id=notification.pk) == "failed"

    notification = _refresh(notification)
    assert notification.status == NotificationStatus.PERMANENT_FAILURE
    assert notification.attempts == 1
    assert notification.is_open_failure
    assert not AuditEvent.objects.filter(action=AuditAction.DISCLOSE).exists()


def test_a_rate_limit_holds_every_message_to_that_provider(
    case, officer, provider, clock
):
    scripted = provider(ScriptedProvider(TransientProviderError("429", retry_after=60)))
    for _ in range(3):
        CaseVictimFactory(case=case, victim__contact_preference=ContactPreference.EMAIL)
    case_add_update(case=case, actor=officer, victim_text="We have CCTV.")
    first, second, third = Notification.objects.order_by("pk")

    # The first task claims all three; the 429 puts the two not yet tried back.
    assert notification_send(notification_id=first.pk) == "retrying"
    for held in (second, third):
        held = _refresh(held)
        assert held.status == NotificationStatus.PENDING
        assert held.attempts == 0
        assert held.next_attempt_at >= MORNING + datetime.timedelta(seconds=60)
    assert notification_send(notification_id=second.pk) == "not due"
    # A message written during the pause (to a victim with none waiting, so not
    # told with another) waits for it too.
    newcomer = CaseVictimFactory(
        case=case, victim__contact_preference=ContactPreference.EMAIL
    ).victim
    case_add_update(case=case, actor=officer, victim_text="We have more CCTV.")
    later = Notification.objects.get(victim=newcomer, status=NotificationStatus.PENDING)
    assert notification_send(notification_id=later.pk) == "provider paused"
    assert _refresh(later).attempts == 0
    assert scripted.sent == []

    clock.move_to(MORNING + datetime.timedelta(seconds=400), tick=False)
    assert notification_send(notification_id=first.pk) == "sent"
    assert Notification.objects.filter(status=NotificationStatus.SENT).count() == 4
    assert len(scripted.sent) == 4


def test_a_worker_given_up_on_cannot_overwrite_the_attempt_after_it(
    case, officer, provider, clock
):
    notification = _pending(case, officer)

    class OvertakenProvider(ScriptedProvider):
        def send(self, message):
            # Meanwhile the sweep gave up on this attempt and another worker began.
            Notification.objects.filter(pk=notification.pk).update(attempts=2)
            return super().send(message)

    provider(OvertakenProvider())
    notification_send(notification_id=notification.pk)

    notification = _refresh(notification)
    assert notification.status == NotificationStatus.SENDING
    assert notification.attempts == 2
    # The message did leave, so the disclosure is recorded all the same.
    assert AuditEvent.objects.filter(action=AuditAction.DISCLOSE).count() == 1


def _crash_after_the_provider_accepts(monkeypatch):
    def crash(*args, **kwargs):
        raise SystemExit("worker killed before the commit")

    monkeypatch.setattr(services, "_record_sent", crash)


def test_the_sweep_sends_again_a_message_stuck_mid_send(
    case, officer, provider, clock, settings, monkeypatch
):
    scripted = provider(ScriptedProvider())
    notification = _pending(case, officer)
    with monkeypatch.context() as patch:
        _crash_after_the_provider_accepts(patch)
        with pytest.raises(SystemExit):
            notification_send(notification_id=notification.pk)
    assert _refresh(notification).status == NotificationStatus.SENDING

    assert notifications_sweep().recovered == 0  # it may only be slow
    clock.shift(settings.NOTIFICATIONS_SENDING_TIMEOUT_SECONDS + 1)
    result = notifications_sweep()

    assert result.recovered == 1
    notification = _refresh(notification)
    assert notification.status == NotificationStatus.SENT
    assert notification.attempts == 2
    # A provider that cannot be asked sends it twice: the documented window.
    assert len(scripted.sent) == 2


def test_a_provider_that_can_be_asked_is_not_sent_the_same_message_twice(
    case, officer, provider, clock, settings, monkeypatch
):
    scripted = provider(LookingUpProvider())
    notification = _pending(case, officer)
    with monkeypatch.context() as patch:
        _crash_after_the_provider_accepts(patch)
        with pytest.raises(SystemExit):
            notification_send(notification_id=notification.pk)

    clock.shift(settings.NOTIFICATIONS_SENDING_TIMEOUT_SECONDS + 1)
    notifications_sweep()

    notification = _refresh(notification)
    assert notification.status == NotificationStatus.SENT
    assert notification.provider_id == "scripted-1"
    assert len(scripted.sent) == 1
    assert AuditEvent.objects.filter(action=AuditAction.DISCLOSE).count() == 1


def test_a_message_stuck_past_the_retry_period_is_a_technical_failure(
    case, officer, provider, clock, settings, monkeypatch
):
    provider(ScriptedProvider())
    notification = _pending(case, officer)
    with monkeypatch.context() as patch:
        _crash_after_the_provider_accepts(patch)
        with pytest.raises(SystemExit):
            notification_send(notification_id=notification.pk)

    clock.shift(settings.NOTIFICATIONS_RETRY_PERIOD_SECONDS + 1)
    assert notifications_sweep().given_up == 1
    notification = _refresh(notification)
    assert notification.status == NotificationStatus.TECHNICAL_FAILURE
    assert "may not have been sent" in notification.last_error


def test_the_sweep_leaves_a_message_to_its_task_until_that_is_overdue(
    case, officer, provider, clock, settings
):
    scripted = provider(ScriptedProvider())
    _pending(case, officer)

    assert notifications_sweep().requeued == 0
    clock.shift(settings.NOTIFICATIONS_REQUEUE_AFTER_SECONDS + 1)
    assert notifications_sweep().requeued == 1
    assert len(scripted.sent) == 1
    assert notifications_sweep().requeued == 0


@pytest.mark.parametrize(
    ("local_time", "held_until"),
    [
        ((2026, 11, 24, 20, 59), None),
        ((2026, 11, 24, 21, 0), (2026, 11, 25, 8, 0)),
        ((2026, 11, 24, 23, 30), (2026, 11, 25, 8, 0)),
        ((2026, 11, 25, 3, 0), (2026, 11, 25, 8, 0)),
        ((2026, 11, 25, 8, 0), None),
        # British Summer Time: 21:30 in London is 20:30 UTC.
        ((2026, 7, 1, 21, 30), (2026, 7, 2, 8, 0)),
        ((2026, 7, 1, 20, 30), None),
        # The night the clocks go back is an hour longer, and still ends at 08:00.
        ((2026, 10, 24, 22, 0), (2026, 10, 25, 8, 0)),
    ],
)
def test_quiet_hours_are_21_to_8_in_london(local_time, held_until):
    moment = datetime.datetime(*local_time, tzinfo=LONDON)
    expected = datetime.datetime(*held_until, tzinfo=LONDON) if held_until else None
    assert quiet_hours_end(moment.astimezone(datetime.UTC)) == expected


def test_quiet_hours_can_be_turned_off(settings):
    settings.NOTIFICATIONS_QUIET_HOURS = None
    assert (
        quiet_hours_end(datetime.datetime(2026, 11, 24, 23, 0, tzinfo=LONDON)) is None
    )


def test_a_text_message_written_at_night_waits_for_the_morning(
    case, officer, provider, clock, settings
):
    scripted = provider(ScriptedProvider())
    clock.move_to(datetime.datetime(2026, 11, 24, 22, 30, tzinfo=LONDON), tick=False)
    CaseVictimFactory(
        case=case, victim__contact_preference=ContactPreference.EMAIL_AND_SMS
    )
    case_add_update(case=case, actor=officer, victim_text="We have CCTV.")
    email = Notification.objects.get(channel="email")
    sms = Notification.objects.get(channel="sms")

    assert notification_send(notification_id=email.pk) == "sent"
    assert notification_send(notification_id=sms.pk) == "not due"
    assert sms.next_attempt_at == datetime.datetime(2026, 11, 25, 8, 0, tzinfo=LONDON)

    clock.move_to(datetime.datetime(2026, 11, 25, 7, 59, tzinfo=LONDON), tick=False)
    notifications_sweep()
    assert _refresh(sms).status == NotificationStatus.PENDING
    clock.move_to(
        sms.next_attempt_at
        + datetime.timedelta(seconds=settings.NOTIFICATIONS_REQUEUE_AFTER_SECONDS),
        tick=False,
    )
    notifications_sweep()
    assert _refresh(sms).status == NotificationStatus.SENT
    assert [m.channel for m in scripted.sent] == ["email", "sms"]


def test_a_text_message_retried_into_the_night_is_held_until_morning(
    case, officer, provider, clock
):
    provider(ScriptedProvider(TransientProviderError("500")))
    clock.move_to(
        datetime.datetime(2026, 11, 24, 20, 59, 50, tzinfo=LONDON), tick=False
    )
    sms = _pending(case, officer, preference=ContactPreference.SMS)

    assert notification_send(notification_id=sms.pk) == "retrying"
    assert _retry_when_due(sms, clock) == "held for quiet hours"
    sms = _refresh(sms)
    assert sms.status == NotificationStatus.PENDING
    assert sms.next_attempt_at == datetime.datetime(2026, 11, 25, 8, 0, tzinfo=LONDON)
