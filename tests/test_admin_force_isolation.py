import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from tests.factories import (
    CaseFactory,
    CaseVictimFactory,
    StaffFactory,
    verified_staff_client,
)

# Session, staff member, their device, the officer filter, one page of cases with
# their officers joined in, and the admin's own look-ups: never one per case.
CASE_LIST_QUERIES = 8


@pytest.fixture
def foreign_case(other_force):
    case = CaseFactory(force=other_force, crime_reference="WS/55555/26")
    CaseVictimFactory(case=case, victim__full_name="Foreign Victim")
    return case


def test_the_case_list_shows_only_the_officers_own_force(
    officer_client, case, foreign_case
):
    response = officer_client.get("/admin/cases/case/")
    assert response.status_code == 200
    content = response.content.decode()
    assert case.crime_reference in content
    assert foreign_case.crime_reference not in content


def test_searching_for_another_forces_reference_finds_nothing(
    officer_client, foreign_case
):
    response = officer_client.get("/admin/cases/case/", {"q": "ws 55555 26"})
    assert foreign_case.crime_reference not in response.content.decode()
    assert list(response.context["cl"].result_list) == []


def test_searching_for_another_forces_victim_finds_nothing(
    officer_client, foreign_case
):
    response = officer_client.get("/admin/cases/case/", {"q": "Foreign Victim"})
    assert list(response.context["cl"].result_list) == []


def test_opening_another_forces_case_by_url_is_as_if_it_did_not_exist(
    officer_client, foreign_case
):
    response = officer_client.get(f"/admin/cases/case/{foreign_case.pk}/change/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert not AuditEvent.objects.filter(case_id=foreign_case.pk).exists()


def test_changing_another_forces_case_by_post_changes_nothing(
    officer_client, foreign_case
):
    officer_client.post(
        f"/admin/cases/case/{foreign_case.pk}/change/",
        {"victim_description": "Changed by an outsider", "stage": "charged"},
    )
    foreign_case.refresh_from_db()
    assert foreign_case.victim_description == "Burglary at your home"
    assert foreign_case.stage == "reported"


def test_another_forces_victims_are_hidden(officer_client, foreign_case):
    victim = foreign_case.victims.get()
    response = officer_client.get("/admin/victims/victim/")
    assert victim.full_name not in response.content.decode()
    response = officer_client.get(f"/admin/victims/victim/{victim.pk}/change/")
    assert response.status_code == 302


def test_staff_without_a_force_see_no_cases(client, case, django_user_model):
    operator = StaffFactory(force=None, is_superuser=True, username="operator")
    verified_staff_client(client, operator)
    response = client.get("/admin/cases/case/")
    assert list(response.context["cl"].result_list) == []


def test_the_case_list_runs_the_same_queries_for_3_or_30_cases(officer_client, force):
    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = officer_client.get("/admin/cases/case/")
        assert response.status_code == 200
        return len(queries)

    for _ in range(3):
        CaseFactory(force=force, officer_in_charge=StaffFactory(force=force))
    few = queries_for_list()
    for _ in range(27):
        CaseFactory(force=force, officer_in_charge=StaffFactory(force=force))
    assert queries_for_list() == few == CASE_LIST_QUERIES
