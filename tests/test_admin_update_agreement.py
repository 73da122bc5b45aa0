"""Right 6 in the back office: officers see the update interval each case's
victims agreed online, in the case list (a column and a filter) and on the case
page, and whether staff changed it since."""

import pytest

from cases.services import case_agree_updates, case_update
from tests.factories import CaseFactory, CaseVictimFactory, verified_staff_client


@pytest.fixture
def agreed(force, officer):
    case = CaseFactory(force=force, crime_reference="NS/10001/26")
    link = CaseVictimFactory(case=case, victim__full_name="Priya Shah")
    case_agree_updates(link=link, interval_weeks=2, channels=["sms"])
    return case


@pytest.fixture
def not_agreed(force):
    return CaseFactory(force=force, crime_reference="NS/10002/26")


def _listed(officer_client, **params):
    response = officer_client.get("/admin/cases/case/", params)
    assert response.status_code == 200
    return [case.crime_reference for case in response.context["cl"].result_list]


def test_the_case_list_shows_the_agreed_interval(officer_client, agreed, not_agreed):
    page = officer_client.get("/admin/cases/case/").content.decode()
    agreed_row = page.split("NS/10001/26")[1].split("</tr>")[0]
    other_row = page.split("NS/10002/26")[1].split("</tr>")[0]
    assert "14 days, agreed with the victim on" in agreed_row
    assert "28 days (set by staff)" in other_row


def test_the_case_list_filters_by_whether_the_interval_was_agreed(
    officer_client, agreed, not_agreed, officer
):
    assert _listed(officer_client, interval="agreed") == ["NS/10001/26"]
    assert _listed(officer_client, interval="staff") == ["NS/10002/26"]
    assert _listed(officer_client, interval="changed") == []
    case_update(case=agreed, actor=officer, changes={"update_interval_days": 28})
    assert _listed(officer_client, interval="changed") == ["NS/10001/26"]


def test_the_case_page_says_what_was_agreed_and_by_whom(
    officer_client, agreed, officer
):
    page = officer_client.get(f"/admin/cases/case/{agreed.pk}/change/").content
    page = page.decode()
    assert "14 days, agreed with the victim on" in page
    assert "Every 14 days by Text message, on" in page
    case_update(case=agreed, actor=officer, changes={"update_interval_days": 7})
    page = officer_client.get(f"/admin/cases/case/{agreed.pk}/change/").content
    assert "7 days: changed by staff; the victim agreed 14 days on" in page.decode()


def test_another_force_s_officer_sees_none_of_it(client, other_officer, agreed):
    other_client = verified_staff_client(client, other_officer)
    assert _listed(other_client, interval="agreed") == []
    response = other_client.get(f"/admin/cases/case/{agreed.pk}/change/")
    assert response.status_code in (302, 404)
