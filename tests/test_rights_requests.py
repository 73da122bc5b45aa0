"""The record of a victim's Victims' Code request, and its deadlines."""

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cases.constants import ClosingReason, CodeClockKind, Stage
from cases.models import CodeClock
from cases.services import case_change_stage
from notifications.constants import MessageKind
from notifications.models import Notification
from rights.constants import ReplyChannel, RequestStatus, RightKind
from rights.models import RightRequest
from rights.services import RequestRefused, request_make
from tests.factories import CaseVictimFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(case):
    return CaseVictimFactory(case=case)


def test_a_complaint_is_recorded_with_its_deadline_and_the_victim_is_told(link):
    made = timezone.now()
    request = request_make(
        victim=link.victim,
        case=link.case,
        kind=RightKind.COMPLAINT,
        form_data={"text": "Nobody called me back.", "reply_channel": "email"},
        recorded_at=made,
    )
    assert request.status == RequestStatus.RECEIVED
    assert request.reply_channel == ReplyChannel.EMAIL
    clock = CodeClock.objects.get(pk=request.acknowledge_clock_id)
    assert clock.kind == CodeClockKind.COMPLAINT_ANSWERED
    assert clock.deadline > made + datetime.timedelta(days=13)
    assert AuditEvent.objects.filter(
        object_type="right_request", object_id=str(request.pk), action="create"
    ).exists()
    assert Notification.objects.filter(
        kind=MessageKind.REQUEST_UPDATE, victim=link.victim
    ).exists()


def test_a_second_open_request_of_the_same_kind_is_refused_and_nothing_written(link):
    form = {"text": "First", "reply_channel": "portal"}
    request_make(
        victim=link.victim, case=link.case, kind=RightKind.COMPLAINT, form_data=form
    )
    with pytest.raises(RequestRefused) as refused:
        request_make(
            victim=link.victim, case=link.case, kind=RightKind.COMPLAINT, form_data=form
        )
    assert refused.value.code == "duplicate"
    assert RightRequest.objects.count() == 1
    assert CodeClock.objects.count() == 1


def test_a_review_is_refused_on_a_case_the_scheme_does_not_cover(link):
    with pytest.raises(RequestRefused) as refused:
        request_make(
            victim=link.victim,
            case=link.case,
            kind=RightKind.REVIEW,
            form_data={"text": "I disagree", "reply_channel": "portal"},
        )
    assert refused.value.code == "not_eligible"
    assert not RightRequest.objects.exists()


def test_a_review_on_a_case_closed_after_an_interview_is_recorded_with_two_clocks(
    link, force
):
    officer = StaffFactory(force=force)
    case = link.case
    case.suspect_interviewed = True
    case.save(update_fields=["suspect_interviewed"])
    case_change_stage(
        case=case,
        stage=Stage.CLOSED,
        actor=officer,
        closing_reason=ClosingReason.NFA_EVIDENTIAL,
    )
    case.refresh_from_db()
    request = request_make(
        victim=link.victim,
        case=case,
        kind=RightKind.REVIEW,
        form_data={"text": "I disagree", "reply_channel": "portal"},
    )
    assert request.acknowledge_clock.kind == CodeClockKind.REVIEW_ACKNOWLEDGED
    assert request.done_clock.kind == CodeClockKind.REVIEW_DECIDED


def test_erasing_a_victim_scrubs_their_details_from_their_requests(link):
    from privacy.constants import ErasureReason
    from privacy.services import victim_erase

    victim = link.victim
    request = request_make(
        victim=victim,
        case=link.case,
        kind=RightKind.COMPLAINT,
        form_data={
            "text": f"I am {victim.full_name}, write to {victim.email}.",
            "reply_channel": "portal",
        },
    )
    victim_erase(victim=victim, reason=ErasureReason.VICTIM_ASKED, actor=None)
    request.refresh_from_db()
    assert victim.email not in request.text
    assert "Person" not in request.text
