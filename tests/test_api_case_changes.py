"""POST .../stage-changes and .../updates: news pushed by a force's records system."""

import datetime

import pytest
from django.utils import timezone

from audit.constants import AuditAction
from audit.models import AuditEvent
from cases.constants import EntryKind, Stage
from cases.models import Case, TimelineEntry
from cases.services import case_change_stage

STAGE_URL = "/api/v1/cases/NS0000126/stage-changes"
UPDATE_URL = "/api/v1/cases/NS0000126/updates"


def _errors(response):
    assert response.status_code == 400, response.content
    return response.json()["errors"]


def test_a_stage_change_is_recorded_told_and_audited(api, records_system, case):
    response = api.post(
        STAGE_URL,
        {"stage": "suspect_arrested", "victim_text": "A man was arrested today."},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "stage_change"
    assert body["stage"] == "suspect_arrested"
    assert body["recorded_by"] == "Niche RMS (API client)"
    assert body["code_deadline"] is not None
    case.refresh_from_db()
    assert case.stage == Stage.SUSPECT_ARRESTED
    assert case.suspect_interviewed
    change = AuditEvent.objects.get(object_type="case", action=AuditAction.CHANGE)
    assert change.actor_kind == "api_client"
    assert change.detail == {"stage_from": "reported", "stage_to": "suspect_arrested"}


def test_without_text_the_victims_are_told_the_stage(api, case):
    api.post(STAGE_URL, {"stage": "charged"})
    entry = TimelineEntry.objects.get(kind=EntryKind.STAGE_CHANGE)
    assert entry.victim_text == "Your case has moved to a new stage: Charged."


def test_closing_needs_a_reason_and_keeps_its_explanation(api, case):
    assert list(_errors(api.post(STAGE_URL, {"stage": "closed"}))) == ["closing_reason"]
    response = api.post(
        STAGE_URL,
        {
            "stage": "closed",
            "closing_reason": "nfa_evidential",
            "closing_explanation": "There was not enough evidence.",
        },
    )
    assert response.status_code == 201
    case.refresh_from_db()
    assert case.closing_explanation == "There was not enough evidence."


def test_an_outcome_needs_an_outcome(api, case):
    assert list(_errors(api.post(STAGE_URL, {"stage": "outcome"}))) == ["outcome"]


def test_a_closed_case_cannot_go_back_to_charged_without_reopening(api, case):
    case_change_stage(
        case=case, stage=Stage.CLOSED, closing_reason="no_suspect", actor=None
    )
    errors = _errors(api.post(STAGE_URL, {"stage": "charged"}))
    assert errors == {
        "stage": ["A closed case can only be reopened, to 'Under investigation'."]
    }
    assert Case.objects.get().stage == Stage.CLOSED
    assert api.post(STAGE_URL, {"stage": "under_investigation"}).status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stage": "arrested"}, "stage"),
        ({"stage": 3}, "stage"),
        ({}, "stage"),
        ({"stage": "reported"}, "stage"),
        ({"stage": "charged", "victim_text": "x" * 2001}, "victim_text"),
        ({"stage": "charged", "staff_note": "x" * 2001}, "staff_note"),
        ({"stage": "charged", "occurred_at": "soon"}, "occurred_at"),
        ({"stage": "charged", "outcome": "convicted"}, "outcome"),
        ({"stage": "charged", "closing_reason": "no_suspect"}, "closing_reason"),
        ({"stage": "charged", "colour": "blue"}, "colour"),
    ],
)
def test_a_bad_stage_change_is_refused_by_field(api, case, body, field):
    assert field in _errors(api.post(STAGE_URL, body))
    assert not TimelineEntry.objects.exists()


def test_a_stage_change_cannot_be_dated_in_the_future(api, case):
    tomorrow = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    errors = _errors(api.post(STAGE_URL, {"stage": "charged", "occurred_at": tomorrow}))
    assert list(errors) == ["occurred_at"]


def test_a_visible_update_is_told_and_restarts_the_interval(api, case):
    response = api.post(UPDATE_URL, {"victim_text": "We have the CCTV."})
    assert response.status_code == 201
    assert response.json()["visible_to_victim"] is True
    case.refresh_from_db()
    assert case.next_update_due > timezone.now() + datetime.timedelta(days=27)
    entry = TimelineEntry.objects.get(kind=EntryKind.UPDATE)
    assert AuditEvent.objects.get(
        object_type="timeline_entry", object_id=str(entry.pk)
    ).actor_kind == ("api_client")


def test_a_staff_only_note_is_kept_from_the_victims(api, case):
    response = api.post(
        UPDATE_URL,
        {"staff_note": "Suspect's alibi checked.", "visible_to_victim": False},
    )
    assert response.status_code == 201
    assert TimelineEntry.objects.get().visible_to_victim is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "victim_text"),
        ({"victim_text": "   "}, "victim_text"),
        ({"visible_to_victim": False}, "staff_note"),
        ({"victim_text": "x" * 2001}, "victim_text"),
        ({"victim_text": "Hi", "visible_to_victim": "false"}, "visible_to_victim"),
        ({"victim_text": 12}, "victim_text"),
        ({"victim_text": "Hi", "kind": "stage_change"}, "kind"),
    ],
)
def test_a_bad_update_is_refused_by_field(api, case, body, field):
    assert field in _errors(api.post(UPDATE_URL, body))
    assert not TimelineEntry.objects.exists()


@pytest.mark.parametrize("url", [STAGE_URL, UPDATE_URL])
def test_another_forces_case_cannot_be_changed(other_api, case, url):
    response = other_api.post(url, {"stage": "charged", "victim_text": "Hi"})
    assert response.status_code == 404
    assert not TimelineEntry.objects.exists()
    assert not AuditEvent.objects.filter(case_id=case.pk).exists()
