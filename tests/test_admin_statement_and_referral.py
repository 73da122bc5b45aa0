"""In the back office the officer in charge sees a victim's request to make a Victim
Personal Statement or to be referred to support, with its clock, records contact,
and records the day the statement was taken or the referral made: never in the
future, never before the request. Another force's staff cannot see it."""

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cases.constants import Stage
from cases.models import Case, SupportService
from cases.working_days import LONDON
from rights.constants import RequestStatus, RightKind
from rights.models import RightRequest
from rights.services import request_make
from tests.factories import CaseVictimFactory, verified_staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(case, officer):
    Case.objects.filter(pk=case.pk).update(
        stage=Stage.CHARGED, officer_in_charge=officer
    )
    return CaseVictimFactory(case=Case.objects.get(pk=case.pk))


def _statement(link, days_ago=0):
    return request_make(
        victim=link.victim,
        case=link.case,
        kind=RightKind.PERSONAL_STATEMENT,
        form_data={
            "details": {
                "statement": "make",
                "reading": "read_myself",
                "availability": "After 6pm",
            }
        },
        recorded_at=timezone.now() - datetime.timedelta(days=days_ago),
    )


def _referral(link, service):
    return request_make(
        victim=link.victim,
        case=link.case,
        kind=RightKind.SUPPORT_REFERRAL,
        form_data={
            "support_service": service,
            "details": {"service_name": service.name, "consent": True},
        },
    )


def _act(client, request, **data):
    return client.post(f"/admin/rights/rightrequest/{request.pk}/act/", data)


def test_the_officer_sees_the_answers_and_the_contact_deadline(officer_client, link):
    request = _statement(link)
    html = officer_client.get(f"/admin/rights/rightrequest/{request.pk}/act/")
    text = html.content.decode()
    assert "Free to be contacted: After 6pm" in text
    assert "Reading it aloud: I would like to read it aloud in court myself" in text
    assert "Right 7: victim contacted about a personal statement" in text
    assert "Record that the victim was contacted" in text


def test_the_officer_records_contact_then_the_day_the_statement_was_taken(
    officer_client, link, officer
):
    request = _statement(link, days_ago=10)
    assert _act(officer_client, request, action="acknowledge").status_code == 303
    taken = timezone.localdate() - datetime.timedelta(days=3)
    response = _act(
        officer_client,
        request,
        action="outcome",
        outcome="statement_taken",
        done_on=taken.strftime("%d/%m/%Y"),
    )
    assert response.status_code == 303
    request.refresh_from_db()
    assert request.status == RequestStatus.DONE
    assert request.done_at == datetime.datetime.combine(
        taken, datetime.time(23, 59, 59), tzinfo=LONDON
    )
    assert AuditEvent.objects.filter(
        object_type="right_request",
        object_id=str(request.pk),
        actor_id=str(officer.pk),
    ).exists()


def test_a_day_before_the_request_or_in_the_future_is_refused(officer_client, link):
    request = _statement(link, days_ago=2)
    for day in (
        timezone.localdate() - datetime.timedelta(days=5),
        timezone.localdate() + datetime.timedelta(days=1),
    ):
        response = _act(
            officer_client,
            request,
            action="outcome",
            outcome="statement_taken",
            done_on=day.strftime("%d/%m/%Y"),
        )
        assert response.status_code == 400
        assert "between when the request was made and today" in (
            response.content.decode()
        )
    request.refresh_from_db()
    assert request.status == RequestStatus.RECEIVED
    assert request.acknowledge_clock.told_at is None


def test_staff_record_a_referral_and_its_clock_is_met(officer_client, link, force):
    service = SupportService.objects.create(force=force, name="Northshire Care")
    request = _referral(link, service)
    response = _act(officer_client, request, action="outcome", outcome="referred")
    assert response.status_code == 303
    request.refresh_from_db()
    assert request.done_clock.told_at == request.done_at
    assert request.done_clock.told_at <= request.done_clock.deadline


def test_another_forces_staff_cannot_see_or_record_it(client, link, other_officer):
    request = _statement(link)
    other = verified_staff_client(client, other_officer)
    assert other.get(f"/admin/rights/rightrequest/{request.pk}/act/").status_code == (
        404
    )
    assert _act(other, request, action="acknowledge").status_code == 404
    assert RightRequest.objects.get().status == RequestStatus.RECEIVED
