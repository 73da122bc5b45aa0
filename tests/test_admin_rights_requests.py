"""Staff see victims' Victims' Code requests with their clocks, assign a reviewer
(never the officer who made the decision), acknowledge and record the outcome; the
victim is told at each step, and a review overturned reopens the investigation."""

import pytest

from accounts.constants import StaffGroup
from audit.models import AuditEvent
from cases.constants import ClosingReason, Stage
from cases.services import case_change_stage
from notifications.constants import MessageKind
from notifications.models import Notification
from rights.constants import RequestStatus, RightKind
from rights.services import request_make
from tests.factories import (
    CaseFactory,
    CaseVictimFactory,
    StaffFactory,
    verified_staff_client,
)

pytestmark = pytest.mark.django_db
ADDRESS = "192.0.2.55"
# The victim said email and text messages are safe: each step is told on both.
CHANNELS = 2


@pytest.fixture
def decider(force):
    return StaffFactory(force=force, username="decider", group=StaffGroup.OFFICER)


@pytest.fixture
def reviewer(force):
    return StaffFactory(force=force, username="reviewer", group=StaffGroup.OFFICER)


@pytest.fixture
def review(case, decider):
    link = CaseVictimFactory(case=case)
    case_change_stage(case=case, stage=Stage.SUSPECT_ARRESTED, actor=decider)
    case_change_stage(
        case=case,
        stage=Stage.CLOSED,
        actor=decider,
        closing_reason=ClosingReason.NFA_PUBLIC_INTEREST,
    )
    case.refresh_from_db()
    return request_make(
        victim=link.victim,
        case=case,
        kind=RightKind.REVIEW,
        form_data={"text": "I disagree.", "reply_channel": "portal"},
    )


@pytest.fixture
def supervisor_client(client, supervisor):
    return verified_staff_client(client, supervisor)


def _act(client, review, **data):
    return client.post(
        f"/admin/rights/rightrequest/{review.pk}/act/", data, REMOTE_ADDR=ADDRESS
    )


def _told(review) -> int:
    """Messages queued to the victim about the request; each is then taken out of
    the queue, so that the next step's message is a new row (one still waiting
    already says there is an update, and nothing is added)."""
    rows = Notification.objects.filter(
        kind=MessageKind.REQUEST_UPDATE, victim_id=review.victim_id
    )
    rows.update(status="cancelled")
    return rows.count()


def test_the_list_shows_requests_with_both_clocks(supervisor_client, review):
    html = supervisor_client.get("/admin/rights/rightrequest/").content.decode()
    assert review.case.crime_reference in html
    assert "acknowledge by" in html.lower()
    assert "deal with by" in html.lower()


def test_the_late_filter_refuses_a_value_it_does_not_know(supervisor_client, review):
    response = supervisor_client.get("/admin/rights/rightrequest/?late=maybe")
    assert response.status_code in (200, 302)
    assert "?e=1" in response.get("Location", "?e=1")


def test_the_officer_who_made_the_decision_cannot_be_the_reviewer(
    supervisor_client, review, decider
):
    response = _act(supervisor_client, review, action="assign", assigned_to=decider.pk)
    assert response.status_code == 400
    assert "made the decision or is in charge of the case" in response.content.decode()
    review.refresh_from_db()
    assert review.assigned_to is None


def test_an_officer_cannot_assign_a_reviewer(client, officer, review, reviewer):
    staff = verified_staff_client(client, officer)
    response = _act(staff, review, action="assign", assigned_to=reviewer.pk)
    assert response.status_code == 403


def test_another_forces_staff_cannot_open_the_request(client, other_officer, review):
    staff = verified_staff_client(client, other_officer)
    assert staff.get(f"/admin/rights/rightrequest/{review.pk}/act/").status_code == 404


def test_a_reviewer_is_assigned_acknowledges_and_overturns_and_the_case_reopens(
    supervisor_client, client, review, reviewer
):
    told = _told(review)
    response = _act(supervisor_client, review, action="assign", assigned_to=reviewer.pk)
    assert response.status_code == 303
    review.refresh_from_db()
    assert review.assigned_to == reviewer

    reviewer_client = verified_staff_client(client, reviewer)
    assert _act(reviewer_client, review, action="acknowledge").status_code == 303
    review.refresh_from_db()
    assert review.status == RequestStatus.ACKNOWLEDGED
    assert review.acknowledge_clock.told_at == review.acknowledged_at
    assert _told(review) == told + CHANNELS

    response = _act(
        reviewer_client,
        review,
        action="outcome",
        outcome="overturned",
        note="The witness will be interviewed.",
    )
    assert response.status_code == 303
    review.refresh_from_db()
    assert review.status == RequestStatus.DONE
    assert review.done_clock.told_at is not None
    assert _told(review) == told + 2 * CHANNELS
    review.case.refresh_from_db()
    assert review.case.stage == Stage.UNDER_INVESTIGATION
    assert review.case.timeline.filter(
        stage=Stage.UNDER_INVESTIGATION, visible_to_victim=True
    ).exists()
    rows = AuditEvent.objects.filter(
        object_type="right_request", object_id=str(review.pk), action="change"
    )
    assert rows.count() == 3
    assert {row.ip_address for row in rows} == {ADDRESS}


def test_a_review_decision_needs_a_reviewer_first(client, reviewer, review):
    staff = verified_staff_client(client, reviewer)
    response = _act(staff, review, action="outcome", outcome="upheld")
    assert response.status_code == 400
    assert "Assign a reviewer before recording the decision." in (
        response.content.decode()
    )


def test_an_outcome_of_another_kind_is_refused(supervisor_client, force):
    link = CaseVictimFactory(case=CaseFactory(force=force))
    complaint = request_make(
        victim=link.victim,
        case=link.case,
        kind=RightKind.COMPLAINT,
        form_data={"text": "Nobody called.", "reply_channel": "portal"},
    )
    response = _act(supervisor_client, complaint, action="outcome", outcome="upheld")
    assert response.status_code == 400
    complaint.refresh_from_db()
    assert complaint.status == RequestStatus.RECEIVED
    response = _act(
        supervisor_client,
        complaint,
        action="outcome",
        outcome="answered",
        note="We are sorry.",
    )
    assert response.status_code == 303
    complaint.refresh_from_db()
    assert complaint.acknowledge_clock.told_at is not None
