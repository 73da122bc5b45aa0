import datetime

import pytest
from django.utils import timezone

from cases.models import TimelineEntry
from cases.selectors import code_compliance
from cases.services import case_change_stage
from tests.factories import CaseFactory, verified_staff_client


def _stage_change(case, officer, *, stage, days_late):
    """Record a Right 6 event that happened 10 days ago, told `days_late` after its
    deadline (negative: before it)."""
    entry = case_change_stage(
        case=case,
        stage=stage,
        actor=officer,
        occurred_at=timezone.now() - datetime.timedelta(days=10),
    )
    TimelineEntry.objects.filter(pk=entry.pk).update(
        recorded_at=entry.code_deadline + datetime.timedelta(days=days_late)
    )


@pytest.fixture
def events(force, officer):
    on_time = CaseFactory(force=force, officer_in_charge=officer)
    _stage_change(on_time, officer, stage="suspect_arrested", days_late=-1)
    late = CaseFactory(force=force, officer_in_charge=officer)
    _stage_change(late, officer, stage="charged", days_late=2)


def test_it_counts_events_told_on_time_and_late(force, events):
    report = code_compliance(force_id=force.pk, days=90)
    assert (report.overall.events, report.overall.on_time) == (2, 1)
    assert report.overall.on_time_percent == 50
    assert [(row.label, row.late) for row in report.by_stage] == [
        ("Suspect arrested or interviewed", 0),
        ("Charged", 1),
    ]


def test_stages_the_code_does_not_name_are_not_counted(force, officer):
    case = CaseFactory(force=force)
    case_change_stage(case=case, stage="under_investigation", actor=officer)
    assert code_compliance(force_id=force.pk, days=90).overall.events == 0


def test_another_forces_events_are_not_counted(other_force, events):
    assert code_compliance(force_id=other_force.pk, days=90).overall.events == 0


def test_supervisors_see_the_figures(client, supervisor, events):
    verified_staff_client(client, supervisor)
    response = client.get("/admin/cases/case/compliance/")
    assert response.status_code == 200
    assert "1 of 2 events (50%) were told on time." in response.content.decode()


def test_officers_cannot_see_the_figures(officer_client, events):
    assert officer_client.get("/admin/cases/case/compliance/").status_code == 403


def test_the_case_list_links_supervisors_to_the_figures(client, supervisor):
    verified_staff_client(client, supervisor)
    response = client.get("/admin/cases/case/")
    assert "/admin/cases/case/compliance/" in response.content.decode()
