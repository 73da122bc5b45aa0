"""A message whose request to Notify timed out: Notify may still accept it after our
client gave up. The retry waits until Notify must have finished with it, looks it
up, and sends only if it is still not there; a second send found later (a look-up or
a delivery receipt) is disclosed a second time.

These run against the Notify stand-in (tests/notify_stub.py) in this process, with
a client time-out of 0.3 s. The figures are printed (pytest -s) and written to
var/notification-duplicate-figures.json.
"""

import json
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from audit.constants import AuditAction
from audit.models import AuditEvent
from cases.services import case_add_update
from notifications.constants import NotificationStatus
from notifications.models import Notification
from notifications.services import notification_send
from tests.factories import CaseFactory, CaseVictimFactory
from tests.notify_stub import Late
from victims.constants import ContactPreference

pytestmark = pytest.mark.usefixtures("celery_eager")

CLIENT_TIMEOUT = 0.3
TOKEN = "a-long-callback-token-from-notify-settings"
FIGURES = Path(django_settings.VAR_DIR) / "notification-duplicate-figures.json"


@pytest.fixture
def notify(notify_stub, settings):
    settings.NOTIFY_TIMEOUT_SECONDS = CLIENT_TIMEOUT
    settings.NOTIFICATIONS_QUIET_HOURS = None
    settings.NOTIFICATIONS_SEND_BATCH = 1
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 1
    settings.NOTIFICATIONS_RETRY_MAX_DELAY_SECONDS = 1
    settings.NOTIFY_CALLBACK_TOKEN = TOKEN
    return notify_stub


def _messages(force, officer, count):
    rows = []
    for _ in range(count):
        case = CaseFactory(force=force)
        CaseVictimFactory(case=case, victim__contact_preference=ContactPreference.EMAIL)
        case_add_update(case=case, actor=officer, victim_text="We have CCTV.")
        rows.append(Notification.objects.get(case=case))
    return rows


def _disclosures(notification: Notification) -> list[dict]:
    return [
        event.detail
        for event in AuditEvent.objects.filter(
            action=AuditAction.DISCLOSE, object_id=str(notification.pk)
        ).order_by("pk")
    ]


def _late_for(rows: dict[str, float]):
    """A script that accepts the first request for each of these references only
    this many seconds after it arrived (after the client's time-out)."""

    def script(request, tries):
        if request.kind != "lookup" and tries == 0 and request.reference in rows:
            return Late(rows[request.reference])
        return None

    return script


def _drain(rows: list[Notification], timeout: float = 30) -> None:
    """Run each row's task whenever it is due, as a worker would, until all left."""
    deadline = time.monotonic() + timeout
    while Notification.objects.filter(
        pk__in=[row.pk for row in rows], status=NotificationStatus.PENDING
    ).exists():
        assert time.monotonic() < deadline, "the messages were not all sent"
        for row in rows:
            notification_send(notification_id=row.pk)
        time.sleep(0.05)


def test_a_timed_out_message_is_looked_up_once_notify_has_finished_and_not_resent(
    notify, force, officer, settings, time_machine
):
    settings.NOTIFY_IN_DOUBT_WAIT_SECONDS = 2
    [row] = _messages(force, officer, 1)
    notify.script = _late_for({row.reference: 0.8})

    started = time.time()
    assert notification_send(notification_id=row.pk) == "retrying"
    row.refresh_from_db()
    assert row.status == NotificationStatus.PENDING
    assert "may still accept" in row.last_error
    # Not before Notify must have finished with the request that timed out.
    assert row.next_attempt_at.timestamp() >= started + 2
    assert notification_send(notification_id=row.pk) == "not due"

    # Notify accepts the request after all, while the row waits.
    deadline = time.monotonic() + 5
    while not notify.messages():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time_machine.move_to(row.next_attempt_at, tick=True)
    assert notification_send(notification_id=row.pk) == "sent"

    [message] = notify.messages()
    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT
    assert row.provider_id == message["id"]
    assert [r.kind for r, _status in notify.requests] == ["email", "lookup"]
    assert len(_disclosures(row)) == 1


def test_a_message_notify_does_not_have_after_the_wait_is_sent(
    notify, force, officer, settings, time_machine
):
    from tests.notify_stub import Failure

    settings.NOTIFY_IN_DOUBT_WAIT_SECONDS = 2
    [row] = _messages(force, officer, 1)

    def time_out_then_refuse(request, tries):
        # The first request never reaches Notify's records: it times out.
        if request.kind != "lookup" and tries == 0:
            time.sleep(CLIENT_TIMEOUT * 2)
            return Failure(500, "gave up")
        return None

    notify.script = time_out_then_refuse
    assert notification_send(notification_id=row.pk) == "retrying"
    deadline = time.monotonic() + 5
    while not notify.requests:  # the stand-in has given up on it too
        assert time.monotonic() < deadline
        time.sleep(0.05)
    row.refresh_from_db()
    time_machine.move_to(row.next_attempt_at, tick=True)
    assert notification_send(notification_id=row.pk) == "sent"
    assert [r.kind for r, _status in notify.requests] == ["email", "lookup", "email"]
    assert notify.duplicates() == 0
    assert len(_disclosures(row)) == 1


def test_a_look_up_that_finds_two_sends_records_two_disclosures(notify, force, officer):
    from notifications.content import mask_recipient, message_for
    from notifications.providers import provider_for

    [row] = _messages(force, officer, 1)
    provider = provider_for("email")
    # Two requests for the row both reached Notify (the second attempt's look-up
    # came too soon for the first), and a third attempt asks.
    for _ in range(2):
        provider.send(message_for(row))
    Notification.objects.filter(pk=row.pk).update(attempts=2)

    assert notification_send(notification_id=row.pk) == "sent"
    first, second = notify.messages()
    row.refresh_from_db()
    assert row.provider_id == first["id"]
    disclosures = _disclosures(row)
    assert [d["provider_id"] for d in disclosures] == [first["id"], second["id"]]
    # The same shape for both: channel and masked address, never the text.
    masked = mask_recipient("email", row.victim.email)
    assert {d["to"] for d in disclosures} == {masked}
    assert disclosures[0].keys() == disclosures[1].keys()


def test_a_receipt_for_a_second_send_records_a_second_disclosure_once(
    notify, force, officer, client, settings, time_machine
):
    settings.NOTIFY_IN_DOUBT_WAIT_SECONDS = 1
    [row] = _messages(force, officer, 1)
    # Notify accepts the first request later than even the wait: the look-up misses
    # and the message goes again. This is the window that remains.
    notify.script = _late_for({row.reference: 2.0})
    assert notification_send(notification_id=row.pk) == "retrying"
    row.refresh_from_db()
    time_machine.move_to(row.next_attempt_at, tick=True)
    assert notification_send(notification_id=row.pk) == "sent"
    deadline = time.monotonic() + 5
    while len(notify.messages()) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    row.refresh_from_db()
    [resent] = [m for m in notify.messages() if m["id"] == row.provider_id]
    [late] = [m for m in notify.messages() if m["id"] != row.provider_id]
    assert len(_disclosures(row)) == 1

    def post(message):
        return client.post(
            "/notifications/notify/receipts",
            json.dumps(notify.receipt(message)),
            content_type="application/json",
            headers={"Authorization": f"Bearer {TOKEN}"},
        )

    assert post(late).json() == {"outcome": "another send"}
    assert post(late).json() == {"outcome": "ignored"}  # Notify tried again
    assert post(resent).json() == {"outcome": "updated"}
    disclosures = _disclosures(row)
    assert [d["provider_id"] for d in disclosures] == [resent["id"], late["id"]]
    assert disclosures[0].keys() == disclosures[1].keys()
    assert disclosures[1]["to"] == disclosures[0]["to"] != row.victim.email
    row.refresh_from_db()
    assert row.status == NotificationStatus.DELIVERED


def _post_receipts(client, notify) -> None:
    for message in notify.messages():
        response = client.post(
            "/notifications/notify/receipts",
            json.dumps(notify.receipt(message)),
            content_type="application/json",
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert response.status_code == 200


def _run(client, force, officer, notify, settings, *, count, late, wait) -> dict:
    """Send `count` messages, of which Notify accepts those in `late` (seconds after
    the request) only after the client's time-out; return what left."""
    settings.NOTIFY_IN_DOUBT_WAIT_SECONDS = wait
    rows = _messages(force, officer, count)
    step = max(1, count // len(late))
    lateness = {rows[i * step].reference: seconds for i, seconds in enumerate(late)}
    notify.script = _late_for(lateness)
    # One message at a time, each retried as soon as it is due, as a worker with
    # nothing else to do would.
    for row in rows:
        _drain([row])
    time.sleep(max(late))  # every late acceptance has landed
    duplicates = notify.duplicates()
    disclosures = AuditEvent.objects.filter(
        action=AuditAction.DISCLOSE, object_id__in=[str(row.pk) for row in rows]
    )
    figures = {
        "messages": count,
        "timed_out": len(late),
        "in_doubt_wait_seconds": wait,
        "texts_sent": len(notify.messages()),
        "duplicates": duplicates,
        "disclosures_before_receipts": disclosures.count(),
    }
    _post_receipts(client, notify)
    figures["disclosures_after_receipts"] = disclosures.count()
    return figures


# Notify accepts each timed-out request between 0.4 s and 1.3 s after it arrived;
# the client gives up after 0.3 s, and the back-off before a retry is 0.2-0.4 s.
LATENESS = [0.4 + 0.1 * n for n in range(10)]


def test_figures_duplicates_before_and_after_waiting_for_notify(
    notify, force, officer, settings, client
):
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 0.4
    settings.NOTIFICATIONS_RETRY_MAX_DELAY_SECONDS = 0.4
    run = {"count": 40, "late": LATENESS}
    before = _run(client, force, officer, notify, settings, **run, wait=0)
    notify.accepted.clear()
    notify.requests.clear()
    after = _run(client, force, officer, notify, settings, **run, wait=1.5)

    # Retried after the back-off alone, a look-up comes before Notify has finished
    # with most of the requests that timed out, and the message goes twice.
    assert before["duplicates"] >= 4
    # Retried after the wait, every one is found and none goes twice.
    assert after["duplicates"] == 0
    assert after["disclosures_before_receipts"] == after["messages"]
    # Every text that left is disclosed once the receipts are in, twice where twice.
    assert before["disclosures_after_receipts"] == before["texts_sent"]
    assert after["disclosures_after_receipts"] == after["texts_sent"] == 40
    figures = {"before": before, "after": after}
    print(f"\nduplicates: {json.dumps(figures)}")
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    FIGURES.write_text(json.dumps(figures, indent=2))
