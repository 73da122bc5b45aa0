"""A victim is offered a short anonymous survey where they already are: on the case
page, and after key moments in their case (invited in a message
that says nothing about the crime). They answer or say no thanks, once per wave."""

import datetime
import re

import pytest
from django.test import Client

from audit.models import AuditEvent
from cases.constants import ClosingReason, Stage
from cases.services import case_add_update, case_change_stage
from feedback.constants import OfferState, Via, Wave
from feedback.models import (
    FeedbackCount,
    FeedbackOffer,
    FeedbackResponse,
    PendingAnswer,
)
from feedback.pool import pool_open
from feedback.services import feedback_invitations_send, feedback_pool_flush
from notifications.constants import MessageKind
from notifications.models import Notification
from tests.factories import CaseVictimFactory
from tests.portal import outbox_messages, sign_in

pytestmark = pytest.mark.usefixtures("portal")

REFERENCE = "NS/00001/26"
EMAIL = "victim@example.com"
ANSWERS = {
    "overall": "4",
    "informed": "2",
    "fairness": "5",
    "contact": "3",
    "improve": "Call me back when you say you will.",
}


@pytest.fixture
def victim_client(client, django_capture_on_commit_callbacks, portal, victim_on_case):
    sign_in(client, django_capture_on_commit_callbacks, portal, REFERENCE, EMAIL)
    return client


def _answer(client, callbacks, wave=Wave.CASE_PAGE, url="/your-say/", **answers):
    with callbacks(execute=True):
        return client.post(url, {"wave": wave, **(answers or ANSWERS)})


def test_the_case_page_offers_the_survey_in_a_small_panel(victim_client):
    html = victim_client.get("/case/").content.decode()
    assert "Tell us how we are doing" in html
    assert 'href="/your-say/"' in html
    assert "No thanks" in html


def test_the_survey_says_what_anonymous_means_before_the_first_question(
    victim_client,
):
    html = victim_client.get("/your-say/").content.decode()
    anonymous = html.index("What anonymous means here")
    assert "Staff cannot see who answered." in html
    assert "changes nothing about your case" in html
    assert anonymous < html.index(
        "Overall, how did you feel about the service you received?"
    )
    for wording in (
        "I have been kept informed of the progress of my case",
        "I was treated with fairness and respect",
        "It was easy to contact the police about my case",
        "How could we improve this service?",
        "Do not include names, addresses or phone numbers",
        "You can enter up to 1,200 characters",
        "Very satisfied",
        "Strongly disagree",
    ):
        assert wording in html


def test_an_answer_waits_sealed_in_the_pool_and_names_no_one(
    victim_client, django_capture_on_commit_callbacks, victim_on_case
):
    audit_before = AuditEvent.objects.count()
    messages_before = Notification.objects.count()
    response = _answer(victim_client, django_capture_on_commit_callbacks)
    assert response.status_code == 303
    assert response["Location"] == "/your-say/thank-you/"
    (pending,) = PendingAnswer.objects.all()
    assert "Call me back" not in pending.sealed
    payload = pool_open(pending.sealed)
    assert set(payload) == {
        "force",
        "offence_group",
        "stage_group",
        "wave",
        "language",
        "via",
        "overall",
        "informed",
        "fairness",
        "contact",
        "improve",
    }
    assert payload["overall"] == 4 and payload["language"] == "en-gb"
    assert payload["via"] == Via.PORTAL
    # Fewer than 10 alike: nothing is written out yet.
    assert not FeedbackResponse.objects.exists()
    # Nothing audited, and no message sent, about the answer.
    assert AuditEvent.objects.count() == audit_before
    assert Notification.objects.count() == messages_before
    offer = FeedbackOffer.objects.get(victim_id=victim_on_case.victim_id)
    assert (offer.wave, offer.state) == (Wave.CASE_PAGE, OfferState.ANSWERED)


def test_a_second_answer_to_the_same_wave_is_refused_with_a_clear_message(
    victim_client, django_capture_on_commit_callbacks
):
    _answer(victim_client, django_capture_on_commit_callbacks)
    again = _answer(victim_client, django_capture_on_commit_callbacks)
    assert again.status_code == 409
    assert "You have already answered" in again.content.decode()
    assert PendingAnswer.objects.count() == 1
    assert victim_client.get("/your-say/").status_code == 409
    assert (
        "Tell us how we are doing" not in victim_client.get("/case/").content.decode()
    )


def test_no_thanks_stops_the_wave_showing(victim_client):
    response = victim_client.post("/your-say/no-thanks/", {"wave": Wave.CASE_PAGE})
    assert response.status_code == 303
    assert (
        "Tell us how we are doing" not in victim_client.get("/case/").content.decode()
    )
    assert not PendingAnswer.objects.exists()


@pytest.mark.parametrize(
    ("improve", "message"),
    [
        ("x" * 1201, "Your answer must be 1,200 characters or fewer"),
        ("<script>alert(1)</script>", "must not include web page code"),
        ("see <a href='x'>this</a>", "must not include web page code"),
    ],
)
def test_an_over_long_or_html_answer_gets_a_clear_error_and_nothing_is_kept(
    victim_client, django_capture_on_commit_callbacks, improve, message
):
    response = _answer(
        victim_client, django_capture_on_commit_callbacks, overall="4", improve=improve
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in html and message in html
    assert 'href="#id_improve"' in html
    assert not PendingAnswer.objects.exists()
    assert not FeedbackOffer.objects.filter(state=OfferState.ANSWERED).exists()


def test_an_empty_answer_asks_for_at_least_one(
    victim_client, django_capture_on_commit_callbacks
):
    response = _answer(victim_client, django_capture_on_commit_callbacks, improve=" ")
    assert response.status_code == 400
    assert "Answer at least one question" in response.content.decode()


def test_a_made_up_answer_value_is_refused(
    victim_client, django_capture_on_commit_callbacks
):
    response = _answer(victim_client, django_capture_on_commit_callbacks, overall="9")
    assert response.status_code == 400
    assert "Choose one of the answers" in response.content.decode()


def test_the_error_summary_links_a_radio_question_to_its_first_radio(
    victim_client, django_capture_on_commit_callbacks
):
    html = _answer(
        victim_client, django_capture_on_commit_callbacks, overall="4", informed="9"
    ).content.decode()
    start = html.index('class="govuk-error-summary"')
    summary = html[start : html.index("</ul>", start)]
    assert '<a href="#id_informed">Choose one of the answers</a>' in summary
    assert re.search(r'<input class="govuk-radios__input" id="id_informed"', html)
    empty = _answer(victim_client, django_capture_on_commit_callbacks, improve=" ")
    assert '<a href="#id_overall">Answer at least one question' in (
        empty.content.decode()
    )


def test_submissions_are_rate_limited_per_address(
    victim_client, django_capture_on_commit_callbacks
):
    for _ in range(20):
        victim_client.post("/your-say/", {"wave": Wave.CASE_PAGE})
    response = _answer(victim_client, django_capture_on_commit_callbacks)
    assert response.status_code == 429
    assert "too many times" in response.content.decode()
    assert not PendingAnswer.objects.exists()


def _csrf_checked_client(link) -> Client:
    """A signed-in victim's browser that, like a real one, must send the token."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    from victims.portal import portal_session_data

    client = Client(enforce_csrf_checks=True)
    session = SessionStore()
    session.update(portal_session_data(victim_id=link.victim_id, case_id=link.case_id))
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = str(session.session_key)
    return client


def test_a_post_without_the_csrf_token_is_refused(victim_on_case):
    client = _csrf_checked_client(victim_on_case)
    response = client.post("/your-say/", {"wave": Wave.CASE_PAGE, **ANSWERS})
    assert response.status_code == 403
    assert not PendingAnswer.objects.exists()


def test_the_panels_no_thanks_carries_the_csrf_token(victim_on_case):
    client = _csrf_checked_client(victim_on_case)
    html = client.get("/case/").content.decode()
    (token,) = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
    response = client.post(
        "/your-say/no-thanks/",
        {"wave": Wave.CASE_PAGE, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 303


def test_someone_not_signed_in_cannot_answer_for_a_victim(client, victim_on_case):
    response = client.post("/your-say/", {"wave": Wave.CASE_PAGE, **ANSWERS})
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/"
    assert not PendingAnswer.objects.exists()


def test_the_first_update_opens_a_wave_and_invites_a_day_later(
    case, officer, victim_on_case
):
    entry = case_add_update(
        case=case, actor=officer, victim_text="We spoke to a witness."
    )
    offer = FeedbackOffer.objects.get(victim_id=victim_on_case.victim_id)
    assert (offer.wave, offer.state) == (Wave.FIRST_UPDATE, OfferState.OFFERED)
    assert not Notification.objects.filter(
        kind=MessageKind.FEEDBACK_INVITATION
    ).exists()
    assert (
        feedback_invitations_send(now=entry.recorded_at + datetime.timedelta(hours=23))
        == 0
    )
    assert (
        feedback_invitations_send(now=entry.recorded_at + datetime.timedelta(hours=25))
        == 1
    )
    invitation = Notification.objects.get(kind=MessageKind.FEEDBACK_INVITATION)
    assert (invitation.feedback_wave, invitation.channel) == (
        Wave.FIRST_UPDATE,
        "email",
    )
    assert invitation.victim_id == victim_on_case.victim_id
    # Sent once only.
    assert (
        feedback_invitations_send(now=entry.recorded_at + datetime.timedelta(days=3))
        == 0
    )


def test_a_wave_answered_before_its_invitation_is_due_is_not_invited(
    victim_client, django_capture_on_commit_callbacks, case, officer
):
    entry = case_add_update(
        case=case, actor=officer, victim_text="We spoke to a witness."
    )
    _answer(victim_client, django_capture_on_commit_callbacks, wave=Wave.FIRST_UPDATE)
    assert (
        feedback_invitations_send(now=entry.recorded_at + datetime.timedelta(days=2))
        == 0
    )
    assert not Notification.objects.filter(
        kind=MessageKind.FEEDBACK_INVITATION
    ).exists()


def test_an_invitation_says_nothing_of_the_crime_and_its_link_names_no_one(
    case, officer, victim_on_case, django_capture_on_commit_callbacks, portal
):
    entry = case_add_update(
        case=case, actor=officer, victim_text="We spoke to a witness."
    )
    with django_capture_on_commit_callbacks(execute=True):
        feedback_invitations_send(now=entry.recorded_at + datetime.timedelta(days=2))
    invitation = Notification.objects.get(kind=MessageKind.FEEDBACK_INVITATION)
    assert invitation.status == "sent"
    (message,) = [m for m in outbox_messages(portal) if "/your-say/" in m["body"]]
    text = f"{message.get('subject', '')} {message['body']}".lower()
    for word in (
        "crime",
        "survey",
        "burglary",
        "witness",
        case.crime_reference.lower(),
    ):
        assert word not in text
    assert "how we are doing" in text
    (link,) = re.findall(r"https?://\S+", message["body"])
    assert link.endswith("/your-say/email/")


def test_a_discreet_invitation_names_neither_the_service_nor_the_police(
    case, officer, victim_on_case, django_capture_on_commit_callbacks, portal
):
    victim = victim_on_case.victim
    victim.discreet_messages = True
    victim.save()
    entry = case_add_update(
        case=case, actor=officer, victim_text="We spoke to a witness."
    )
    with django_capture_on_commit_callbacks(execute=True):
        feedback_invitations_send(now=entry.recorded_at + datetime.timedelta(days=2))
    (message,) = [m for m in outbox_messages(portal) if "/your-say/" in m["body"]]
    text = f"{message.get('subject', '')} {message['body']}".lower()
    assert "police" not in text and case.force.name.lower() not in text


def test_a_charge_and_a_closure_each_open_a_wave_of_their_own(
    case, officer, victim_on_case
):
    case_change_stage(case=case, stage=Stage.CHARGED, actor=officer)
    case_change_stage(case=case, stage=Stage.AWAITING_COURT, actor=officer)
    waves = set(FeedbackOffer.objects.values_list("wave", flat=True))
    assert waves == {Wave.DECISION}
    other = CaseVictimFactory(victim__email="other@example.com").case
    case_change_stage(
        case=other,
        stage=Stage.CLOSED,
        actor=officer,
        closing_reason=ClosingReason.VICTIM_WITHDREW,
    )
    assert FeedbackOffer.objects.get(case=other).wave == Wave.CLOSURE


def test_a_victim_who_asked_for_no_contact_gets_no_invitation(case, officer):
    CaseVictimFactory(case=case, victim__contact_preference="none")
    case_add_update(case=case, actor=officer, victim_text="We spoke to a witness.")
    assert FeedbackOffer.objects.filter(wave=Wave.FIRST_UPDATE).count() == 1
    assert not Notification.objects.filter(
        kind=MessageKind.FEEDBACK_INVITATION
    ).exists()


def test_a_victim_answers_from_an_invitation_after_signing_in(
    client, django_capture_on_commit_callbacks, portal, victim_on_case, case, officer
):
    case_add_update(case=case, actor=officer, victim_text="We spoke to a witness.")
    response = client.get("/your-say/email/")
    assert response.status_code == 302 and response["Location"] == "/sign-in/"
    sign_in(client, django_capture_on_commit_callbacks, portal, REFERENCE, EMAIL)
    html = client.get("/case/").content.decode()
    assert 'name="wave" value="first_update"' in html
    assert (
        _answer(
            client, django_capture_on_commit_callbacks, wave=Wave.FIRST_UPDATE
        ).status_code
        == 303
    )
    payload = pool_open(PendingAnswer.objects.get().sealed)
    assert (payload["wave"], payload["via"]) == (Wave.FIRST_UPDATE, Via.EMAIL)
    # The case page's own wave is still to come.
    assert 'name="wave" value="case_page"' in client.get("/case/").content.decode()


def test_ten_answers_alike_are_written_out_together_by_month(
    django_capture_on_commit_callbacks, portal, force, settings
):
    # As in the embedded default, which has no Celery beat.
    settings.FEEDBACK_FLUSH_AFTER_ANSWER = True
    from tests.factories import CaseFactory

    for n in range(10):
        case = CaseFactory(force=force, crime_reference=f"NS/{n + 100:05d}/26")
        CaseVictimFactory(
            case=case, victim__email=f"v{n}@example.com", victim__force=force
        )
        client = Client()
        sign_in(
            client,
            django_capture_on_commit_callbacks,
            portal,
            case.crime_reference,
            f"v{n}@example.com",
        )
        _answer(client, django_capture_on_commit_callbacks)
        if n < 9:
            assert not FeedbackResponse.objects.exists()
    assert FeedbackResponse.objects.count() == 10
    assert not PendingAnswer.objects.exists()
    (counted,) = FeedbackCount.objects.all()
    assert (counted.responses, counted.overall_n, counted.overall_positive) == (
        10,
        10,
        10,
    )
    assert counted.comments == 10
    months = set(FeedbackResponse.objects.values_list("month", flat=True))
    assert len(months) == 1 and next(iter(months)).day == 1
    (batch,) = AuditEvent.objects.filter(object_type="feedback_batch")
    assert batch.detail == {"responses": 10} and batch.ip_address is None
    assert batch.case_id is None and batch.actor_kind == "system"
    assert feedback_pool_flush() == 0
    assert outbox_messages(portal)  # the sign-in codes, and nothing after answering
    assert all("how we are doing" not in m["body"] for m in outbox_messages(portal))


def test_with_beat_answers_wait_for_the_scheduled_flush(
    django_capture_on_commit_callbacks, portal, force, settings
):
    settings.FEEDBACK_FLUSH_AFTER_ANSWER = False
    from tests.factories import CaseFactory

    for n in range(12):
        case = CaseFactory(force=force, crime_reference=f"NS/{n + 200:05d}/26")
        CaseVictimFactory(
            case=case, victim__email=f"w{n}@example.com", victim__force=force
        )
        client = Client()
        sign_in(
            client,
            django_capture_on_commit_callbacks,
            portal,
            case.crime_reference,
            f"w{n}@example.com",
        )
        _answer(client, django_capture_on_commit_callbacks)
    assert not FeedbackResponse.objects.exists()
    from feedback.tasks import feedback_pool_flush_task

    assert feedback_pool_flush_task.delay().get() == 12
    assert FeedbackResponse.objects.count() == 12
