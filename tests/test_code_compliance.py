"""The Victims' Code compliance page: deadlines from when things happened, victims
counted as told only when a message reached them or the portal showed them."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.constants import ActorKind, AuditAction
from audit.models import AuditEvent
from cases.compliance import code_clocks_settle, code_compliance
from cases.models import CodeClock
from cases.services import case_change_stage
from cases.working_days import LONDON, add_working_days
from notifications.constants import NotificationStatus
from notifications.models import Notification
from tests.factories import CaseFactory, CaseVictimFactory, verified_staff_client
from tests.test_admin_case_changes import _case_form
from victims.constants import ContactPreference


def _working_days_ago(days: int) -> datetime.datetime:
    moment = timezone.now()
    while add_working_days(moment, days) >= timezone.now():
        moment -= datetime.timedelta(days=1)
    return moment


def _case_with_victim(force, officer, **victim):
    case = CaseFactory(force=force, officer_in_charge=officer)
    link = CaseVictimFactory(
        case=case, **{f"victim__{k}": v for k, v in victim.items()}
    )
    return case, link.victim


def _sent(entry, *, at, status=NotificationStatus.SENT):
    Notification.objects.filter(entry=entry).update(
        status=status, sent_at=at, provider_id="provider-1"
    )


def _portal_view(victim, case, *, at):
    AuditEvent.objects.create(
        occurred_at=at,
        actor_kind=ActorKind.VICTIM,
        actor_id=str(victim.pk),
        action=AuditAction.VIEW,
        object_type="case",
        object_id=str(case.pk),
        force_id=case.force_id,
        case_id=case.pk,
    )


def _report(force, days=365):
    code_clocks_settle()
    return code_compliance(force_id=force.pk, days=days)


def test_an_arrest_typed_in_from_six_working_days_ago_counts_late(
    officer_client, force, officer
):
    case, _victim = _case_with_victim(force, officer)
    happened = _working_days_ago(6).astimezone(LONDON)
    response = officer_client.post(
        f"/admin/cases/case/{case.pk}/change/",
        _case_form(
            case,
            stage="suspect_arrested",
            occurred_at=happened.strftime("%Y-%m-%dT%H:%M"),
        ),
    )
    assert response.status_code == 302
    entry = case.timeline.get(kind="stage_change")
    _sent(entry, at=timezone.now())  # told at once, but after the deadline
    report = _report(force)
    assert (report.overall.on_time, report.overall.late) == (0, 1)
    assert [item.crime_reference for item in report.late] == [case.crime_reference]
    assert report.late[0].working_days_late >= 1


def test_a_message_sent_by_the_deadline_is_on_time(force, officer):
    case, _victim = _case_with_victim(force, officer)
    entry = case_change_stage(
        case=case, stage="charged", actor=officer, occurred_at=_working_days_ago(6)
    )
    _sent(entry, at=entry.code_deadline - datetime.timedelta(days=1))
    report = _report(force)
    assert (report.overall.on_time, report.overall.late) == (1, 0)
    assert report.overall.on_time_percent == 100


def test_recording_alone_does_not_count_as_told(force, officer):
    case, _victim = _case_with_victim(force, officer)
    case_change_stage(
        case=case, stage="charged", actor=officer, occurred_at=_working_days_ago(6)
    )
    report = _report(force)
    assert (report.overall.on_time, report.overall.late) == (0, 1)
    assert report.late[0].told_at is None


def test_a_message_that_failed_counts_as_not_told_until_resent(force, officer):
    case, _victim = _case_with_victim(
        force, officer, contact_preference=ContactPreference.EMAIL
    )
    entry = case_change_stage(
        case=case, stage="charged", actor=officer, occurred_at=_working_days_ago(6)
    )
    failed = Notification.objects.get(entry=entry)
    Notification.objects.filter(pk=failed.pk).update(
        status=NotificationStatus.PERMANENT_FAILURE,
        finished_at=entry.code_deadline - datetime.timedelta(days=2),
    )
    assert _report(force).late[0].told_at is None
    Notification.objects.create(
        force=force,
        case=case,
        victim=failed.victim,
        entry=entry,
        channel=failed.channel,
        resend_of=failed,
        status=NotificationStatus.SENT,
        sent_at=timezone.now(),
        provider_id="provider-2",
    )
    report = _report(force)
    assert report.overall.late == 1
    assert report.late[0].told_at is not None


def test_a_sent_message_that_then_fails_stops_counting(force, officer):
    case, _victim = _case_with_victim(
        force, officer, contact_preference=ContactPreference.EMAIL
    )
    entry = case_change_stage(
        case=case, stage="charged", actor=officer, occurred_at=timezone.now()
    )
    _sent(entry, at=timezone.now())
    code_clocks_settle()
    assert CodeClock.objects.get().told_at is not None
    Notification.objects.filter(entry=entry).update(
        status=NotificationStatus.PERMANENT_FAILURE
    )
    code_clocks_settle()
    assert CodeClock.objects.get().told_at is None


def test_a_victim_who_asked_for_no_contact_is_told_by_the_portal(force, officer):
    case, victim = _case_with_victim(
        force, officer, contact_preference=ContactPreference.NONE
    )
    entry = case_change_stage(
        case=case, stage="charged", actor=officer, occurred_at=_working_days_ago(6)
    )
    assert not Notification.objects.filter(entry=entry).exists()
    _portal_view(victim, case, at=entry.recorded_at - datetime.timedelta(minutes=1))
    assert _report(force).overall.late == 1  # seen before it was recorded: not told
    _portal_view(victim, case, at=entry.code_deadline - datetime.timedelta(hours=1))
    assert _report(force).overall.on_time == 0  # recorded late, so seen late
    CodeClock.objects.update(
        recorded_at=entry.code_deadline - datetime.timedelta(days=1)
    )
    assert _report(force).overall.on_time == 1


def test_an_event_is_told_when_every_victim_on_the_case_is(force, officer):
    case, _first = _case_with_victim(force, officer)
    CaseVictimFactory(case=case)
    entry = case_change_stage(
        case=case, stage="charged", actor=officer, occurred_at=_working_days_ago(6)
    )
    first = Notification.objects.filter(entry=entry).first()
    Notification.objects.filter(victim_id=first.victim_id).update(
        status=NotificationStatus.SENT, sent_at=timezone.now(), provider_id="p"
    )
    assert _report(force).late[0].told_at is None
    _sent(entry, at=timezone.now())
    assert _report(force).late[0].told_at is not None


def test_an_event_not_yet_due_is_not_counted_but_listed_as_due(force, officer):
    case, _victim = _case_with_victim(force, officer)
    case_change_stage(case=case, stage="charged", actor=officer)
    report = _report(force)
    assert (report.overall.events, report.overall.pending) == (0, 1)
    assert [item.crime_reference for item in report.due_soon][:1] == [
        case.crime_reference
    ]


def test_stages_the_code_does_not_name_are_not_counted(force, officer):
    case, _victim = _case_with_victim(force, officer)
    case_change_stage(case=case, stage="under_investigation", actor=officer)
    assert not CodeClock.objects.exists()


def test_figures_are_given_by_officer_and_by_month(force, officer):
    case, _victim = _case_with_victim(force, officer)
    case_change_stage(
        case=case, stage="charged", actor=officer, occurred_at=_working_days_ago(6)
    )
    report = _report(force)
    assert [(row.label, row.late) for row in report.by_officer] == [
        (officer.display_name, 1)
    ]
    assert len(report.by_month) >= 12
    assert sum(row.late for row in report.by_month) == 1


@pytest.fixture
def events(force, officer):
    on_time, _ = _case_with_victim(force, officer)
    entry = case_change_stage(
        case=on_time,
        stage="suspect_arrested",
        actor=officer,
        occurred_at=_working_days_ago(6),
    )
    _sent(entry, at=entry.recorded_at)
    CodeClock.objects.filter(entry=entry).update(
        recorded_at=entry.code_deadline - datetime.timedelta(days=1)
    )
    Notification.objects.filter(entry=entry).update(
        sent_at=entry.code_deadline - datetime.timedelta(days=1)
    )
    late, _ = _case_with_victim(force, officer)
    case_change_stage(
        case=late, stage="charged", actor=officer, occurred_at=_working_days_ago(6)
    )
    code_clocks_settle()


def test_another_forces_events_are_not_counted(other_force, events):
    assert code_compliance(force_id=other_force.pk, days=365).overall.events == 0


def test_supervisors_see_the_figures_chart_and_lists(client, supervisor, events):
    verified_staff_client(client, supervisor)
    response = client.get("/admin/cases/case/compliance/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "1 of 2 events (50%) were told on time." in page
    assert '<svg role="img" aria-labelledby="chart-title chart-description"' in page
    assert "Events told on time, by month" in page
    assert "Late events" in page


def test_the_page_makes_a_fixed_number_of_queries(
    client, supervisor, force, officer, events
):
    verified_staff_client(client, supervisor)
    client.get("/admin/cases/case/compliance/")
    with CaptureQueriesContext(connection) as few:
        client.get("/admin/cases/case/compliance/")
    for _ in range(3):
        case, _victim = _case_with_victim(force, officer)
        case_change_stage(
            case=case, stage="charged", actor=officer, occurred_at=_working_days_ago(6)
        )
    with CaptureQueriesContext(connection) as more:
        client.get("/admin/cases/case/compliance/")
    assert len(more) == len(few)
    # 12 for the Code's figures, 2 for the replies to victims' messages.
    assert len(few) <= 14


def test_the_figures_download_as_csv_and_the_download_is_audited(
    client, supervisor, events
):
    verified_staff_client(client, supervisor)
    response = client.get("/admin/cases/case/compliance/?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("crime_reference,deadline_kind,stage,officer")
    assert len(lines) == 3
    assert sorted(line.split(",")[8] for line in lines[1:]) == ["late", "on_time"]
    assert AuditEvent.objects.filter(object_type="code_compliance_export").exists()


def test_officers_cannot_see_the_figures(officer_client, events):
    assert officer_client.get("/admin/cases/case/compliance/").status_code == 403


def test_another_forces_supervisor_sees_none_of_them(client, other_force, events):
    from accounts.constants import StaffGroup
    from tests.factories import StaffFactory

    outsider = StaffFactory(
        force=other_force, username="outside.sup", group=StaffGroup.SUPERVISOR
    )
    verified_staff_client(client, outsider)
    page = client.get("/admin/cases/case/compliance/").content.decode()
    assert "No events whose deadline has passed in this period." in page
    assert "AB/" not in page.split("Late events")[1]


def test_the_case_list_links_supervisors_to_the_figures(client, supervisor):
    verified_staff_client(client, supervisor)
    response = client.get("/admin/cases/case/")
    assert "/admin/cases/case/compliance/" in response.content.decode()
