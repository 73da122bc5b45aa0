"""A victim's session is theirs and their case's only, ends after 15 minutes without
activity or 12 hours in all, ends at once on "Sign out" or "Exit this page", and is
never kept by the browser's cache."""

import datetime
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.utils import timezone

from audit.models import AuditEvent
from tests.portal import sign_in
from victims.membership import case_remove_victim

pytestmark = pytest.mark.usefixtures("portal")

REFERENCE = "NS/00001/26"
EMAIL = "victim@example.com"


@pytest.fixture
def victim_client(client, django_capture_on_commit_callbacks, portal, victim_on_case):
    sign_in(client, django_capture_on_commit_callbacks, portal, REFERENCE, EMAIL)
    return client


def _sign_out_reasons():
    return list(
        AuditEvent.objects.filter(action="sign_out").values_list(
            "detail__reason", flat=True
        )
    )


@pytest.mark.parametrize(
    "url",
    ["/case/", "/support/", "/contact-preferences/", "/sign-in/", "/sign-in/code/"],
)
def test_portal_pages_tell_the_browser_not_to_keep_them(victim_client, url):
    response = victim_client.get(url)
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_a_session_ends_after_15_minutes_without_activity(victim_client):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        traveller.shift(datetime.timedelta(minutes=14))
        assert victim_client.get("/case/").status_code == 200
        traveller.shift(datetime.timedelta(minutes=14))
        assert victim_client.get("/case/").status_code == 200  # activity counts
        traveller.shift(datetime.timedelta(minutes=15, seconds=1))
        response = victim_client.get("/case/")
    assert response["Location"] == "/session-ended/"
    assert "victim_portal" not in victim_client.session
    assert _sign_out_reasons() == ["idle"]
    assert "signed out" in victim_client.get("/session-ended/").content.decode()


def test_a_session_ends_after_12_hours_however_active(victim_client):
    session = victim_client.session
    data = session["victim_portal"]
    data["signed_in_at"] = time.time() - 12 * 60 * 60 - 1
    session["victim_portal"] = data
    session.save()
    response = victim_client.get("/case/")
    assert response["Location"] == "/session-ended/"
    assert _sign_out_reasons() == ["expired"]


def test_the_session_cookie_lasts_only_a_little_longer_than_the_idle_limit(
    victim_client,
):
    # Activity is written to the session at most once a minute.
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        traveller.shift(datetime.timedelta(minutes=2))
        response = victim_client.get("/case/")
    assert response.cookies["sessionid"]["max-age"] == 30 * 60


def test_a_session_not_used_for_longer_simply_no_longer_exists(victim_client):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        traveller.shift(datetime.timedelta(minutes=31))
        response = victim_client.get("/case/")
    assert response["Location"] == "/sign-in/"


def test_signing_out_ends_the_session_on_the_server(victim_client):
    session_key = victim_client.session.session_key
    response = victim_client.post("/sign-out/")
    assert response.status_code == 303
    # The signed-out page, carrying nothing but the survey's signed token
    # (tests/test_victim_voice_signed_out.py).
    location = urlsplit(response["Location"])
    assert location.path == "/signed-out/"
    assert set(parse_qs(location.query)) <= {"feedback"}
    assert not Session.objects.filter(session_key=session_key).exists()
    assert victim_client.get("/case/")["Location"] == "/sign-in/"
    assert _sign_out_reasons() == ["signed_out"]


def test_an_old_session_cookie_is_useless_after_signing_out(victim_client, client):
    cookie = victim_client.cookies["sessionid"].value
    victim_client.post("/sign-out/")
    client.cookies["sessionid"] = cookie
    assert client.get("/case/")["Location"] == "/sign-in/"


def test_signing_out_needs_a_post(victim_client):
    assert victim_client.get("/sign-out/").status_code == 405
    assert victim_client.get("/case/").status_code == 200


def test_signing_out_is_protected_from_other_sites(victim_on_case, client):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    assert csrf_client.post("/sign-out/").status_code == 403


def test_exit_this_page_ends_the_session_and_leaves_for_the_exit_address(
    victim_client, settings
):
    settings.EXIT_THIS_PAGE_URL = "https://www.bbc.co.uk/weather"
    response = victim_client.get("/exit/")
    assert response.status_code == 302
    assert response["Location"] == "https://www.bbc.co.uk/weather"
    assert victim_client.get("/case/")["Location"] == "/sign-in/"
    assert _sign_out_reasons() == ["exited"]


def test_exit_this_page_works_for_someone_not_signed_in(client, db):
    response = client.get("/exit/")
    assert response.status_code == 302
    assert not AuditEvent.objects.exists()


def test_every_page_carries_exit_this_page(victim_client):
    for url in ["/", "/safety/", "/case/", "/support/", "/contact-preferences/"]:
        html = victim_client.get(url).content.decode()
        assert 'data-module="govuk-exit-this-page"' in html
        assert 'href="/exit/"' in html


def test_turning_off_portal_access_ends_a_session_at_once(
    victim_client, victim_on_case
):
    victim = victim_on_case.victim
    victim.portal_access_allowed = False
    victim.save()
    assert victim_client.get("/case/")["Location"] == "/sign-in/"
    assert "victim_portal" not in victim_client.session
    assert _sign_out_reasons() == ["access_ended"]


def test_taking_the_victim_off_the_case_ends_their_session(
    victim_client, victim_on_case, officer
):
    case_remove_victim(link=victim_on_case, actor=officer)
    assert victim_client.get("/case/")["Location"] == "/sign-in/"


def test_a_signed_in_victim_going_to_sign_in_is_taken_to_their_case(victim_client):
    assert victim_client.get("/sign-in/")["Location"] == "/case/"


def test_the_session_holds_only_ids_and_times(victim_client, victim_on_case):
    data = victim_client.session["victim_portal"]
    assert set(data) == {"victim_id", "case_id", "signed_in_at", "last_seen"}
    assert "victim_sign_in_attempt" not in victim_client.session
