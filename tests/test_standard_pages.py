"""The pages every public service publishes: reachable from every page's footer, with
facts read from the code and settings that make them true."""

import importlib
import re

import pytest
from django.test import Client

from pages.constants import ACCESSIBILITY_CHECKS
from tests.portal import sign_in

PAGES = {
    "/accessibility-statement/": "Accessibility statement for Track My Crime",
    "/privacy/": "How we use your information",
    "/cookies/": "Cookies",
    "/help/": "Help using Track My Crime",
    "/contact/": "Contact us",
}
REFERENCE = "NS/00001/26"
EMAIL = "victim@example.com"


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.parametrize("url", PAGES)
def test_each_standard_page_is_there_with_exit_this_page(client, db, url):
    response = client.get(url)
    assert response.status_code == 200
    html = _text(response)
    assert f'<h1 class="govuk-heading-xl">{PAGES[url]}</h1>' in html
    assert "Exit this page" in html


def test_the_footer_links_to_every_standard_page(client, db):
    html = client.get("/").content.decode()
    footer = html.split('class="govuk-template__footer"')[1]
    for url in [*PAGES, "/safety/"]:
        assert f'href="{url}"' in footer


def test_every_page_shows_the_beta_banner_with_a_feedback_link(client, db, settings):
    html = _text(client.get("/help/"))
    assert "govuk-phase-banner" in html and "Beta" in html
    assert 'href="/contact/">give your feedback' in html
    settings.FEEDBACK_URL = "https://survey.example/track-my-crime"
    assert 'href="https://survey.example/track-my-crime"' in _text(client.get("/"))


def test_the_privacy_notice_shows_the_retention_settings(client, db, settings):
    settings.RETENTION_DAYS_AFTER_CASE_CLOSED = 412
    settings.RETENTION_SIGN_IN_RECORD_DAYS = 3
    settings.RETENTION_MESSAGE_BODY_DAYS = 45
    html = _text(client.get("/privacy/"))
    assert "Until 412 days after your case is closed." in html
    assert "3 days." in html
    assert "45 days after it was sent." in html


def test_the_privacy_notice_names_the_controller_and_the_ico(client, db, settings):
    settings.SERVICE_CONTROLLER_NAME = "Northshire Police"
    html = _text(client.get("/privacy/"))
    assert "Northshire Police is the controller" in html
    assert "Part 3 of the Data Protection Act 2018" in html
    assert "https://ico.org.uk/make-a-complaint/" in html
    assert "message provider" in html


def test_the_cookies_page_lists_the_cookies_from_the_settings(client, db, settings):
    settings.SESSION_COOKIE_NAME = "__Host-sessionid"
    html = _text(client.get("/cookies/"))
    names = re.findall(r'app-cookie-name">([^<]+)<', html)
    assert names == ["__Host-sessionid", "django_language"]
    assert "strictly necessary" in html
    settings.CSRF_USE_SESSIONS = False
    html = _text(client.get("/cookies/"))
    assert re.findall(r'app-cookie-name">([^<]+)<', html) == [
        "__Host-sessionid",
        settings.CSRF_COOKIE_NAME,
        "django_language",
    ]
    # A service in English alone sets no language cookie.
    settings.LANGUAGES = [("en-gb", "English")]
    html = _text(client.get("/cookies/"))
    assert "django_language" not in html


def test_the_help_page_covers_signing_in_codes_and_contact(client, db):
    html = _text(client.get("/help/"))
    for words in [
        "How to sign in",
        "If your security code does not arrive",
        "Changing your contact details",
        "call 999",
        "call 101",
        "Victim Support",
    ]:
        assert words in html


def test_the_accessibility_statement_claims_only_checks_the_suite_runs(client, db):
    for check in ACCESSIBILITY_CHECKS:
        assert check.tests, check.description
        for test_id in check.tests:
            path, name = test_id.split("::")
            module = importlib.import_module(path[:-3].replace("/", "."))
            assert callable(getattr(module, name, None)), (
                f"the statement says {check.description!r}, but {test_id} is missing"
            )
    html = _text(client.get("/accessibility-statement/"))
    listed = re.search(r'id="accessibility-checks">(.*?)</ul>', html).group(1)
    assert re.findall(r"<li>(.*?)</li>", listed) == [
        str(check.description).replace('"', "&quot;") for check in ACCESSIBILITY_CHECKS
    ]


def test_the_accessibility_statement_has_what_the_regulations_ask(client, db):
    html = _text(client.get("/accessibility-statement/"))
    for words in [
        "How accessible this service is",
        "Feedback and contact information",
        "Enforcement procedure",
        "Equality and Human Rights Commission",
        "How we tested this service",
        "This statement was prepared on 1 December 2026",
    ]:
        assert words in html


# Nothing about a visit stays in the browser after signing out.


def test_no_csrf_cookie_is_ever_set(client, db):
    response = client.get("/sign-in/")
    assert "csrftoken" not in response.cookies
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()


def test_after_signing_out_the_cookie_jar_is_empty(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    client.get("/sign-in/")
    sign_in(client, django_capture_on_commit_callbacks, portal, REFERENCE, EMAIL)
    assert client.get("/case/").status_code == 200
    client.post("/sign-out/")
    client.get("/signed-out/")
    jar = {name: morsel.value for name, morsel in client.cookies.items()}
    assert all(value == "" for value in jar.values()), jar
    response = client.post("/sign-out/")  # deleted: the browser drops it
    assert not any(m.value for m in response.cookies.values())


def test_forms_are_still_protected_with_the_token_in_the_session(db):
    client = Client(enforce_csrf_checks=True)
    assert client.post("/sign-in/", {"crime_reference": REFERENCE}).status_code == 403
    page = client.get("/sign-in/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(
        "/sign-in/",
        {"crime_reference": "x", "contact": "y", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 200  # the form's own errors, not a 403
