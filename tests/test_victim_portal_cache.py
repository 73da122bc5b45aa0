"""The signed-in victim's pages come from the cache (Redis on the full stack, local
memory otherwise), and the cache keeps every guarantee: a change that ends access
ends the next request at once, a victim never sees another's page, each response
has its own CSP nonce, and its CSRF token is the victim's own."""

import re

import pytest
from django.conf import settings
from django.middleware.csrf import _unmask_cipher_token  # type: ignore[attr-defined]
from django.test import Client, override_settings

from cases.services import case_add_update
from conversations.services import message_send_by_staff, message_send_by_victim
from feedback.constants import Wave
from privacy.constants import ErasureReason
from privacy.services import victim_erase
from tests.factories import CaseFactory, CaseVictimFactory
from tests.portal import sign_in
from victims.membership import case_remove_victim
from victims.services import victim_update

pytestmark = pytest.mark.usefixtures("portal")

REFERENCE = "NS/00001/26"
EMAIL = "victim@example.com"
NONCE = re.compile(r'<script nonce="([^"]+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def victim_client(client, django_capture_on_commit_callbacks, portal, victim_on_case):
    sign_in(client, django_capture_on_commit_callbacks, portal, REFERENCE, EMAIL)
    return client


@pytest.fixture
def sign_in_as(django_capture_on_commit_callbacks, portal):
    def signed_in(reference: str, email: str) -> Client:
        client = Client()
        sign_in(client, django_capture_on_commit_callbacks, portal, reference, email)
        return client

    return signed_in


def _cached(client, url="/case/") -> str:
    """Look at the page twice: the second comes from the cache."""
    assert client.get(url).status_code == 200
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _staff_turns_off_access(link, officer):
    victim_update(
        victim=link.victim, actor=officer, changes={"portal_access_allowed": False}
    )


def _victim_erased(link, officer):
    victim_erase(victim=link.victim, reason=ErasureReason.VICTIM_ASKED, actor=officer)


def _taken_off_the_case(link, officer):
    case_remove_victim(link=link, actor=officer)


def _case_deleted(link, officer):
    link.case.delete()


@pytest.mark.parametrize(
    "end_access",
    [_staff_turns_off_access, _victim_erased, _taken_off_the_case, _case_deleted],
)
@pytest.mark.parametrize("url", ["/case/", "/messages/"])
def test_a_change_that_ends_access_ends_the_next_request_although_it_is_cached(
    victim_client, victim_on_case, officer, end_access, url
):
    _cached(victim_client, url)
    end_access(victim_on_case, officer)
    response = victim_client.get(url)
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/"
    assert "victim_portal" not in victim_client.session


def test_each_response_from_the_cache_has_its_own_nonce_in_page_and_header(
    victim_client,
):
    nonces = []
    for _ in range(3):
        response = victim_client.get("/case/")
        [*in_page] = set(NONCE.findall(response.content.decode()))
        assert len(in_page) == 1
        assert f"'nonce-{in_page[0]}'" in response["Content-Security-Policy"]
        nonces.append(in_page[0])
    assert len(set(nonces)) == 3


def test_the_csrf_token_in_a_cached_page_is_this_sessions_and_works(
    victim_client, sign_in_as, victim_on_case
):
    other = CaseVictimFactory(case=victim_on_case.case, victim__email="b@example.com")
    other_client = sign_in_as(REFERENCE, other.victim.email)
    _cached(other_client)  # the page is in the cache, made for the other victim
    html = _cached(victim_client)
    tokens = set(CSRF.findall(html))
    assert len(tokens) == 1
    secret = victim_client.session["_csrftoken"]
    assert _unmask_cipher_token(tokens.pop()) == secret
    # "No thanks" on the survey panel posts with it.
    response = victim_client.post("/your-say/no-thanks/", {"wave": Wave.CASE_PAGE})
    assert response.status_code == 303


def test_two_victims_on_the_same_case_each_get_their_own_page(
    victim_client, sign_in_as, victim_on_case
):
    other = CaseVictimFactory(case=victim_on_case.case, victim__email="b@example.com")
    other_client = sign_in_as(REFERENCE, other.victim.email)
    assert "Tell us how we are doing" in _cached(victim_client)
    assert "Tell us how we are doing" in _cached(other_client)
    victim_client.post("/your-say/no-thanks/", {"wave": Wave.CASE_PAGE})
    assert "Tell us how we are doing" not in _cached(victim_client)
    assert "Tell us how we are doing" in _cached(other_client)


def test_victims_on_other_cases_never_get_each_others_page(
    victim_client, sign_in_as, force, officer
):
    other_case = CaseFactory(force=force, crime_reference="NS/00002/26")
    other = CaseVictimFactory(case=other_case, victim__email="b@example.com")
    case_add_update(case=other_case, actor=officer, victim_text="Only for B.")
    other_client = sign_in_as("NS/00002/26", other.victim.email)
    assert "Only for B." in _cached(other_client)
    html = _cached(victim_client)
    assert "Only for B." not in html
    assert "NS/00002/26" not in html and REFERENCE in html


def test_two_victims_on_the_same_case_never_see_each_others_messages(
    victim_client, sign_in_as, victim_on_case, officer
):
    other = CaseVictimFactory(case=victim_on_case.case, victim__email="b@example.com")
    other_client = sign_in_as(REFERENCE, other.victim.email)
    message_send_by_victim(link=other, text="B's own question.")
    assert "B&#x27;s own question." in _cached(other_client, "/messages/")
    assert "own question" not in _cached(victim_client, "/messages/")


def test_a_new_message_shows_at_once_although_the_page_is_cached(
    victim_client, victim_on_case, officer
):
    _cached(victim_client, "/messages/")
    message_send_by_staff(
        case=victim_on_case.case,
        victim_id=victim_on_case.victim_id,
        text="A reply from the officer.",
        actor=officer,
        officer=None,
    )
    assert "A reply from the officer." in _cached(victim_client, "/messages/")


@override_settings(LANGUAGES=[("en-gb", "English"), ("cy", "Cymraeg")])
def test_a_page_cached_in_one_language_is_not_shown_in_another(victim_client):
    english = _cached(victim_client)
    # As the header's language switcher leaves it (signing in set it to the record's).
    victim_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    welsh = victim_client.get("/case/").content.decode()
    assert '<html lang="en-gb"' in english
    assert '<html lang="cy"' in welsh
