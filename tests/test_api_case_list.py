"""GET /api/v1/cases: the force's cases changed since a time, page by page."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.constants import AuditAction
from audit.models import AuditEvent
from cases.services import case_add_update
from tests.factories import CaseFactory

URL = "/api/v1/cases"


def _made_at(force, when, reference):
    with time_machine.travel(when, tick=False):
        return CaseFactory(force=force, crime_reference=reference)


@pytest.fixture
def three_cases(force):
    return [
        _made_at(force, f"2026-11-0{day} 10:00Z", f"NS/0000{day}/26")
        for day in (1, 2, 3)
    ]


def _references(response):
    assert response.status_code == 200, response.content
    return [case["crime_reference"] for case in response.json()["results"]]


def test_it_lists_the_forces_cases_oldest_change_first(api, three_cases):
    assert _references(api.get(URL)) == ["NS/00001/26", "NS/00002/26", "NS/00003/26"]


def test_it_lists_only_cases_changed_since_the_time_given(api, three_cases):
    response = api.get(URL, {"updated_since": "2026-11-02T10:00:00Z"})
    assert _references(response) == ["NS/00002/26", "NS/00003/26"]


def test_a_case_that_changes_moves_to_the_end(api, three_cases, officer):
    with time_machine.travel("2026-11-04 10:00Z", tick=False):
        case_add_update(case=three_cases[0], actor=officer, victim_text="News.")
    response = api.get(URL, {"updated_since": "2026-11-02T12:00:00+00:00"})
    assert _references(response) == ["NS/00003/26", "NS/00001/26"]


def test_it_pages_with_a_cursor_to_the_end(api, force):
    for number in range(7):
        _made_at(force, "2026-11-01 10:00Z", f"NS/1000{number}/26")  # one instant
    seen, url, params = [], URL, {"page_size": 3}
    while url:
        page = api.get(url, params).json()
        seen += [case["crime_reference"] for case in page["results"]]
        url, params = page["next"], None
    assert sorted(seen) == [f"NS/1000{number}/26" for number in range(7)]


def test_another_forces_cases_are_never_listed(other_api, three_cases):
    assert _references(other_api.get(URL)) == []


def test_each_listed_case_is_recorded_as_read_by_the_client(
    api, records_system, three_cases
):
    api.get(URL, {"page_size": 2})
    views = AuditEvent.objects.filter(action=AuditAction.VIEW)
    assert sorted(views.values_list("case_id", flat=True)) == sorted(
        case.pk for case in three_cases[:2]
    )
    assert {view.actor_id for view in views} == {str(records_system[0].pk)}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "201"}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
        ({"page_size": "5.0"}, "page_size"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"updated_since": "2026-11-02"}, "updated_since"),
        ({"updated_since": "2026-11-02T10:00:00"}, "updated_since"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "cD0yMDI2"}, "cursor"),  # a position that is not a time
    ],
)
def test_bad_paging_is_refused_by_name(api, three_cases, params, field):
    response = api.get(URL, params)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def _queries(api):
    with CaptureQueriesContext(connection) as queries:
        assert api.get(URL, {"page_size": 200}).status_code == 200
    return len(queries)


def test_the_query_count_does_not_grow_with_the_page(api, force):
    CaseFactory(force=force)
    api.get(URL)  # records the client's last use, which then holds for a minute
    # Token, the page of cases, the audit rows.
    assert _queries(api) == 3
    for _ in range(20):
        CaseFactory(force=force)
    assert _queries(api) == 3


def test_a_page_says_when_each_case_last_changed(api, three_cases):
    first = api.get(URL).json()["results"][0]
    assert datetime.datetime.fromisoformat(first["updated_at"]) == datetime.datetime(
        2026, 11, 1, 10, tzinfo=datetime.UTC
    )


@pytest.mark.parametrize("param", ["updated_since", "page_size", "cursor"])
def test_an_empty_parameter_is_refused_not_ignored(api, three_cases, param):
    response = api.get(f"{URL}?{param}=")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [param]
