"""The survey on the signed-out page, with nothing left in the browser: signing out
empties the cookie jar, so the page carries a short-lived signed token instead of a
session. The token answers once, names nothing of the case, and nobody can forge it."""

import datetime
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.utils import timezone

from feedback.constants import OfferState, Wave
from feedback.models import FeedbackOffer, PendingAnswer
from feedback.pool import pool_open
from feedback.services import SIGNED_OUT_SALT
from tests.portal import sign_in

pytestmark = pytest.mark.usefixtures("portal")

REFERENCE = "NS/00001/26"
EMAIL = "victim@example.com"
ANSWERS = {"overall": "5", "informed": "4", "improve": "Thank you."}


@pytest.fixture
def victim_client(client, django_capture_on_commit_callbacks, portal, victim_on_case):
    sign_in(client, django_capture_on_commit_callbacks, portal, REFERENCE, EMAIL)
    return client


def _sign_out(client) -> str:
    """Sign out; return the token the signed-out page was given."""
    response = client.post("/sign-out/")
    assert response.status_code == 303
    location = urlsplit(response["Location"])
    assert location.path == "/signed-out/"
    (token,) = parse_qs(location.query)["feedback"]
    return token


def _answer(callbacks, token, **answers):
    """Answer from a browser with no cookies at all, as after signing out."""
    with callbacks(execute=True):
        return Client().post(
            "/your-say/after-signing-out/",
            {"token": token, "wave": Wave.SIGNED_OUT, **(answers or ANSWERS)},
        )


def test_the_signed_out_page_offers_the_survey_and_the_cookie_jar_stays_empty(
    victim_client,
):
    token = _sign_out(victim_client)
    response = victim_client.get("/signed-out/", {"feedback": token})
    html = response.content.decode()
    assert "You have signed out" in html
    assert "Tell us how we are doing" in html
    assert f'href="/your-say/after-signing-out/?token={token}"' in html
    assert "csrfmiddlewaretoken" not in html
    survey = victim_client.get("/your-say/after-signing-out/", {"token": token})
    assert survey.status_code == 200
    assert "What anonymous means here" in survey.content.decode()
    assert "csrfmiddlewaretoken" not in survey.content.decode()
    jar = {name: morsel.value for name, morsel in victim_client.cookies.items()}
    assert all(value == "" for value in jar.values()), jar


def test_the_token_names_no_crime_stage_or_person(victim_client, victim_on_case):
    token = _sign_out(victim_client)
    data = signing.TimestampSigner(salt=SIGNED_OUT_SALT).unsign_object(token)
    assert list(data) == ["offer"]
    readable = signing.b64_decode(token.split(":")[0].encode()).decode()
    case = victim_on_case.case
    for detail in (case.offence_category, case.stage, REFERENCE, EMAIL, "violence"):
        assert detail not in readable


def test_a_victim_answers_after_signing_out_once(
    victim_client, django_capture_on_commit_callbacks, victim_on_case
):
    token = _sign_out(victim_client)
    response = _answer(django_capture_on_commit_callbacks, token)
    assert response.status_code == 303
    assert response["Location"] == "/your-say/thank-you/"
    (pending,) = PendingAnswer.objects.all()
    payload = pool_open(pending.sealed)
    assert payload["wave"] == Wave.SIGNED_OUT and payload["overall"] == 5
    assert payload["force"] == victim_on_case.case.force_id
    offer = FeedbackOffer.objects.get(wave=Wave.SIGNED_OUT)
    assert offer.state == OfferState.ANSWERED
    again = _answer(django_capture_on_commit_callbacks, token)
    assert again.status_code == 409
    assert "You have already answered" in again.content.decode()
    assert PendingAnswer.objects.count() == 1


def test_a_wave_answered_is_not_offered_at_the_next_sign_out(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    sign_in(client, django_capture_on_commit_callbacks, portal, REFERENCE, EMAIL)
    _answer(django_capture_on_commit_callbacks, _sign_out(client))
    sign_in(client, django_capture_on_commit_callbacks, portal, REFERENCE, EMAIL)
    response = client.post("/sign-out/")
    assert response["Location"] == "/signed-out/"
    assert "Tell us how we are doing" not in client.get("/signed-out/").content.decode()


def test_no_thanks_after_signing_out_stops_the_wave(
    victim_client, django_capture_on_commit_callbacks
):
    token = _sign_out(victim_client)
    response = Client().post("/your-say/after-signing-out/no-thanks/", {"token": token})
    assert response.status_code == 303
    assert response["Location"] == "/signed-out/"
    offer = FeedbackOffer.objects.get(wave=Wave.SIGNED_OUT)
    assert offer.state == OfferState.DISMISSED
    page = Client().get("/signed-out/", {"feedback": token}).content.decode()
    assert "Tell us how we are doing" not in page
    assert _answer(django_capture_on_commit_callbacks, token).status_code == 409
    assert not PendingAnswer.objects.exists()


def test_an_old_token_is_refused_and_nothing_is_kept(
    victim_client, django_capture_on_commit_callbacks
):
    token = _sign_out(victim_client)
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=11)):
        response = _answer(django_capture_on_commit_callbacks, token)
        page = Client().get("/signed-out/", {"feedback": token}).content.decode()
    assert response.status_code == 400
    assert "You can no longer answer from this page" in response.content.decode()
    assert "Tell us how we are doing" not in page
    assert not PendingAnswer.objects.exists()
    assert FeedbackOffer.objects.get(wave=Wave.SIGNED_OUT).state == OfferState.OFFERED


@pytest.mark.parametrize(
    "forged",
    [
        "",
        "nonsense",
        signing.TimestampSigner(salt="another.purpose").sign_object({"offer": 1}),
        signing.TimestampSigner(salt=SIGNED_OUT_SALT, key="not-the-key").sign_object(
            {"offer": 1}
        ),
    ],
)
def test_a_made_up_or_borrowed_token_is_refused(
    victim_client, django_capture_on_commit_callbacks, forged
):
    _sign_out(victim_client)
    response = _answer(django_capture_on_commit_callbacks, forged)
    assert response.status_code == 400
    assert "You can no longer answer from this page" in response.content.decode()
    assert not PendingAnswer.objects.exists()


def test_a_bad_answer_keeps_the_token_and_writes_nothing(
    victim_client, django_capture_on_commit_callbacks
):
    token = _sign_out(victim_client)
    response = _answer(django_capture_on_commit_callbacks, token, improve="<b>x</b>")
    html = response.content.decode()
    assert response.status_code == 400
    assert "must not include web page code" in html
    assert re.search(rf'name="token" value="{re.escape(token)}"', html)
    assert not PendingAnswer.objects.exists()
    assert _answer(django_capture_on_commit_callbacks, token).status_code == 303


def test_a_session_no_longer_signed_in_gets_no_offer(client, victim_on_case):
    response = client.post("/sign-out/")
    assert response["Location"] == "/signed-out/"
    assert not FeedbackOffer.objects.exists()
