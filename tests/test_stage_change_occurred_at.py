"""When a stage change happened: asked in the back office and the API, checked by one
rule (cases.services.occurred_at_errors), and the Code deadline runs from it."""

import datetime

import pytest
from django.utils import timezone

from cases.constants import EntryKind, Stage
from cases.models import Case, TimelineEntry
from cases.working_days import LONDON, add_working_days
from tests.test_admin_case_changes import _case_form

STAGE_URL = "/api/v1/cases/NS0000126/stage-changes"


def _local(moment: datetime.datetime) -> str:
    return moment.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def reported_case(case):
    Case.objects.filter(pk=case.pk).update(
        reported_on=timezone.localdate() - datetime.timedelta(days=30)
    )
    case.refresh_from_db()
    return case


def test_the_back_office_records_when_an_arrest_happened(officer_client, reported_case):
    happened = timezone.now() - datetime.timedelta(days=9)
    response = officer_client.post(
        f"/admin/cases/case/{reported_case.pk}/change/",
        _case_form(
            reported_case,
            stage=Stage.SUSPECT_ARRESTED,
            occurred_at=_local(happened),
        ),
    )
    assert response.status_code == 302, response.context["adminform"].errors
    entry = TimelineEntry.objects.get(kind=EntryKind.STAGE_CHANGE)
    assert entry.occurred_at.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M") == _local(
        happened
    )
    assert entry.code_deadline == add_working_days(entry.occurred_at, 5)
    assert entry.recorded_at > entry.occurred_at + datetime.timedelta(days=8)


def test_the_stage_change_form_asks_when_it_happened(officer_client, case):
    response = officer_client.get(f"/admin/cases/case/{case.pk}/change/")
    page = response.content.decode()
    assert 'name="occurred_at"' in page
    assert 'type="datetime-local"' in page
    assert "When the change of stage happened" in page


@pytest.mark.parametrize(
    ("occurred_at", "message"),
    [
        ("tomorrow", "Enter a valid date/time."),
        ("future", "This cannot be in the future."),
        ("before_report", "This cannot be before the case was reported"),
    ],
)
def test_a_bad_time_is_a_field_error_and_nothing_is_written(
    officer_client, reported_case, occurred_at, message
):
    values = {
        "tomorrow": "tomorrow",
        "future": _local(timezone.now() + datetime.timedelta(days=1)),
        "before_report": _local(timezone.now() - datetime.timedelta(days=40)),
    }
    response = officer_client.post(
        f"/admin/cases/case/{reported_case.pk}/change/",
        _case_form(reported_case, stage=Stage.CHARGED, occurred_at=values[occurred_at]),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors["occurred_at"])
    assert not TimelineEntry.objects.filter(kind=EntryKind.STAGE_CHANGE).exists()
    reported_case.refresh_from_db()
    assert reported_case.stage == Stage.REPORTED


def test_the_api_refuses_a_time_before_the_case_was_reported(api, reported_case):
    before = (timezone.now() - datetime.timedelta(days=40)).isoformat()
    response = api.post(STAGE_URL, {"stage": "charged", "occurred_at": before})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["occurred_at"]
    assert not TimelineEntry.objects.exists()


def test_the_api_and_the_back_office_date_an_arrest_alike(api, reported_case):
    happened = timezone.now() - datetime.timedelta(days=9)
    response = api.post(
        STAGE_URL, {"stage": "suspect_arrested", "occurred_at": happened.isoformat()}
    )
    assert response.status_code == 201, response.json()
    entry = TimelineEntry.objects.get(kind=EntryKind.STAGE_CHANGE)
    assert entry.code_deadline == add_working_days(happened, 5)


def test_the_victims_timeline_shows_when_it_happened(reported_case, officer):
    from cases.services import case_change_stage
    from victims.selectors import victim_timeline

    happened = timezone.now() - datetime.timedelta(days=9)
    case_change_stage(
        case=reported_case, stage=Stage.CHARGED, actor=officer, occurred_at=happened
    )
    shown = victim_timeline(case_id=reported_case.pk)[0]
    assert shown.occurred_at == happened
