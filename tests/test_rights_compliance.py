"""Each Victims' Code request's clock on the compliance view: its on-time rate by
month and by officer, the late items and those due soon. A request not dealt with
counts as late once its deadline passes."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.compliance import code_clocks_settle, code_compliance
from cases.constants import CodeClockKind
from cases.working_days import add_working_days
from rights.constants import RightKind
from rights.services import request_acknowledge, request_make
from tests.factories import CaseFactory, CaseVictimFactory, verified_staff_client

pytestmark = pytest.mark.django_db


def _working_days_ago(days: int) -> datetime.datetime:
    moment = timezone.now()
    while add_working_days(moment, days) >= timezone.now():
        moment -= datetime.timedelta(days=1)
    return moment


def _complaint(force, officer, *, made_at):
    link = CaseVictimFactory(case=CaseFactory(force=force, officer_in_charge=officer))
    return request_make(
        victim=link.victim,
        case=link.case,
        kind=RightKind.COMPLAINT,
        form_data={"text": "Nobody called back.", "reply_channel": "portal"},
        recorded_at=made_at,
    )


@pytest.fixture
def complaints(force, officer):
    """One answered on time, one missed on purpose (11 working days old, never
    acknowledged), one made 7 working days ago (due in the next 5)."""
    on_time = _complaint(force, officer, made_at=_working_days_ago(12))
    request_acknowledge(
        request=on_time,
        actor=officer,
        acknowledged_at=on_time.made_at + datetime.timedelta(days=1),
    )
    missed = _complaint(force, officer, made_at=_working_days_ago(11))
    soon = _complaint(force, officer, made_at=_working_days_ago(7))
    return on_time, missed, soon


def test_a_complaint_not_acknowledged_by_its_deadline_counts_late(force, complaints):
    on_time, missed, soon = complaints
    code_clocks_settle()  # leaves requests' clocks alone: staff meet them
    report = code_compliance(force_id=force.pk, days=365)
    [row] = [r for r in report.by_kind if r.key == CodeClockKind.COMPLAINT_ANSWERED]
    assert (row.on_time, row.late, row.pending) == (1, 1, 1)
    assert [item.clock_id for item in report.late] == [missed.acknowledge_clock_id]
    assert soon.acknowledge_clock.case_id in {d.case_id for d in report.due_soon}
    [detail] = report.by_kind_detail
    assert detail.key == CodeClockKind.COMPLAINT_ANSWERED
    assert sum(r.late for r in detail.by_month) == 1
    assert [(r.on_time, r.late) for r in detail.by_officer] == [(1, 1)]


def test_the_page_shows_each_requests_clock_by_month_and_officer(
    client, supervisor, complaints
):
    staff = verified_staff_client(client, supervisor)
    html = staff.get("/admin/cases/case/compliance/").content.decode()
    assert "Each deadline, month by month and by officer" in html
    assert "Right 12: complaint acknowledged or answered" in html
    with CaptureQueriesContext(connection) as few:
        staff.get("/admin/cases/case/compliance/")
    for _ in range(3):
        _complaint(supervisor.force, supervisor, made_at=_working_days_ago(11))
    with CaptureQueriesContext(connection) as more:
        staff.get("/admin/cases/case/compliance/")
    assert len(more) == len(few)
