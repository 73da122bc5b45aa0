"""The case list an officer works from: soonest due first, overdue shown in icon
and words, UK dates, and a search that finds what an officer has to hand."""

import datetime

import pytest
from django.utils import timezone

from cases.models import Case
from tests.factories import CaseFactory, CaseVictimFactory


def _due_in(case, days):
    Case.objects.filter(pk=case.pk).update(
        next_update_due=timezone.now() + datetime.timedelta(days=days)
    )


@pytest.fixture
def cases(force, officer):
    fine = CaseFactory(force=force, crime_reference="NS/10002/26")
    _due_in(fine, 10)
    overdue = CaseFactory(force=force, crime_reference="NS/10001/26")
    _due_in(overdue, -3)
    CaseVictimFactory(
        case=fine,
        victim__full_name="Priya Shah",
        victim__email="Priya.Shah@example.com",
        victim__mobile="+447700900123",
    )
    return {"fine": fine, "overdue": overdue}


def _listed(officer_client, **params):
    response = officer_client.get("/admin/cases/case/", params)
    assert response.status_code == 200
    return [case.crime_reference for case in response.context["cl"].result_list]


def test_the_list_is_in_order_of_the_next_update_due(officer_client, cases):
    assert _listed(officer_client) == ["NS/10001/26", "NS/10002/26"]


def test_the_overdue_column_says_overdue_in_words_beside_a_warning(
    officer_client, cases
):
    page = officer_client.get("/admin/cases/case/").content.decode()
    overdue_row = page.split("NS/10001/26")[1].split("</tr>")[0]
    fine_row = page.split("NS/10002/26")[1].split("</tr>")[0]
    assert "icon-alert.svg" in overdue_row and "Overdue" in overdue_row
    assert "icon-yes.svg" in fine_row and "On time" in fine_row
    assert "icon-no.svg" not in page


def test_dates_are_written_the_british_way(officer_client, cases):
    due = timezone.localtime(
        Case.objects.get(pk=cases["fine"].pk).next_update_due
    ).strftime("%-d %b %Y")
    page = officer_client.get(f"/admin/cases/case/{cases['fine'].pk}/change/")
    listing = officer_client.get("/admin/cases/case/").content.decode()
    assert due in listing
    assert "a.m." not in page.content.decode() and "p.m." not in page.content.decode()
    from django.utils.formats import date_format

    moment = datetime.datetime(2026, 12, 20, 16, 44, tzinfo=datetime.UTC)
    assert date_format(moment, "DATETIME_FORMAT") == "20 December 2026, 4:44pm"


@pytest.mark.parametrize(
    "term",
    [
        "10002",
        "ns 10002",
        "NS/10002/26",
        "priya.shah@EXAMPLE.com",
        "07700 900123",
        "+447700900123",
        "Shah",
    ],
)
def test_search_finds_a_case_by_what_an_officer_has(officer_client, cases, term):
    assert _listed(officer_client, q=term) == ["NS/10002/26"]


def test_search_never_finds_another_forces_case(client, other_officer, cases):
    from tests.factories import verified_staff_client

    verified_staff_client(client, other_officer)
    for term in ("10002", "priya.shah@example.com", "Shah"):
        assert _listed(client, q=term) == []


def test_the_timeline_header_reads_recorded_by(officer_client, case):
    page = officer_client.get(f"/admin/cases/case/{case.pk}/change/").content.decode()
    assert "Recorded by label" not in page
    assert "Recorded by" in page


def test_the_sign_in_page_says_a_backup_code_works(client, db):
    page = client.get("/admin/login/").content.decode()
    assert "<h1" in page
    assert "or one of your backup codes" in page
    assert "OTP Token" not in page
