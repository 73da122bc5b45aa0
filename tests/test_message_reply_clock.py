"""A victim's message waiting longer than the force's promised reply time is
overdue: supervisors see it on the compliance page, with the on-time reply rate by
officer and month, and the officer in charge is told once by email, with no case
details."""

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cases.working_days import add_working_days
from conversations.models import Message
from conversations.selectors import reply_compliance
from conversations.services import (
    message_mark_no_reply,
    message_send_by_staff,
    message_send_by_victim,
    messages_overdue_notify,
)
from conversations.tasks import notify_overdue_messages
from notifications.providers import TransientProviderError
from tests.factories import CaseFactory, CaseVictimFactory, verified_staff_client
from tests.portal import outbox_messages

pytestmark = pytest.mark.usefixtures("portal")


@pytest.fixture
def mine(case, officer, victim_on_case):
    officer.email = "jo.evans@police.example"
    officer.rank = "PC"
    officer.save()
    case.officer_in_charge = officer
    case.save()
    return victim_on_case


def _ask(link, *, days_ago=0, text="Any news?"):
    message = message_send_by_victim(link=link, text=text)
    sent = timezone.now() - datetime.timedelta(days=days_ago)
    Message.objects.filter(pk=message.pk).update(
        sent_at=sent, reply_due_at=add_working_days(sent, 2)
    )
    message.refresh_from_db()
    return message


def test_the_reply_time_is_the_forces_working_days_skipping_weekends(
    victim_on_case, force
):
    force.message_reply_working_days = 1
    force.save()
    message = message_send_by_victim(link=victim_on_case, text="Hello")
    assert message.reply_due_at == add_working_days(message.sent_at, 1)


def test_a_message_past_the_reply_time_is_overdue(mine):
    assert _ask(mine, days_ago=10).is_overdue
    assert not _ask(mine).is_overdue


def test_the_compliance_page_shows_the_reply_clock_by_officer_and_month(
    client, supervisor, mine, case, officer, force
):
    on_time = _ask(mine, days_ago=10)
    message_send_by_staff(
        case=case,
        victim_id=mine.victim_id,
        text="Reply",
        actor=officer,
        officer=officer,
    )
    Message.objects.filter(pk=on_time.pk).update(answered_at=on_time.sent_at)
    _ask(mine, days_ago=10, text="Still waiting")
    _ask(mine, text="Just sent")
    verified_staff_client(client, supervisor)
    page = client.get("/admin/cases/case/compliance/").content.decode()
    assert "Replies to victims' messages" in page
    assert "1 of 2 messages (50%) were answered on time." in page
    assert "1 more is waiting, not yet due." in page
    assert "PC Sam" in page.split("Replies by officer and month")[1]
    overdue = page.split("Messages overdue for a reply")[1]
    assert "NS/00001/26" in overdue and "(overdue)" in overdue
    assert 'aria-labelledby="replies-chart-title replies-chart-description"' in page


def test_a_late_reply_counts_late_for_whoever_sent_it(mine, case, officer, force):
    late = _ask(mine, days_ago=10)
    message_send_by_staff(
        case=case,
        victim_id=mine.victim_id,
        text="Sorry",
        actor=officer,
        officer=officer,
    )
    late.refresh_from_db()
    report = reply_compliance(force_id=force.pk, days=365)
    assert (report.overall.on_time, report.overall.late) == (0, 1)
    [row] = report.by_officer
    assert row.key == officer.pk


def test_marking_no_reply_needed_stops_the_clock(mine, officer, force):
    message = _ask(mine)
    message_mark_no_reply(message=message, actor=officer, reason="A thank-you")
    report = reply_compliance(force_id=force.pk, days=365)
    assert (report.overall.on_time, report.overall.pending) == (1, 0)


def test_another_forces_figures_are_never_counted(mine, other_force):
    _ask(mine, days_ago=10)
    report = reply_compliance(force_id=other_force.pk, days=365)
    assert report.overall.events == 0 and report.overdue == []


def test_the_officer_is_emailed_once_with_no_case_details(portal, mine, case):
    _ask(mine, days_ago=10, text="The secret text")
    _ask(mine, days_ago=9, text="Another")
    assert notify_overdue_messages() == 1
    [email] = outbox_messages(portal)
    assert email["to"] == "jo.evans@police.example"
    assert "2 messages from victims" in email["body"]
    assert "/admin/conversations/conversation/inbox/" in email["body"]
    text = email["subject"] + email["body"]
    for detail in ("secret", case.crime_reference, "Victim Person", "Burglary"):
        assert detail not in text
    assert messages_overdue_notify() == []
    assert len(outbox_messages(portal)) == 1
    event = AuditEvent.objects.get(action="disclose", object_type="staff")
    assert event.detail["to"] == "j***@p***.example"
    assert "secret" not in str(event.detail)


def test_messages_not_yet_overdue_or_answered_send_nothing(portal, mine, case, officer):
    _ask(mine)
    _ask(mine, days_ago=10)
    message_send_by_staff(
        case=case,
        victim_id=mine.victim_id,
        text="Reply",
        actor=officer,
        officer=officer,
    )
    messages_overdue_notify()
    assert [m for m in outbox_messages(portal) if m["to"] == officer.email] == []


def test_a_failed_email_is_tried_again_next_time(portal, mine, monkeypatch):
    _ask(mine, days_ago=10)

    class Failing:
        name = "failing"

        def send(self, message):
            raise TransientProviderError("down")

    monkeypatch.setattr(
        "conversations.services.provider_for", lambda channel: Failing()
    )
    assert messages_overdue_notify() == []
    assert Message.objects.get().overdue_notified_at is None
    monkeypatch.undo()
    assert len(messages_overdue_notify()) == 1


def test_each_officer_is_told_of_their_own_cases_only(portal, mine, force, supervisor):
    supervisor.email = "sup@police.example"
    supervisor.save()
    other = CaseVictimFactory(
        case=CaseFactory(force=force, officer_in_charge=supervisor)
    )
    _ask(mine, days_ago=10)
    _ask(other, days_ago=10)
    told = messages_overdue_notify()
    assert sorted(n.messages for n in told) == [1, 1]
    assert sorted(m["to"] for m in outbox_messages(portal)) == [
        "jo.evans@police.example",
        "sup@police.example",
    ]
