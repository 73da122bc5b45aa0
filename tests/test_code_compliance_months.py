"""The compliance figures at a force's size: told events are counted once per month
(CodeComplianceMonth), again whenever one of them changes, and the page adds the
events not yet told and those of the period's first, partial month, counted live."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import compliance
from cases.compliance import (
    code_clocks_settle,
    code_compliance,
    code_compliance_months_rebuild,
    month_of,
)
from cases.models import CodeClock, CodeComplianceMonth
from cases.services import case_change_stage, timeline_entry_correct
from notifications.constants import NotificationStatus
from notifications.models import Notification
from tests.factories import CaseFactory, CaseVictimFactory, verified_staff_client
from victims.constants import ContactPreference

LONG_AGO = datetime.date(2020, 1, 1)


def _event(force, officer, *, days_ago, told_after_hours=None):
    """A charge `days_ago`, told `told_after_hours` later (or not told)."""
    case = CaseFactory(force=force, officer_in_charge=officer, reported_on=LONG_AGO)
    CaseVictimFactory(case=case, victim__contact_preference=ContactPreference.EMAIL)
    entry = case_change_stage(
        case=case,
        stage="charged",
        actor=officer,
        occurred_at=timezone.now() - datetime.timedelta(days=days_ago),
    )
    if told_after_hours is not None:
        Notification.objects.filter(entry=entry).update(
            status=NotificationStatus.SENT,
            sent_at=entry.occurred_at + datetime.timedelta(hours=told_after_hours),
            provider_id=f"provider-{entry.pk}",
        )
    return entry


def _months(force):
    return {
        (row.month, row.on_time, row.late)
        for row in CodeComplianceMonth.objects.filter(force=force)
    }


@pytest.fixture
def year(force, officer):
    """Events over a year: on time, late, and not told."""
    entries = {
        "on_time": _event(force, officer, days_ago=200, told_after_hours=2),
        "late": _event(force, officer, days_ago=100, told_after_hours=24 * 20),
        "not_told": _event(force, officer, days_ago=60),
        "recent": _event(force, officer, days_ago=1),
    }
    code_clocks_settle()
    return entries


def test_told_events_are_counted_by_month_when_settled(force, year):
    assert _months(force) == {
        (month_of(year["on_time"].occurred_at), 1, 0),
        (month_of(year["late"].occurred_at), 0, 1),
    }


def test_the_figures_add_the_events_not_yet_told(force, year):
    report = code_compliance(force_id=force.pk, days=365)
    assert (report.overall.on_time, report.overall.late) == (1, 2)
    assert report.overall.pending == 1
    assert [item.crime_reference for item in report.late] == [
        year["late"].case.crime_reference,
        year["not_told"].case.crime_reference,
    ]
    by_month = {row.key: row for row in report.by_month}
    assert by_month[month_of(year["on_time"].occurred_at)].on_time == 1
    assert by_month[month_of(year["late"].occurred_at)].late == 1


def test_a_rebuild_counts_the_same_as_settling(force, year):
    settled = _months(force)
    CodeComplianceMonth.objects.all().delete()
    code_compliance_months_rebuild(force_id=force.pk)
    assert _months(force) == settled


def test_a_message_that_then_fails_takes_its_event_out_of_the_month(force, year):
    Notification.objects.filter(entry=year["recent"]).update(
        status=NotificationStatus.SENT, sent_at=timezone.now(), provider_id="p"
    )
    code_clocks_settle()
    month = month_of(year["recent"].occurred_at)
    assert (month, 1, 0) in _months(force)
    Notification.objects.filter(entry=year["recent"]).update(
        status=NotificationStatus.PERMANENT_FAILURE
    )
    code_clocks_settle()
    rows = CodeComplianceMonth.objects.filter(force=force, month=month)
    assert sum(row.on_time + row.late for row in rows) == 0
    assert code_compliance(force_id=force.pk, days=30).overall.pending == 1


def test_a_corrected_told_event_leaves_its_month(force, supervisor, year):
    timeline_entry_correct(
        entry=year["late"], actor=supervisor, victim_text="Sorry.", reason="Wrong."
    )
    assert (month_of(year["late"].occurred_at), 0, 1) not in _months(force)
    assert code_compliance(force_id=force.pk, days=365).overall.late == 1


def test_the_first_partial_month_counts_only_the_days_in_the_period(force, officer):
    inside = _event(force, officer, days_ago=29, told_after_hours=1)
    _event(force, officer, days_ago=31, told_after_hours=1)  # before the period
    code_clocks_settle()
    report = code_compliance(force_id=force.pk, days=30)
    assert report.overall.on_time == 1
    assert report.late == []
    assert CodeClock.objects.filter(entry=inside).get().told_at is not None


def test_open_and_overdue_cases_are_counted_up_to_a_cap(
    client, supervisor, force, officer, monkeypatch
):
    monkeypatch.setattr(compliance, "CASE_COUNT_CAP", 2)
    for _ in range(3):
        case = CaseFactory(force=force, officer_in_charge=officer)
        type(case).objects.filter(pk=case.pk).update(
            next_update_due=timezone.now() - datetime.timedelta(days=1)
        )
    report = code_compliance(force_id=force.pk, days=30)
    assert (report.open_cases, report.open_cases_capped) == (2, True)
    assert (report.overdue_updates, report.overdue_updates_capped) == (2, True)
    verified_staff_client(client, supervisor)
    page = client.get("/admin/cases/case/compliance/").content.decode()
    assert "More than 2 open cases are overdue" in page


def test_the_page_makes_the_same_queries_over_many_months(
    client, supervisor, force, officer
):
    verified_staff_client(client, supervisor)
    _event(force, officer, days_ago=10, told_after_hours=1)
    code_clocks_settle()
    client.get("/admin/cases/case/compliance/")
    with CaptureQueriesContext(connection) as few:
        client.get("/admin/cases/case/compliance/")
    for days_ago in (40, 90, 150, 250, 330):
        _event(force, officer, days_ago=days_ago, told_after_hours=1)
        _event(force, officer, days_ago=days_ago)
    code_clocks_settle()
    with CaptureQueriesContext(connection) as more:
        client.get("/admin/cases/case/compliance/")
    # 12 for the Code's figures, 2 for the replies to victims' messages.
    assert len(more) == len(few) == 14, [q["sql"][:80] for q in more]
