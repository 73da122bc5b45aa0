"""A force's records system reads its cases' Victims' Code requests and records
their outcomes, under the back office's rules."""

import pytest

from audit.models import AuditEvent
from cases.constants import ClosingReason, Stage
from cases.services import case_change_stage
from rights.constants import RequestStatus, RightKind
from rights.services import request_make
from tests.factories import CaseFactory, CaseVictimFactory, StaffFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/cases/NS-00001-26/requests"


@pytest.fixture
def complaint(case):
    link = CaseVictimFactory(case=case, victim__external_reference="P-7")
    return request_make(
        victim=link.victim,
        case=case,
        kind=RightKind.COMPLAINT,
        form_data={"text": "Nobody called back.", "reply_channel": "email"},
    )


@pytest.fixture
def review(force, case):
    decider = StaffFactory(force=force, username="decider")
    case_change_stage(case=case, stage=Stage.SUSPECT_ARRESTED, actor=decider)
    case_change_stage(
        case=case,
        stage=Stage.CLOSED,
        actor=decider,
        closing_reason=ClosingReason.NFA_EVIDENTIAL,
    )
    case.refresh_from_db()
    link = CaseVictimFactory(case=case, victim__external_reference="P-8")
    return request_make(
        victim=link.victim,
        case=case,
        kind=RightKind.REVIEW,
        form_data={"text": "I disagree.", "reply_channel": "portal"},
    )


def test_the_records_system_reads_a_cases_requests_and_the_read_is_audited(
    api, complaint
):
    response = api.get(URL)
    assert response.status_code == 200
    [item] = response.json()["results"]
    assert item["kind"] == "complaint"
    assert item["victim_reference"] == "P-7"
    assert item["text"] == "Nobody called back."
    assert item["acknowledge_by"] is not None
    assert item["done_by"] is None
    assert AuditEvent.objects.filter(
        object_type="right_request", object_id=str(complaint.pk), action="view"
    ).exists()


def test_another_force_cannot_read_them(other_api, complaint):
    assert other_api.get(URL).status_code == 404


def test_the_records_system_records_a_complaint_answered(api, complaint):
    response = api.post(
        f"{URL}/{complaint.pk}/outcome",
        {"outcome": "answered", "note": "We are sorry."},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == RequestStatus.DONE
    complaint.refresh_from_db()
    assert complaint.acknowledge_clock.told_at is not None


def test_an_outcome_of_another_kind_is_refused_with_a_specific_error(api, complaint):
    response = api.post(
        f"{URL}/{complaint.pk}/outcome", {"outcome": "upheld"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "outcome": ["Choose an outcome for this kind of request."]
    }


def test_a_review_needs_a_reviewer_independent_of_the_decision(api, review):
    url = f"{URL}/{review.pk}/outcome"
    response = api.post(url, {"outcome": "upheld"}, format="json")
    assert response.status_code == 400
    assert "reviewer_username" in response.json()["errors"]
    response = api.post(
        url, {"outcome": "upheld", "reviewer_username": "decider"}, format="json"
    )
    assert response.status_code == 400
    assert "made the decision" in response.json()["errors"]["reviewer_username"][0]
    review.refresh_from_db()
    assert review.status == RequestStatus.RECEIVED
    assert review.assigned_to is None


def test_a_review_overturned_through_the_api_reopens_the_case(api, force, review):
    StaffFactory(force=force, username="reviewer")
    response = api.post(
        f"{URL}/{review.pk}/outcome",
        {"outcome": "overturned", "reviewer_username": "reviewer"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["assigned_to"] == "reviewer"
    review.case.refresh_from_db()
    assert review.case.stage == Stage.UNDER_INVESTIGATION


def test_a_request_of_another_case_is_not_found(api, force, complaint):
    CaseFactory(force=force, crime_reference="NS/00002/26")
    response = api.post(
        f"/api/v1/cases/NS-00002-26/requests/{complaint.pk}/outcome",
        {"outcome": "answered"},
        format="json",
    )
    assert response.status_code == 404
