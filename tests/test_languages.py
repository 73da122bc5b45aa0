"""The portal in Welsh and the languages of London (issue 15): which language a page
is served in, the switcher, the choice on the victim's record, and messages in the
record's language."""

import re

import pytest
from django.core.exceptions import ValidationError

from audit.constants import AuditAction, ObjectType
from audit.models import AuditEvent
from cases.services import case_add_update
from notifications.content import message_for
from notifications.models import Notification
from tests.factories import CaseVictimFactory
from tests.portal import enter_code, latest_code, outbox_messages, request_code
from victims.constants import Language, offered_languages
from victims.models import Victim
from victims.services import victim_update

REFERENCE = "NS/00001/26"
EMAIL = "victim@example.com"
LANGUAGE_COOKIE = "django_language"


def _html_tag(response):
    return re.search(r"<html[^>]*>", response.content.decode()).group(0)


@pytest.fixture
def welsh_only(settings):
    """A force that offers Welsh alone besides English."""
    settings.PORTAL_LANGUAGES = ["cy"]
    settings.LANGUAGES = [("en-gb", "English"), ("cy", "Cymraeg")]


def test_a_browser_that_asks_for_welsh_gets_welsh_on_its_first_visit(client, db):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="cy")
    assert 'lang="cy"' in _html_tag(response)
    assert 'dir="ltr"' in _html_tag(response)
    assert "Gadael y dudalen hon" in response.content.decode()


def test_a_language_the_portal_does_not_offer_falls_back_to_english(client, db):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="fr")
    assert 'lang="en-gb"' in _html_tag(response)
    assert "Exit this page" in response.content.decode()


def test_a_language_the_force_withdrew_is_not_served(client, db, welsh_only):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="pl")
    assert 'lang="en-gb"' in _html_tag(response)
    client.cookies[LANGUAGE_COOKIE] = "pl"
    assert 'lang="en-gb"' in _html_tag(client.get("/"))


@pytest.mark.parametrize("language", ["ar", "ur"])
def test_arabic_and_urdu_pages_run_right_to_left(client, db, language):
    tag = _html_tag(client.get("/", HTTP_ACCEPT_LANGUAGE=language))
    assert f'lang="{language}"' in tag
    assert 'dir="rtl"' in tag


def test_the_switcher_offers_every_language_in_its_own_name(client, db):
    html = client.get("/").content.decode()
    for code, name in [("cy", "Cymraeg"), ("pl", "Polski"), ("ar", "العربية")]:
        assert f'value="{code}" lang="{code}" hreflang="{code}"' in html, (
            f"no control for {code}"
        )
        assert f">{name}</button>" in html
    current = '<span class="app-language-select__current" aria-current="true"'
    assert f'{current} lang="en-gb">English</span>' in html


def test_the_switcher_offers_only_what_the_force_offers(client, db, welsh_only):
    html = client.get("/").content.decode()
    assert 'value="cy"' in html
    assert 'value="pl"' not in html


def test_switching_sets_the_cookie_and_returns_to_the_same_page(client, db):
    response = client.post("/language/", {"language": "cy", "next": "/safety/"})
    assert response.status_code == 302
    assert response["Location"] == "/safety/"
    assert response.cookies[LANGUAGE_COOKIE].value == "cy"
    assert 'lang="cy"' in _html_tag(client.get("/safety/"))


def test_switching_never_sends_the_browser_to_another_site(client, db):
    response = client.post(
        "/language/", {"language": "cy", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_a_language_not_offered_is_refused(client, db, welsh_only):
    response = client.post("/language/", {"language": "pl", "next": "/"})
    assert response.status_code == 400
    assert LANGUAGE_COOKIE not in response.cookies


def test_a_visitor_switching_language_gets_no_session(client, db):
    client.get("/")
    client.post("/language/", {"language": "cy", "next": "/"})
    assert not client.cookies.get("sessionid")


def _signed_in(client, callbacks, portal):
    request_code(client, callbacks, REFERENCE, EMAIL)
    return enter_code(client, latest_code(portal))


def test_a_signed_in_victims_choice_is_saved_on_their_record_and_audited(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    _signed_in(client, django_capture_on_commit_callbacks, portal)
    html = client.get("/case/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    client.handler.enforce_csrf_checks = True
    response = client.post(
        "/language/",
        {"language": "pl", "next": "/case/", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    victim = Victim.objects.get(pk=victim_on_case.victim_id)
    assert victim.preferred_language == Language.POLISH
    event = AuditEvent.objects.filter(
        action=AuditAction.CHANGE, object_type=ObjectType.VICTIM
    ).get()
    assert event.changed_fields == ["preferred_language"]
    assert event.actor_id == str(victim.pk)


def test_a_signed_in_victims_switch_without_the_token_changes_nothing(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    _signed_in(client, django_capture_on_commit_callbacks, portal)
    client.handler.enforce_csrf_checks = True  # as a browser's request is checked
    response = client.post("/language/", {"language": "pl", "next": "/case/"})
    assert response.status_code == 403
    victim = Victim.objects.get(pk=victim_on_case.victim_id)
    assert victim.preferred_language == Language.ENGLISH


def test_a_language_chosen_before_signing_in_is_saved_on_the_record(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    client.post("/language/", {"language": "ro", "next": "/sign-in/"})
    _signed_in(client, django_capture_on_commit_callbacks, portal)
    victim = Victim.objects.get(pk=victim_on_case.victim_id)
    assert victim.preferred_language == Language.ROMANIAN
    assert 'lang="ro"' in _html_tag(client.get("/case/"))


def test_the_records_language_is_applied_at_sign_in(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    Victim.objects.filter(pk=victim_on_case.victim_id).update(
        preferred_language=Language.WELSH
    )
    response = _signed_in(client, django_capture_on_commit_callbacks, portal)
    assert response.cookies[LANGUAGE_COOKIE].value == "cy"
    assert 'lang="cy"' in _html_tag(client.get("/case/"))


def test_signing_out_forgets_the_language_in_the_browser(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    client.post("/language/", {"language": "cy", "next": "/sign-in/"})
    _signed_in(client, django_capture_on_commit_callbacks, portal)
    response = client.post("/sign-out/")
    assert response.cookies[LANGUAGE_COOKIE].value == ""
    assert Victim.objects.get(pk=victim_on_case.victim_id).preferred_language == "cy"


def test_the_code_arrives_in_the_records_language(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    Victim.objects.filter(pk=victim_on_case.victim_id).update(
        preferred_language=Language.WELSH
    )
    request_code(client, django_capture_on_commit_callbacks, REFERENCE, EMAIL)
    message = outbox_messages(portal)[-1]
    assert "cod" in message["body"].lower()
    assert "Your security code" not in message["subject"]


def test_an_update_message_is_in_the_records_language(
    case, officer, django_capture_on_commit_callbacks
):
    CaseVictimFactory(case=case, victim__preferred_language=Language.SPANISH)
    case_add_update(case=case, actor=officer, victim_text="We found the bike.")
    notification = Notification.objects.filter(channel="email").get()
    message = message_for(notification)
    assert "actualización" in (message.subject + message.body).lower()
    assert message.template == ""  # our translated text, not Notify's English one


def test_the_back_office_offers_the_languages_the_portal_offers(welsh_only):
    assert offered_languages() == [("en", "English"), ("cy", "Cymraeg (Welsh)")]


def test_staff_cannot_record_a_language_the_portal_does_not_offer(
    victim_on_case, officer, welsh_only
):
    with pytest.raises(ValidationError) as raised:
        victim_update(
            victim=victim_on_case.victim,
            actor=officer,
            changes={"preferred_language": Language.POLISH},
        )
    assert "preferred_language" in raised.value.message_dict


def test_staff_text_keeps_its_language_and_a_welsh_reader_is_told(
    client, django_capture_on_commit_callbacks, portal, victim_on_case, officer
):
    case_add_update(
        case=victim_on_case.case, actor=officer, victim_text="We found the bike."
    )
    Victim.objects.filter(pk=victim_on_case.victim_id).update(
        preferred_language=Language.WELSH
    )
    _signed_in(client, django_capture_on_commit_callbacks, portal)
    html = client.get("/case/").content.decode()
    staff_text = '<div class="moj-timeline__description" lang="en-gb" dir="ltr">'
    assert f"{staff_text}<p>We found the bike.</p>" in html
    assert "fel y cawsant eu hysgrifennu, yn Saesneg" in html


def test_dates_on_the_case_page_are_in_the_pages_language(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    case = victim_on_case.case
    type(case).objects.filter(pk=case.pk).update(reported_on="2026-12-03")
    Victim.objects.filter(pk=victim_on_case.victim_id).update(
        preferred_language=Language.POLISH
    )
    _signed_in(client, django_capture_on_commit_callbacks, portal)
    assert "3 grudnia 2026" in client.get("/case/").content.decode()


def test_the_back_office_stays_in_english_whatever_the_browser_asks(
    officer_client,
):
    response = officer_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="cy")
    assert response.status_code == 200
    assert response["Content-Language"] == "en-gb"


def test_a_stage_change_is_told_in_the_forces_language_not_the_requests(case, officer):
    from django.utils import translation

    from cases.constants import Stage
    from cases.services import case_change_stage

    with translation.override("pl"):
        entry = case_change_stage(
            case=case, stage=Stage.SUSPECT_ARRESTED, actor=officer
        )
    assert entry.victim_text.startswith("Your case has moved to a new stage")
