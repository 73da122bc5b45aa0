"""The back office's home page, "My work": an officer's open cases soonest due
first, what is overdue and the Code deadlines coming up; a supervisor's force."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case
from cases.services import case_change_stage
from tests.factories import CaseFactory, CaseVictimFactory, verified_staff_client


def _due_in(case, days):
    Case.objects.filter(pk=case.pk).update(
        next_update_due=timezone.now() + datetime.timedelta(days=days)
    )


@pytest.fixture
def work(force, officer, supervisor):
    later = CaseFactory(
        force=force, officer_in_charge=officer, crime_reference="NS/10002/26"
    )
    _due_in(later, 20)
    overdue = CaseFactory(
        force=force, officer_in_charge=officer, crime_reference="NS/10001/26"
    )
    _due_in(overdue, -2)
    someone_elses = CaseFactory(
        force=force, officer_in_charge=supervisor, crime_reference="NS/10003/26"
    )
    _due_in(someone_elses, 1)
    arrested = CaseFactory(
        force=force, officer_in_charge=officer, crime_reference="NS/10004/26"
    )
    CaseVictimFactory(case=arrested)
    case_change_stage(case=arrested, stage="suspect_arrested", actor=officer)
    return {"later": later, "overdue": overdue, "arrested": arrested}


def _page(client):
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.content.decode()


def test_an_officer_sees_their_own_cases_soonest_due_first(officer_client, work):
    page = _page(officer_client)
    section = page.split("Open cases, soonest update due first")[1]
    assert section.index("NS/10001/26") < section.index("NS/10002/26")
    assert "NS/10003/26" not in page


def test_overdue_cases_are_listed_as_overdue(officer_client, work):
    overdue = _page(officer_client).split(">Overdue<")[1].split("Code deadlines")[0]
    assert "NS/10001/26" in overdue
    assert "NS/10002/26" not in overdue


def test_code_deadlines_coming_up_are_listed(officer_client, work):
    page = _page(officer_client)
    coming = page.split("Code deadlines coming up")[1].split("Open cases")[0]
    assert "NS/10004/26" in coming
    assert "Tell the victims: Suspect arrested or interviewed" in coming


def test_a_supervisor_sees_the_whole_force(client, supervisor, work):
    verified_staff_client(client, supervisor)
    page = _page(client)
    assert "Your force's work" in page
    for reference in ("NS/10001/26", "NS/10002/26", "NS/10003/26"):
        assert reference in page
    assert "/admin/cases/case/compliance/" in page


def test_another_forces_officer_sees_none_of_it(client, other_officer, work):
    verified_staff_client(client, other_officer)
    page = _page(client)
    assert "NS/1000" not in page


def test_my_work_makes_a_fixed_number_of_queries(officer_client, force, officer, work):
    _page(officer_client)
    with CaptureQueriesContext(connection) as few:
        _page(officer_client)
    for number in range(5):
        case = CaseFactory(force=force, officer_in_charge=officer)
        CaseVictimFactory(case=case)
        case_change_stage(case=case, stage="charged", actor=officer)
        _due_in(case, -number)
    with CaptureQueriesContext(connection) as more:
        _page(officer_client)
    assert len(more) == len(few)
    assert len(few) <= 14
