"""Right 7: from charge until sentence, a signed-in victim asks to make (or add to) a
Victim Personal Statement, says whether they would like it read aloud and when they
are free; the officer in charge must contact them within the force's working days
(5 unless the force says otherwise), and records when the statement was taken."""

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cases.compliance import code_compliance
from cases.constants import CodeClockKind, Outcome, Stage
from cases.models import Case, CodeClock
from cases.working_days import LONDON
from notifications.constants import MessageKind
from notifications.models import Notification
from rights.constants import RequestOutcome, RequestStatus, RightKind
from rights.models import RightRequest
from rights.services import (
    RequestRefused,
    request_acknowledge,
    request_make,
    request_record_outcome,
)
from tests.factories import CaseVictimFactory
from tests.portal import outbox_messages, sign_in, views_written
from trackmycrime.rate_limits import rate_limits_hit

pytestmark = pytest.mark.usefixtures("portal")

REFERENCE = "NS/00001/26"
EMAIL = "victim@example.com"
BASE = "/case/rights/personal-statement/"
AVAILABILITY = "Weekday mornings <before 11>, not Fridays"
ANSWERS = {"statement": "make", "reading": "read_myself", "availability": "Mornings"}


def _set_stage(case, stage, **extra):
    """Saved as staff save it, so that the victim's cached pages end with it."""
    case = Case.objects.get(pk=case.pk)
    case.stage = stage
    for name, value in extra.items():
        setattr(case, name, value)
    case.save()


@pytest.fixture
def charged(case, officer):
    case.officer_in_charge = officer
    case.save()
    _set_stage(case, Stage.CHARGED)
    case.refresh_from_db()
    return case


@pytest.fixture
def victim_client(client, django_capture_on_commit_callbacks, portal, victim_on_case):
    sign_in(client, django_capture_on_commit_callbacks, portal, REFERENCE, EMAIL)
    return client


def _answer_every_question(client, availability=AVAILABILITY):
    assert client.post(BASE, {"statement": "make"}).status_code == 303
    assert client.post(BASE + "reading/", {"reading": "read_for_me"}).status_code == 303
    response = client.post(BASE + "contact/", {"availability": availability})
    assert response.status_code == 303
    assert response["Location"] == BASE + "check/"


def _make(link, answers=ANSWERS, at=None):
    return request_make(
        victim=link.victim,
        case=link.case,
        kind=RightKind.PERSONAL_STATEMENT,
        form_data={"details": dict(answers)},
        recorded_at=at,
    )


def test_the_case_page_offers_it_from_charge_until_sentence(
    victim_client, case, charged
):
    assert (
        "Ask to make a Victim Personal Statement"
        in victim_client.get("/case/").content.decode()
    )
    for stage in (Stage.AWAITING_COURT, Stage.AT_COURT):
        _set_stage(case, stage)
        assert (
            "Victim Personal Statement" in victim_client.get("/case/").content.decode()
        )
    _set_stage(case, Stage.OUTCOME, outcome=Outcome.CONVICTED)
    assert (
        "Victim Personal Statement" not in victim_client.get("/case/").content.decode()
    )


def test_before_charge_the_case_page_does_not_offer_it(victim_client, case):
    _set_stage(case, Stage.UNDER_INVESTIGATION)
    assert (
        "Victim Personal Statement" not in victim_client.get("/case/").content.decode()
    )


def test_a_victim_asks_and_checks_their_answers_before_sending(
    victim_client, charged, victim_on_case
):
    _answer_every_question(victim_client)
    check = victim_client.get(BASE + "check/").content.decode()
    assert "I would like someone to read it aloud for me" in check
    assert "Weekday mornings &lt;before 11&gt;, not Fridays" in check  # escaped
    assert "within 5 working days" in check

    response = victim_client.post(BASE + "check/")
    assert response.status_code == 303
    assert response["Location"] == BASE + "sent/"
    assert "We have your request" in victim_client.get(BASE + "sent/").content.decode()

    request = RightRequest.objects.get()
    assert request.kind == RightKind.PERSONAL_STATEMENT
    assert request.victim_id == victim_on_case.victim_id
    assert request.details == {
        "statement": "make",
        "reading": "read_for_me",
        "availability": AVAILABILITY,
    }
    assert AuditEvent.objects.filter(
        object_type="right_request", object_id=str(request.pk), action="create"
    ).exists()
    page = victim_client.get("/case/").content.decode()
    assert "You asked on" in page and "to make a Victim Personal Statement" in page


def test_a_change_link_comes_back_to_check_answers(victim_client, charged):
    _answer_every_question(victim_client)
    response = victim_client.post(BASE + "reading/?change=1", {"reading": "not_read"})
    assert response["Location"] == BASE + "check/"
    assert (
        "I do not want it read aloud"
        in victim_client.get(BASE + "check/").content.decode()
    )


def test_check_answers_sends_back_to_the_first_question_when_answers_are_missing(
    victim_client, charged
):
    response = victim_client.get(BASE + "check/")
    assert response.status_code == 303
    assert response["Location"] == BASE


def test_an_unanswered_question_gets_a_specific_error(victim_client, charged):
    response = victim_client.post(BASE + "reading/", {})
    assert response.status_code == 400
    assert "Select whether you would like your statement read aloud" in (
        response.content.decode()
    )


def test_an_over_long_answer_is_refused_and_kept(victim_client, charged):
    long_text = "x" * 501
    response = victim_client.post(BASE + "contact/", {"availability": long_text})
    assert response.status_code == 400
    html = response.content.decode()
    assert "must be 500 characters or fewer" in html
    assert long_text in html  # the answer is kept
    assert not RightRequest.objects.exists()


def test_before_charge_the_pages_say_it_is_too_early(victim_client, case):
    _set_stage(case, Stage.SUSPECT_ARRESTED)
    response = victim_client.get(BASE)
    assert response.status_code == 403
    assert "once someone has been charged" in response.content.decode()


def test_after_sentence_the_pages_say_it_is_too_late(victim_client, charged):
    _answer_every_question(victim_client)
    _set_stage(charged, Stage.OUTCOME, outcome=Outcome.CONVICTED)
    response = victim_client.post(BASE + "check/")
    assert response.status_code == 403
    assert "too late" in response.content.decode()
    assert not RightRequest.objects.exists()


def test_the_service_refuses_outside_the_window_and_writes_nothing(
    victim_on_case, case
):
    _set_stage(case, Stage.REPORTED)
    with pytest.raises(RequestRefused) as refused:
        _make(victim_on_case)
    assert refused.value.code == "not_yet_charged"
    _set_stage(case, Stage.CLOSED, closing_reason="outcome_reached")
    with pytest.raises(RequestRefused) as refused:
        _make(victim_on_case)
    assert refused.value.code == "sentenced"
    assert not RightRequest.objects.exists()
    assert not CodeClock.objects.exists()


def test_a_second_request_while_one_is_open_is_refused(
    victim_client, charged, victim_on_case
):
    _answer_every_question(victim_client)
    _make(victim_on_case)  # e.g. from another tab
    response = victim_client.post(BASE + "check/")
    assert "You have already made this request" in response.content.decode()
    assert victim_client.get(BASE).status_code == 200  # says so, asks nothing
    assert "You have already made this request" in (
        victim_client.get(BASE).content.decode()
    )
    with pytest.raises(RequestRefused) as refused:
        _make(victim_on_case)
    assert refused.value.code == "duplicate"
    assert RightRequest.objects.count() == 1


def test_after_the_statement_is_taken_the_victim_may_ask_to_add_to_it(
    victim_client, charged, victim_on_case, officer
):
    request = _make(victim_on_case)
    request_record_outcome(
        request=request, actor=officer, outcome=RequestOutcome.STATEMENT_TAKEN
    )
    page = victim_client.get("/case/").content.decode()
    assert "Your statement was taken on" in page
    assert "Ask to add to your statement" in page
    assert victim_client.post(BASE, {"statement": "add"}).status_code == 303


def test_too_many_requests_are_refused_calmly_and_the_answers_wait(
    victim_client, charged, victim_on_case
):
    from django.core.cache import cache

    from rights.constants import VICTIM_REQUEST_LIMITS

    _answer_every_question(victim_client)
    for _ in range(VICTIM_REQUEST_LIMITS[0].hits):
        rate_limits_hit(
            limits=VICTIM_REQUEST_LIMITS,
            identifiers={"victim": str(victim_on_case.victim_id)},
        )
    response = victim_client.post(BASE + "check/")
    assert response.status_code == 403
    assert "Try again later" in response.content.decode()
    assert not RightRequest.objects.exists()
    cache.clear()  # the window ends
    assert "Weekday mornings" in victim_client.get(BASE + "check/").content.decode()


def test_the_officer_must_make_contact_within_the_forces_working_days(
    charged, victim_on_case, force
):
    force.vps_contact_working_days = 3
    force.save()
    # Monday 7 December 2026, 10:00: three working days is the end of Thursday.
    made = datetime.datetime(2026, 12, 7, 10, tzinfo=LONDON)
    request = _make(victim_on_case, at=made)
    clock = request.acknowledge_clock
    assert clock.kind == CodeClockKind.PERSONAL_STATEMENT_CONTACT
    assert clock.deadline == datetime.datetime(2026, 12, 10, 23, 59, 59, tzinfo=LONDON)


def test_the_contact_deadline_skips_christmas_and_new_year(charged, victim_on_case):
    # Thursday 24 December 2026: Christmas (Fri), Boxing Day's substitute (Mon 28)
    # and New Year's Day (Fri 1 January) do not count; 5 working days is Tue 5 Jan.
    made = datetime.datetime(2026, 12, 24, 16, tzinfo=LONDON)
    request = _make(victim_on_case, at=made)
    assert request.acknowledge_clock.deadline == datetime.datetime(
        2027, 1, 5, 23, 59, 59, tzinfo=LONDON
    )


def test_contact_recorded_by_the_officer_meets_the_clock_and_the_victim_sees_it(
    victim_client, charged, victim_on_case, officer
):
    request = _make(victim_on_case)
    request_acknowledge(request=request, actor=officer)
    request.refresh_from_db()
    assert request.status == RequestStatus.ACKNOWLEDGED
    assert request.acknowledge_clock.told_at == request.acknowledged_at
    page = victim_client.get("/case/").content.decode()
    assert "The officer in charge contacted you about your statement on" in page


def test_a_request_not_dealt_with_by_its_deadline_counts_late(
    charged, victim_on_case, force
):
    made = timezone.now() - datetime.timedelta(days=20)
    _make(victim_on_case, at=made)
    figures = code_compliance(force_id=force.pk, days=30)
    kinds = {row.key: row for row in figures.by_kind}
    row = kinds[CodeClockKind.PERSONAL_STATEMENT_CONTACT]
    assert row.late == 1 and row.on_time == 0
    assert [event.case_id for event in figures.late] == [charged.pk]


def test_the_victim_is_told_without_any_detail_of_the_request(
    charged, victim_on_case, django_capture_on_commit_callbacks, portal
):
    with django_capture_on_commit_callbacks(execute=True):
        _make(victim_on_case, answers={**ANSWERS, "availability": AVAILABILITY})
    told = Notification.objects.filter(kind=MessageKind.REQUEST_UPDATE)
    assert told.exists()
    for message in outbox_messages(portal):
        assert "Weekday mornings" not in message["body"]
        assert "Personal Statement" not in message["body"]
        assert REFERENCE not in message["body"]


def test_another_victims_request_is_not_shown(victim_client, charged):
    other = CaseVictimFactory(case=charged)
    _make(other)
    page = victim_client.get("/case/").content.decode()
    assert "You asked on" not in page
    assert "Ask to make a Victim Personal Statement" in page


def test_nobody_signed_in_is_sent_to_sign_in(client, charged):
    response = client.get(BASE)
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/"


def test_a_question_page_is_audited_as_a_view_of_the_victims_own_details(
    victim_client, charged, victim_on_case
):
    victim_client.get(BASE)
    views_written()
    event = AuditEvent.objects.filter(
        action="view", detail__page="rights_personal_statement"
    ).get()
    assert event.object_type == "victim"
    assert event.object_id == str(victim_on_case.victim_id)
