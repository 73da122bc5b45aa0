"""GOV.UK Notify delivery receipts: only Notify (the bearer token) may post them."""

import json

import pytest
from django.utils import timezone

from audit.constants import AuditAction
from audit.models import AuditEvent
from cases.services import case_add_update
from notifications import views
from notifications.constants import NotificationStatus
from notifications.models import Notification
from tests.factories import CaseVictimFactory

URL = "/notifications/notify/receipts"
TOKEN = "a-long-callback-token-from-notify-settings"


@pytest.fixture(autouse=True)
def callback_token(settings):
    settings.NOTIFY_CALLBACK_TOKEN = TOKEN


@pytest.fixture
def sent(case, officer):
    CaseVictimFactory(case=case)
    case_add_update(case=case, actor=officer, victim_text="We have CCTV.")
    notification = Notification.objects.filter(channel="sms").get()
    Notification.objects.filter(pk=notification.pk).update(
        status=NotificationStatus.SENT,
        provider="notify",
        provider_id="740e5834-3a29-46b4-9a6f-16142fde533a",
        sent_at=timezone.now(),
        attempts=1,
    )
    notification.refresh_from_db()
    return notification


def _receipt(client, notification, status, token=TOKEN, **extra):
    body = {
        "id": notification.provider_id,
        "reference": notification.reference,
        "to": "+447400123456",
        "status": status,
        "notification_type": "sms",
        **extra,
    }
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.post(
        URL, json.dumps(body), content_type="application/json", headers=headers
    )


def test_a_delivered_receipt_marks_the_message_delivered(client, sent):
    response = _receipt(client, sent, "delivered")
    assert response.status_code == 200
    sent.refresh_from_db()
    assert sent.status == NotificationStatus.DELIVERED
    assert sent.finished_at is not None
    event = AuditEvent.objects.get(object_type="notification", object_id=str(sent.pk))
    assert event.action == AuditAction.CHANGE
    assert event.case_id == sent.case_id
    assert event.detail == {"status": "delivered", "source": "notify delivery receipt"}


@pytest.mark.parametrize(
    ("notify_status", "status"),
    [
        ("permanent-failure", NotificationStatus.PERMANENT_FAILURE),
        ("temporary-failure", NotificationStatus.TECHNICAL_FAILURE),
        ("technical-failure", NotificationStatus.TECHNICAL_FAILURE),
    ],
)
def test_a_failure_receipt_flags_the_message_for_staff(
    client, sent, notify_status, status
):
    _receipt(client, sent, notify_status)
    sent.refresh_from_db()
    assert sent.status == status
    assert sent.is_open_failure
    assert sent.last_error == notify_status


def test_a_receipt_without_the_token_changes_nothing(client, sent):
    response = _receipt(client, sent, "permanent-failure", token=None)
    assert response.status_code == 401
    sent.refresh_from_db()
    assert sent.status == NotificationStatus.SENT


def test_a_receipt_with_a_wrong_token_changes_nothing(client, sent):
    response = _receipt(client, sent, "permanent-failure", token=TOKEN[:-1] + "x")
    assert response.status_code == 401
    sent.refresh_from_db()
    assert sent.status == NotificationStatus.SENT


def test_the_token_is_compared_in_constant_time(client, sent, monkeypatch):
    compared = []

    def spy(supplied, expected):
        compared.append((supplied, expected))
        return supplied == expected

    monkeypatch.setattr(views.hmac, "compare_digest", spy)
    _receipt(client, sent, "delivered")
    assert compared == [(TOKEN.encode(), TOKEN.encode())]


def test_receipts_are_refused_when_no_token_is_configured(client, sent, settings):
    settings.NOTIFY_CALLBACK_TOKEN = ""
    response = _receipt(client, sent, "delivered", token="")
    assert response.status_code == 404
    sent.refresh_from_db()
    assert sent.status == NotificationStatus.SENT


def test_only_post_is_accepted(client):
    assert client.get(
        URL, headers={"Authorization": f"Bearer {TOKEN}"}
    ).status_code == (405)


def test_a_malformed_receipt_is_refused(client, sent):
    response = client.post(
        URL,
        "not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 400


def test_the_same_receipt_twice_is_harmless(client, sent):
    _receipt(client, sent, "delivered")
    response = _receipt(client, sent, "delivered")
    assert response.status_code == 200
    assert response.json() == {"outcome": "ignored"}
    receipts = AuditEvent.objects.filter(
        object_type="notification", object_id=str(sent.pk)
    )
    assert receipts.count() == 1


def test_a_late_failure_does_not_undo_a_delivery(client, sent):
    _receipt(client, sent, "delivered")
    _receipt(client, sent, "temporary-failure")
    sent.refresh_from_db()
    assert sent.status == NotificationStatus.DELIVERED


def test_a_receipt_for_a_message_we_do_not_track_is_acknowledged(client, sent):
    # Neither its id nor its reference is one of ours (a message sent from Notify's
    # own site, say). A receipt naming our reference is another send of our message.
    response = _receipt(
        client,
        sent,
        "delivered",
        id="00000000-0000-4000-8000-000000000000",
        reference="sent-from-notify-itself",
    )
    assert response.status_code == 200
    assert response.json() == {"outcome": "unknown"}


def test_a_receipt_that_overtakes_our_record_of_the_send_is_asked_again(client, sent):
    Notification.objects.filter(pk=sent.pk).update(
        status=NotificationStatus.SENDING, claimed_at=timezone.now(), provider_id=""
    )
    response = _receipt(client, sent, "delivered")
    assert response.status_code == 503
    sent.refresh_from_db()
    assert sent.status == NotificationStatus.SENDING


def test_a_receipt_for_a_second_message_of_ours_is_a_second_disclosure(client, sent):
    # Notify accepted a request of ours that timed out, and the retry sent it again:
    # the receipt names our reference with an id that is not the one recorded.
    second = "9b1f8b0e-3c2a-4d6e-8f00-2a4b6c8d0e1f"
    response = _receipt(client, sent, "delivered", id=second, to="")
    assert response.json() == {"outcome": "another send"}
    [disclosure] = AuditEvent.objects.filter(
        action=AuditAction.DISCLOSE, object_id=str(sent.pk)
    )
    assert disclosure.detail["provider_id"] == second
    assert disclosure.detail["channel"] == "sms"
    # Without a recipient in the receipt, the number held is masked instead.
    assert disclosure.detail["to"].startswith("+44")
    assert sent.victim.mobile.as_e164 not in str(disclosure.detail)
    sent.refresh_from_db()
    assert sent.status == NotificationStatus.SENT  # the row keeps its own message
    assert _receipt(client, sent, "delivered", id=second).json() == {
        "outcome": "ignored"
    }
