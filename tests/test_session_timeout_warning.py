"""Time-outs that warn (WCAG 2.2.1): two minutes before the idle limit a signed-in
victim sees a modal warning that takes focus, closes with Escape and lets them stay
signed in; without JavaScript the page states the time-out; when time runs out they
land on a page that explains it and shows no case data."""

import datetime
import json

import pytest
import time_machine
from django.utils import timezone

from audit.models import AuditEvent
from tests import test_victim_browser as browser_tests
from tests.portal import latest_code, sign_in
from tests.test_victim_browser import (
    REFERENCE,
    TIMELINE_TEXT,
    _axe_violations,
    _context,
    _enter_code,
    _request_code,
)

# The browser tests' fixtures: Debian's chromium, a page, the live site.
browser = browser_tests.browser
site = browser_tests.site


EMAIL = "victim@example.com"


@pytest.fixture
def victim_client(client, django_capture_on_commit_callbacks, portal, victim_on_case):
    sign_in(client, django_capture_on_commit_callbacks, portal, REFERENCE, EMAIL)
    return client


def _reasons():
    return list(
        AuditEvent.objects.filter(action="sign_out").values_list(
            "detail__reason", flat=True
        )
    )


def test_signed_in_pages_state_the_time_out_without_javascript(victim_client):
    html = victim_client.get("/case/").content.decode()
    main = html.split('id="main-content"')[1].split("</main>")[0]
    assert "we sign you out after 15 minutes without activity" in main
    assert 'data-module="app-timeout-warning"' in html
    assert 'data-warning-seconds="120"' in html


def test_signed_out_pages_have_no_warning(client, db):
    html = client.get("/help/").content.decode()
    assert "app-timeout-warning" not in html
    assert "timeout-warning.mjs" not in html


def test_staying_signed_in_counts_as_activity(victim_client):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        traveller.shift(datetime.timedelta(minutes=14))
        response = victim_client.post(
            "/stay-signed-in/", HTTP_ACCEPT="application/json"
        )
        assert json.loads(response.content) == {"seconds_left": 15 * 60}
        traveller.shift(datetime.timedelta(minutes=14))
        assert victim_client.get("/case/").status_code == 200


def test_staying_signed_in_without_javascript_goes_back_to_the_case(victim_client):
    assert victim_client.post("/stay-signed-in/")["Location"] == "/case/"


def test_staying_signed_in_needs_a_signed_in_victim(client, db):
    response = client.post("/stay-signed-in/", HTTP_ACCEPT="application/json")
    assert response["Location"] == "/sign-in/"


def test_the_timed_out_page_ends_the_session_and_shows_no_case_data(victim_client):
    response = victim_client.get("/timed-out/")
    html = response.content.decode()
    assert "You have been signed out" in html
    assert REFERENCE not in html
    assert "victim_portal" not in victim_client.session
    assert _reasons() == ["idle"]
    assert victim_client.get("/case/")["Location"] == "/sign-in/"


# In the browser, with the keyboard only. The limits are shortened so the warning
# shows after about 3 seconds.


@pytest.fixture
def short_session(settings):
    settings.VICTIM_SESSION_IDLE_SECONDS = 10
    settings.VICTIM_SESSION_WARNING_SECONDS = 7


def _signed_in_page(browser, site, portal, **options):
    context = _context(browser, **options)
    page = context.new_page()
    _request_code(page, site)
    _enter_code(page, latest_code(portal))
    page.wait_for_url("**/case/")
    return context, page


def _dialog_open(page) -> bool:
    return page.evaluate("document.getElementById('timeout-warning').open")


def _focus_in_dialog(page) -> bool:
    return page.evaluate(
        "document.getElementById('timeout-warning').contains(document.activeElement)"
    )


@pytest.mark.django_db(transaction=True)
def test_the_warning_is_used_with_the_keyboard_only(
    browser, site, portal, short_session
):
    # CSP bypassed only to inject axe-core; the other tests run under the real policy.
    context, page = _signed_in_page(browser, site, portal, bypass_csp=True)
    page.keyboard.press("Tab")  # somewhere on the page, as a keyboard user would be
    page.wait_for_selector("#timeout-warning[open]", timeout=8_000)
    assert _focus_in_dialog(page)
    assert page.get_attribute("#timeout-warning", "aria-labelledby")
    assert "signed out soon" in page.inner_text("#timeout-warning")
    assert "second" in page.inner_text(".js-timeout-countdown")
    assert _axe_violations(page) == []
    page.keyboard.press("Tab")
    assert _focus_in_dialog(page)  # a modal dialog keeps focus inside
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == (
        "Stay signed in"
    )
    page.keyboard.press("Enter")
    page.wait_for_selector("#timeout-warning:not([open])", state="attached")
    page.wait_for_timeout(8_000)  # past the first limit; activity moved it on
    page.goto(site["url"] + "/case/")
    assert page.url.endswith("/case/")
    context.close()


@pytest.mark.django_db(transaction=True)
def test_escape_closes_the_warning_and_keeps_you_signed_in(
    browser, site, portal, short_session
):
    context, page = _signed_in_page(browser, site, portal)
    page.wait_for_selector("#timeout-warning[open]", timeout=8_000)
    page.keyboard.press("Escape")
    page.wait_for_selector("#timeout-warning:not([open])", state="attached")
    assert not _dialog_open(page)
    page.wait_for_timeout(8_000)
    page.goto(site["url"] + "/case/")
    assert page.url.endswith("/case/")
    context.close()


@pytest.mark.django_db(transaction=True)
def test_when_time_runs_out_the_victim_lands_on_a_page_without_case_data(
    browser, site, portal, short_session
):
    context, page = _signed_in_page(browser, site, portal)
    page.wait_for_url("**/timed-out/", timeout=15_000)
    text = page.inner_text("main")
    assert "You have been signed out" in text
    html = page.content()
    assert REFERENCE not in html and TIMELINE_TEXT not in html
    page.go_back(wait_until="load")
    assert TIMELINE_TEXT not in page.content()
    assert "idle" in _reasons()
    context.close()
