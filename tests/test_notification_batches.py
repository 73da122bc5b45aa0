"""A worker's task sends the due messages of others with its own, in one claim and
one record: fewer commits per message, and still each message once."""

import datetime
import zoneinfo

import pytest
from django.core.cache import cache

from audit.constants import AuditAction
from audit.models import AuditEvent
from cases.services import case_add_update
from notifications import services
from notifications.models import Notification
from notifications.policy import PAUSE_KEY
from notifications.providers import TransientProviderError
from notifications.services import notification_send, notifications_sweep
from tests.factories import CaseVictimFactory
from tests.test_notification_sending import LookingUpProvider, ScriptedProvider
from victims.constants import ContactPreference

pytestmark = pytest.mark.usefixtures("celery_eager")

MORNING = datetime.datetime(
    2026, 11, 24, 11, 0, tzinfo=zoneinfo.ZoneInfo("Europe/London")
)


@pytest.fixture
def provider(monkeypatch, time_machine):
    time_machine.move_to(MORNING, tick=False)
    cache.delete(PAUSE_KEY.format(provider=ScriptedProvider.name))

    def use(provider):
        monkeypatch.setattr(services, "provider_for", lambda channel: provider)
        return provider

    return use


def _messages(case, officer, count: int) -> list[Notification]:
    for _ in range(count):
        CaseVictimFactory(case=case, victim__contact_preference=ContactPreference.EMAIL)
    case_add_update(case=case, actor=officer, victim_text="We have CCTV.")
    return list(Notification.objects.order_by("pk"))


def _statuses() -> list[str]:
    return list(Notification.objects.order_by("pk").values_list("status", flat=True))


def test_one_task_sends_the_other_due_messages_and_their_tasks_find_them_sent(
    case, officer, provider, settings
):
    settings.NOTIFICATIONS_SEND_BATCH = 3
    scripted = provider(ScriptedProvider())
    rows = _messages(case, officer, 4)

    assert notification_send(notification_id=rows[1].pk) == "sent"
    assert _statuses() == ["sent", "sent", "sent", "pending"]
    assert notification_send(notification_id=rows[0].pk) == "not pending"
    assert notification_send(notification_id=rows[3].pk) == "sent"

    assert sorted(m.reference for m in scripted.sent) == sorted(
        row.reference for row in rows
    )
    disclosures = AuditEvent.objects.filter(action=AuditAction.DISCLOSE)
    assert sorted(int(e.object_id) for e in disclosures) == [r.pk for r in rows]
    assert {e.detail["to"] for e in disclosures} != {""}


def test_a_message_no_longer_allowed_is_cancelled_not_sent_with_the_batch(
    case, officer, provider
):
    scripted = provider(ScriptedProvider())
    first, second = _messages(case, officer, 2)
    second.victim.contact_preference = ContactPreference.NONE
    second.victim.save()

    assert notification_send(notification_id=first.pk) == "sent"
    assert _statuses() == ["sent", "cancelled"]
    assert [m.reference for m in scripted.sent] == [first.reference]


def test_a_failing_provider_gets_the_rest_of_the_batch_later_untried(
    case, officer, provider
):
    scripted = provider(ScriptedProvider(TransientProviderError("500")))
    first, second, third = _messages(case, officer, 3)

    assert notification_send(notification_id=second.pk) == "retrying"
    rows = list(Notification.objects.order_by("pk"))
    assert [row.status for row in rows] == ["pending"] * 3
    tried = [row for row in rows if row.attempts]
    assert [row.pk for row in tried] == [second.pk]
    assert all(row.next_attempt_at > MORNING for row in rows)
    assert scripted.sent == []


def test_a_worker_stopped_mid_batch_leaves_no_message_sent_twice(
    case, officer, provider, settings, monkeypatch, time_machine
):
    scripted = provider(LookingUpProvider())
    rows = _messages(case, officer, 3)
    with monkeypatch.context() as patch:

        def crash(*args, **kwargs):
            raise SystemExit("worker killed before the commit")

        patch.setattr(services, "_record_sent", crash)
        with pytest.raises(SystemExit):
            notification_send(notification_id=rows[0].pk)
    assert _statuses() == ["sending"] * 3
    assert len(scripted.sent) == 3

    time_machine.shift(settings.NOTIFICATIONS_SENDING_TIMEOUT_SECONDS + 1)
    assert notifications_sweep().recovered == 3

    assert _statuses() == ["sent"] * 3
    assert len(scripted.sent) == 3
    assert AuditEvent.objects.filter(action=AuditAction.DISCLOSE).count() == 3


def test_a_failing_email_provider_does_not_hold_back_text_messages(
    case, officer, provider, monkeypatch
):
    provider(ScriptedProvider())  # moves the clock to the morning
    email = ScriptedProvider(TransientProviderError("500"))
    email.name = "email-provider"
    sms = ScriptedProvider()
    sms.name = "sms-provider"
    monkeypatch.setattr(
        services, "provider_for", lambda channel: email if channel == "email" else sms
    )
    for _ in range(2):
        CaseVictimFactory(
            case=case, victim__contact_preference=ContactPreference.EMAIL_AND_SMS
        )
    case_add_update(case=case, actor=officer, victim_text="We have CCTV.")
    first = Notification.objects.filter(channel="email").order_by("pk").first()

    assert notification_send(notification_id=first.pk) == "retrying"
    rows = Notification.objects.order_by("pk")
    assert {row.status for row in rows if row.channel == "sms"} == {"sent"}
    assert {row.status for row in rows if row.channel == "email"} == {"pending"}
    assert [row.attempts for row in rows if row.channel == "email"] == [1, 0]
    assert len(sms.sent) == 2
