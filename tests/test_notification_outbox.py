"""The outbox: a change victims can see writes their messages in its own transaction,
and they are sent once it commits (in-process here, as `make run` does)."""

import datetime
import json
import zoneinfo

import pytest
from django.db import IntegrityError, transaction
from kombu.exceptions import OperationalError

from audit.constants import AuditAction
from audit.models import AuditEvent
from cases.constants import Stage
from cases.services import case_add_update, case_change_stage
from notifications.constants import NotificationStatus
from notifications.models import Notification
from notifications.services import (
    notification_send,
    notifications_enqueue,
    notifications_sweep,
)
from tests.factories import CaseVictimFactory
from victims.constants import Channel, ContactPreference
from victims.models import CaseVictim

pytestmark = pytest.mark.usefixtures("celery_eager")

LONDON = zoneinfo.ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def daytime(time_machine):
    """Outside quiet hours, whenever the suite runs."""
    time_machine.move_to(datetime.datetime(2026, 11, 24, 11, 0, tzinfo=LONDON))


def _victim(case, preference, **fields):
    return CaseVictimFactory(
        case=case, victim__contact_preference=preference, **fields
    ).victim


def _outbox(outbox_dir) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(outbox_dir.glob("*.json"))]


def test_a_stage_change_writes_one_message_per_victim_per_safe_channel(case, officer):
    both = _victim(case, ContactPreference.EMAIL_AND_SMS)
    email_only = _victim(case, ContactPreference.EMAIL)
    sms_only = _victim(case, ContactPreference.SMS)
    _victim(case, ContactPreference.NONE)

    entry = case_change_stage(case=case, stage=Stage.UNDER_INVESTIGATION, actor=officer)

    rows = {(n.victim_id, n.channel) for n in Notification.objects.filter(entry=entry)}
    assert rows == {
        (both.pk, Channel.EMAIL),
        (both.pk, Channel.SMS),
        (email_only.pk, Channel.EMAIL),
        (sms_only.pk, Channel.SMS),
    }


def test_no_contact_means_no_message_at_all(case, officer, outbox_dir):
    _victim(case, ContactPreference.NONE)
    case_change_stage(case=case, stage=Stage.UNDER_INVESTIGATION, actor=officer)
    assert not Notification.objects.exists()


def test_email_only_never_sends_a_text_message(
    case, officer, outbox_dir, django_capture_on_commit_callbacks
):
    _victim(case, ContactPreference.EMAIL)
    with django_capture_on_commit_callbacks(execute=True):
        case_change_stage(case=case, stage=Stage.UNDER_INVESTIGATION, actor=officer)
    assert [message["channel"] for message in _outbox(outbox_dir)] == ["email"]


def test_a_channel_without_an_address_is_not_used(case, officer):
    _victim(case, ContactPreference.EMAIL_AND_SMS, victim__mobile="")
    case_change_stage(case=case, stage=Stage.UNDER_INVESTIGATION, actor=officer)
    assert list(Notification.objects.values_list("channel", flat=True)) == ["email"]


def test_after_commit_the_message_is_in_the_file_outbox(
    case, officer, outbox_dir, django_capture_on_commit_callbacks
):
    victim = _victim(case, ContactPreference.EMAIL)
    with django_capture_on_commit_callbacks(execute=True):
        case_change_stage(case=case, stage=Stage.UNDER_INVESTIGATION, actor=officer)

    [message] = _outbox(outbox_dir)
    notification = Notification.objects.get()
    assert message["to"] == victim.email
    assert message["reference"] == notification.reference
    assert notification.status == NotificationStatus.SENT
    assert notification.provider == "file"
    assert notification.provider_id == message["provider_id"]
    assert notification.attempts == 1


def test_nothing_is_sent_before_the_change_commits(
    case, officer, outbox_dir, django_capture_on_commit_callbacks
):
    _victim(case, ContactPreference.EMAIL)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case_change_stage(case=case, stage=Stage.UNDER_INVESTIGATION, actor=officer)
    assert _outbox(outbox_dir) == []
    assert Notification.objects.get().status == NotificationStatus.PENDING
    # One handoff to the broker, after the commit (the portal cache's renewals of
    # the case's pages wait for the commit too).
    handoffs = [
        callback
        for callback in callbacks
        if getattr(callback, "func", None) is notifications_enqueue
    ]
    assert len(handoffs) == 1


def test_a_change_that_rolls_back_writes_and_sends_nothing(
    case, officer, outbox_dir, django_capture_on_commit_callbacks
):
    _victim(case, ContactPreference.EMAIL_AND_SMS)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        case_change_stage(case=case, stage=Stage.UNDER_INVESTIGATION, actor=officer)
        raise RuntimeError("something later in the same change failed")
    assert callbacks == []
    assert not Notification.objects.exists()
    assert _outbox(outbox_dir) == []


def test_an_update_hidden_from_victims_sends_nothing(case, officer):
    _victim(case, ContactPreference.EMAIL_AND_SMS)
    case_add_update(
        case=case, actor=officer, staff_note="Spoke to CPS", visible_to_victim=False
    )
    assert not Notification.objects.exists()


def test_a_visible_update_is_told_to_the_victims(case, officer):
    _victim(case, ContactPreference.EMAIL)
    entry = case_add_update(case=case, actor=officer, victim_text="We have CCTV.")
    assert Notification.objects.get().entry == entry


def test_each_message_sent_is_a_disclosure_with_a_masked_recipient_and_no_body(
    case, officer, outbox_dir, django_capture_on_commit_callbacks
):
    _victim(case, ContactPreference.EMAIL, victim__email="jane.doe@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        case_add_update(case=case, actor=officer, victim_text="We have CCTV.")

    notification = Notification.objects.get()
    disclosure = AuditEvent.objects.get(action=AuditAction.DISCLOSE)
    assert disclosure.object_type == "notification"
    assert disclosure.object_id == str(notification.pk)
    assert disclosure.case_id == case.pk
    assert disclosure.actor_kind == "system"
    assert disclosure.detail["channel"] == "email"
    assert disclosure.detail["to"] == "j***@e***.com"
    assert "jane" not in json.dumps(disclosure.detail)
    assert "CCTV" not in json.dumps(disclosure.detail)


def test_sending_a_row_again_sends_nothing_more(
    case, officer, outbox_dir, django_capture_on_commit_callbacks
):
    _victim(case, ContactPreference.EMAIL)
    with django_capture_on_commit_callbacks(execute=True):
        case_change_stage(case=case, stage=Stage.UNDER_INVESTIGATION, actor=officer)
    notification = Notification.objects.get()

    assert notification_send(notification_id=notification.pk) == "not pending"
    assert len(_outbox(outbox_dir)) == 1
    assert AuditEvent.objects.filter(action=AuditAction.DISCLOSE).count() == 1


def test_the_database_refuses_a_second_message_for_the_same_change(case, officer):
    _victim(case, ContactPreference.EMAIL)
    case_change_stage(case=case, stage=Stage.UNDER_INVESTIGATION, actor=officer)
    first = Notification.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(
            force_id=first.force_id,
            case_id=first.case_id,
            victim_id=first.victim_id,
            entry_id=first.entry_id,
            channel=first.channel,
        )


def test_a_channel_withdrawn_before_sending_is_not_used(
    case, officer, outbox_dir, django_capture_on_commit_callbacks
):
    victim = _victim(case, ContactPreference.EMAIL_AND_SMS)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case_change_stage(case=case, stage=Stage.UNDER_INVESTIGATION, actor=officer)
    victim.contact_preference = ContactPreference.NONE
    victim.save()
    for callback in callbacks:
        callback()

    assert _outbox(outbox_dir) == []
    assert set(Notification.objects.values_list("status", flat=True)) == {
        NotificationStatus.CANCELLED
    }


def test_a_victim_removed_from_the_case_before_sending_is_not_told(
    case, officer, outbox_dir, django_capture_on_commit_callbacks
):
    victim = _victim(case, ContactPreference.EMAIL)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case_change_stage(case=case, stage=Stage.UNDER_INVESTIGATION, actor=officer)
    CaseVictim.objects.filter(victim=victim).delete()
    for callback in callbacks:
        callback()

    assert _outbox(outbox_dir) == []
    assert Notification.objects.get().status == NotificationStatus.CANCELLED


def test_a_broker_down_at_commit_loses_nothing(
    case,
    officer,
    outbox_dir,
    settings,
    monkeypatch,
    django_capture_on_commit_callbacks,
    time_machine,
):
    from notifications.tasks import send_notification

    _victim(case, ContactPreference.EMAIL)

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379.")

    with monkeypatch.context() as patch:
        patch.setattr(send_notification, "apply_async", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            case_change_stage(case=case, stage=Stage.UNDER_INVESTIGATION, actor=officer)
    assert Notification.objects.get().status == NotificationStatus.PENDING
    assert _outbox(outbox_dir) == []

    assert notifications_sweep().requeued == 0  # its task may just be slow
    time_machine.shift(settings.NOTIFICATIONS_REQUEUE_AFTER_SECONDS + 1)
    assert notifications_sweep().requeued == 1
    assert len(_outbox(outbox_dir)) == 1
    assert Notification.objects.get().status == NotificationStatus.SENT


def test_a_stage_change_in_the_admin_puts_the_message_in_the_file_outbox(
    officer_client, case, outbox_dir, django_capture_on_commit_callbacks
):
    from tests.test_admin_case_changes import _case_form

    victim = _victim(case, ContactPreference.EMAIL)
    with django_capture_on_commit_callbacks(execute=True):
        response = officer_client.post(
            f"/admin/cases/case/{case.pk}/change/",
            _case_form(case, stage=Stage.SUSPECT_ARRESTED, stage_message="Arrested."),
        )
    assert response.status_code == 302
    [message] = _outbox(outbox_dir)
    assert message["to"] == victim.email
    assert "There is an update about your report" in message["body"]
