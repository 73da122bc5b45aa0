"""A signed-in victim asks for a review of a decision to close their case, or makes
a complaint, on GOV.UK question and check-answers pages; the case page says what
they may do, how and by when, and where their request is."""

import datetime

import pytest
from django.utils import timezone

from cases.constants import ClosingReason, Stage
from cases.services import case_change_stage
from rights.constants import TEXT_MAX_LENGTH, RequestStatus, RightKind
from rights.models import RightRequest
from tests.factories import StaffFactory
from tests.portal import sign_in, views_written

pytestmark = pytest.mark.usefixtures("portal")

REFERENCE = "NS/00001/26"
EMAIL = "victim@example.com"


@pytest.fixture
def victim_client(client, django_capture_on_commit_callbacks, portal, victim_on_case):
    sign_in(client, django_capture_on_commit_callbacks, portal, REFERENCE, EMAIL)
    return client


def _close_after_interview(case, *, when=None):
    officer = StaffFactory(force=case.force)
    case.suspect_interviewed = True
    case.save(update_fields=["suspect_interviewed"])
    case_change_stage(
        case=case,
        stage=Stage.CLOSED,
        actor=officer,
        closing_reason=ClosingReason.NFA_EVIDENTIAL,
        recorded_at=when,
        occurred_at=when,
    )
    return officer


def test_the_case_page_says_a_victim_may_ask_for_a_review_and_by_when(
    victim_client, case
):
    _close_after_interview(case)
    html = victim_client.get("/case/").content.decode()
    assert "You can ask for this decision to be reviewed" in html
    assert "ask by " in html
    assert 'href="/case/rights/review/"' in html


def test_no_review_is_offered_on_a_case_the_scheme_does_not_cover(victim_client, case):
    html = victim_client.get("/case/").content.decode()
    assert "You can ask for this decision to be reviewed" not in html
    response = victim_client.get("/case/rights/review/")
    assert response.status_code == 403
    assert "You cannot make this request" in response.content.decode()


def test_a_victim_asks_for_a_review_checks_the_answers_and_sends_it(
    victim_client, case
):
    _close_after_interview(case)
    response = victim_client.post(
        "/case/rights/review/",
        {"text": "The witness was never spoken to.", "reply_channel": "email"},
    )
    assert response.status_code == 303
    assert response["Location"] == "/case/rights/review/check/"
    check = victim_client.get("/case/rights/review/check/").content.decode()
    assert "The witness was never spoken to." in check
    assert "By email" in check
    assert not RightRequest.objects.exists()  # nothing is written before sending

    response = victim_client.post("/case/rights/review/check/")
    assert response.status_code == 303
    done = victim_client.get(response["Location"]).content.decode()
    assert "Review request sent" in done
    request = RightRequest.objects.get()
    assert request.kind == RightKind.REVIEW
    assert request.status == RequestStatus.RECEIVED

    html = victim_client.get("/case/").content.decode()
    assert "Your request for a review" in html
    assert "We received your request" in html
    # Asking again is refused with what to do instead.
    again = victim_client.get("/case/rights/review/").content.decode()
    assert "You have already made this request" in again


def test_a_missing_or_too_long_answer_gets_a_specific_error_and_is_kept(
    victim_client, case
):
    _close_after_interview(case)
    response = victim_client.post("/case/rights/review/", {"text": ""})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Enter your answer." in html
    assert "Choose how you would like to hear back from us." in html

    long_text = "x" * (TEXT_MAX_LENGTH + 1)
    response = victim_client.post(
        "/case/rights/review/", {"text": long_text, "reply_channel": "portal"}
    )
    html = response.content.decode()
    assert "Your answer must be 5,000 characters or fewer." in html
    assert long_text in html  # kept, to shorten
    assert 'value="portal" checked' in html


def test_a_channel_the_victim_did_not_say_is_safe_is_not_offered(
    victim_client, case, victim_on_case
):
    victim = victim_on_case.victim
    victim.contact_preference = "email"
    victim.save(update_fields=["contact_preference"])
    _close_after_interview(case)
    html = victim_client.get("/case/rights/review/").content.decode()
    assert 'value="email"' in html
    assert 'value="sms"' not in html
    assert 'value="phone"' not in html


def test_after_the_window_closes_the_form_says_so_and_what_else_to_do(
    victim_client, case
):
    long_ago = timezone.now() - datetime.timedelta(days=120)
    _close_after_interview(case, when=long_ago)
    html = victim_client.get("/case/").content.decode()
    assert "The time to ask for a review has passed" in html
    page = victim_client.get("/case/rights/review/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "The time to ask for a review has passed" in text
    assert "Complain about how your case was handled" in text
    late = victim_client.post(
        "/case/rights/review/", {"text": "Please", "reply_channel": "portal"}
    )
    assert "The time to ask for a review has passed" in late.content.decode()
    assert not RightRequest.objects.exists()


def test_a_victim_makes_a_complaint_and_is_told_how_to_escalate(victim_client):
    html = victim_client.get("/case/").content.decode()
    assert "Complain about how your case was handled" in html
    assert "Parliamentary and Health Service Ombudsman" in html
    victim_client.post(
        "/case/rights/complaint/",
        {"text": "Nobody returned my calls.", "reply_channel": "portal"},
    )
    response = victim_client.post("/case/rights/complaint/check/")
    assert response.status_code == 303
    done = victim_client.get(response["Location"]).content.decode()
    assert "Complaint sent" in done
    assert "professional standards department" in done
    assert RightRequest.objects.get().kind == RightKind.COMPLAINT


def test_the_pages_need_a_signed_in_victim(client):
    for url in ("/case/rights/review/", "/case/rights/complaint/check/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == "/sign-in/"


def test_an_unknown_kind_is_not_found(victim_client):
    assert victim_client.get("/case/rights/parole/").status_code == 404


def test_opening_a_request_page_is_audited_but_does_not_count_as_told(victim_client):
    from audit.models import AuditEvent

    assert victim_client.get("/case/rights/complaint/").status_code == 200
    views_written()
    row = AuditEvent.objects.filter(action="view").order_by("-id").first()
    assert row.detail == {"page": "rights_complaint"}
    # Only pages showing the case's updates tell the victim of them.
    assert row.object_type == "victim"
