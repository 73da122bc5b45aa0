"""The victim's journey in a real browser: Debian's chromium driven by Playwright (never
a downloaded browser), with axe-core from npm checking every page, error states too.

Skipped with a reason where chromium or the built front end is missing; under
REQUIRE_SERVICES=1 (CI) that fails instead.
"""

import json
from pathlib import Path

import pytest

from accounts.constants import StaffGroup
from audit.models import AuditEvent
from cases.constants import ClosingReason, Stage
from cases.services import case_add_update, case_change_stage
from tests.factories import (
    CaseFactory,
    CaseVictimFactory,
    ForceFactory,
    StaffFactory,
    backup_codes,
)
from tests.portal import latest_code, outbox_messages, views_written
from trackmycrime.testing import CHROMIUM, skip_or_fail

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Exit this page leaves for this address; the browser answers it itself, so the tests
# never touch the network.
EXIT_URL = "https://exit.invalid/weather"
REFERENCE = "NS/00001/26"
EMAIL = "victim@example.com"
TIMELINE_TEXT = "We have asked nearby shops for their CCTV."

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser():
    if not AXE.exists():
        skip_or_fail("browser tests need axe-core: run `make frontend`")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, which Django
    # would take for an async context and refuse database access from. Only for these
    # tests: the variable must not reach anything else (it fails check --deploy).
    with (
        pytest.MonkeyPatch.context() as patch,
        sync_playwright() as playwright,
    ):
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def site(live_server, portal, settings):
    """The live site, with demo-like data: a victim on a case with updates."""
    settings.EXIT_THIS_PAGE_URL = EXIT_URL
    force = ForceFactory(
        code="ns",
        name="Northshire Police",
        crime_reference_pattern=r"^NS\d{5}\d{2}$",
        contact_text="Call 101 and quote your crime reference number.",
    )
    officer = StaffFactory(
        force=force, first_name="Jo", last_name="Evans", group=StaffGroup.OFFICER
    )
    case = CaseFactory(
        force=force, crime_reference=REFERENCE, officer_in_charge=officer
    )
    link = CaseVictimFactory(case=case, victim__email=EMAIL)
    case_change_stage(case=case, stage=Stage.SUSPECT_ARRESTED, actor=officer)
    case_add_update(case=case, actor=officer, victim_text=TIMELINE_TEXT)
    return {"url": live_server.url, "case": case, "link": link, "officer": officer}


def _context(browser, **options):
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)
    context.route(
        "https://exit.invalid/**",
        lambda route: route.fulfill(
            content_type="text/html",
            body="<!doctype html><title>Weather</title><h1>Weather</h1>",
        ),
    )
    return context


@pytest.fixture
def page(browser):
    context = _context(browser, bypass_csp=True)  # lets axe-core be injected
    yield context.new_page()
    context.close()


def _axe_violations(page) -> list[str]:
    page.add_script_tag(content=AXE.read_text())
    return page.evaluate(
        """async () => (await axe.run(document)).violations.map(
            v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target).join(", ")}`
        )"""
    )


def _assert_accessible(page, label):
    violations = _axe_violations(page)
    assert violations == [], f"axe on {label} ({page.url}): {violations}"


def _submit(page, button):
    """Press a form's button and wait for the page it leads to."""
    with page.expect_navigation():
        page.click(f"button:has-text('{button}')")


def _request_code(page, site, reference=REFERENCE, contact=EMAIL):
    page.goto(site["url"] + "/sign-in/")
    page.fill("#id_crime_reference", reference)
    page.fill("#id_contact", contact)
    _submit(page, "Continue")
    page.wait_for_url("**/sign-in/code/")


def _enter_code(page, code):
    page.fill("#id_code", code)
    _submit(page, "Sign in")


def _assert_left_the_site(page):
    # Polls rather than waiting for one navigation: Chromium reports the redirect from
    # /exit/ to the exit address as a failed navigation before the route answers it.
    from playwright.sync_api import expect

    expect(page).to_have_url(EXIT_URL)
    expect(page).to_have_title("Weather")


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_victim_signs_in_with_the_code_from_the_outbox_and_sees_their_case(
    page, site, portal
):
    page.goto(site["url"] + "/")
    page.click("text=Start now")
    page.wait_for_url("**/sign-in/")
    page.fill("#id_crime_reference", "ns 00001 26")
    page.fill("#id_contact", "Victim@Example.com")
    _submit(page, "Continue")
    page.wait_for_url("**/sign-in/code/")
    assert "00001" not in page.url

    _enter_code(page, latest_code(portal))

    page.wait_for_url("**/case/")
    text = page.inner_text("main")
    assert REFERENCE in text
    assert "Suspect arrested or interviewed" in text
    assert TIMELINE_TEXT in text
    assert "Sam Evans" not in text and "Jo Evans" in text
    views_written()
    assert AuditEvent.objects.filter(action="view", object_type="case").exists()


def test_every_victim_page_has_no_accessibility_violations(page, site, portal):
    url = site["url"]
    for path in ["/", "/safety/", "/sign-in/"]:
        page.goto(url + path)
        _assert_accessible(page, path)

    _submit(page, "Continue")  # nothing filled in
    _assert_accessible(page, "sign-in errors")

    _request_code(page, site)
    _assert_accessible(page, "code page")
    code = latest_code(portal)
    _enter_code(page, _wrong(code))
    assert page.locator(".govuk-error-summary").is_visible()
    _assert_accessible(page, "wrong code")
    _enter_code(page, "12")
    _assert_accessible(page, "badly formed code")
    _submit(page, "Send a new code")
    page.wait_for_url("**/sign-in/code/")
    assert page.locator(".govuk-notification-banner").is_visible()
    _assert_accessible(page, "new code sent")

    _enter_code(page, latest_code(portal))
    page.wait_for_url("**/case/")
    _assert_accessible(page, "case")
    for path in ["/support/", "/contact-preferences/"]:
        page.goto(url + path)
        _assert_accessible(page, path)

    _submit(page, "Sign out")
    page.wait_for_url("**/signed-out/**")
    _assert_accessible(page, "signed out")
    page.goto(url + "/session-ended/")
    _assert_accessible(page, "session ended")


def test_error_states_have_no_accessibility_violations(page, site, portal):
    _request_code(page, site)
    code = latest_code(portal)
    for _ in range(5):
        _enter_code(page, _wrong(code))
    assert "You need to start again" in page.inner_text("main")
    _assert_accessible(page, "code ended")

    # The limit is per crime reference and contact together.
    for _ in range(6):
        page.goto(site["url"] + "/sign-in/")
        page.fill("#id_crime_reference", REFERENCE)
        page.fill("#id_contact", EMAIL)
        _submit(page, "Continue")
    assert "too many times" in page.inner_text("main")
    _assert_accessible(page, "rate limited")


def test_a_closed_case_with_the_right_to_review_has_no_accessibility_violations(
    page, site, portal
):
    case_change_stage(
        case=site["case"],
        stage=Stage.CLOSED,
        actor=site["officer"],
        closing_reason=ClosingReason.NFA_EVIDENTIAL,
        closing_explanation="There is not enough evidence.",
    )
    _request_code(page, site)
    _enter_code(page, latest_code(portal))
    page.wait_for_url("**/case/")
    assert "reviewed" in page.inner_text("main")
    _assert_accessible(page, "closed case")


def test_five_wrong_codes_end_the_code(page, site, portal):
    _request_code(page, site)
    code = latest_code(portal)
    for attempt in range(5):
        _enter_code(page, _wrong(code))
        if attempt < 4:
            assert "The security code is not right" in page.inner_text("main")
    assert "You need to start again" in page.inner_text("main")
    page.goto(site["url"] + "/sign-in/code/")
    page.wait_for_url("**/sign-in/")  # the attempt is over
    page.goto(site["url"] + "/case/")
    page.wait_for_url("**/sign-in/")


def test_an_expired_code_is_refused(page, site, portal):
    _request_code(page, site)
    code = latest_code(portal)
    # The browser cannot wait ten minutes; the attempt's clock can be moved instead.
    from victims.models import SignInAttempt

    attempt = SignInAttempt.objects.get()
    SignInAttempt.objects.filter(pk=attempt.pk).update(expires_at=attempt.created_at)
    _enter_code(page, code)
    assert "The security code has expired" in page.inner_text("main")
    _assert_accessible(page, "expired code")
    page.goto(site["url"] + "/case/")
    page.wait_for_url("**/sign-in/")


def test_after_signing_out_back_shows_no_case_data(page, site, portal):
    _request_code(page, site)
    _enter_code(page, latest_code(portal))
    page.wait_for_url("**/case/")
    assert TIMELINE_TEXT in page.content()
    _submit(page, "Sign out")
    page.wait_for_url("**/signed-out/**")

    page.go_back(wait_until="load")
    html = page.content()
    assert TIMELINE_TEXT not in html
    assert REFERENCE not in html
    assert "/case/" not in page.url
    page.go_back(wait_until="load")
    assert TIMELINE_TEXT not in page.content()


def test_exit_this_page_leaves_the_site_and_back_shows_no_case_data(
    browser, site, portal
):
    context = _context(browser)
    page = context.new_page()
    _request_code(page, site)
    _enter_code(page, latest_code(portal))
    page.wait_for_url("**/case/")
    page.click("text=Exit this page")
    _assert_left_the_site(page)
    page.go_back(wait_until="load")
    assert TIMELINE_TEXT not in page.content()
    context.close()


def test_pressing_shift_three_times_leaves_the_site(browser, site):
    context = _context(browser)
    page = context.new_page()
    page.goto(site["url"] + "/safety/")
    for _ in range(3):
        page.keyboard.press("Shift")
    _assert_left_the_site(page)
    context.close()


def test_every_page_works_without_javascript(browser, site, portal):
    context = _context(browser, java_script_enabled=False)
    page = context.new_page()
    _request_code(page, site)
    _enter_code(page, latest_code(portal))
    page.wait_for_url("**/case/")
    assert TIMELINE_TEXT in page.inner_text("main")
    _submit(page, "Sign out")
    page.wait_for_url("**/signed-out/**")
    page.goto(site["url"] + "/")
    page.click("text=Exit this page")
    _assert_left_the_site(page)
    context.close()


def test_pages_are_usable_320_pixels_wide(browser, site, portal):
    context = _context(browser, viewport={"width": 320, "height": 640})
    page = context.new_page()

    def fits(label):
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{label} is {width}px wide"

    page.goto(site["url"] + "/")
    fits("start")
    _request_code(page, site)
    fits("code")
    _enter_code(page, latest_code(portal))
    page.wait_for_url("**/case/")
    fits("case")
    for path in ["/support/", "/contact-preferences/", "/safety/"]:
        page.goto(site["url"] + path)
        fits(path)
    page.goto(site["url"] + "/case/")
    page.click("button:has-text('Menu')")  # the navigation folds into a menu
    _submit(page, "Sign out")
    page.wait_for_url("**/signed-out/**")
    context.close()


def _csp_problems(page) -> list[str]:
    problems = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if "Content Security Policy" in message.text or message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def test_the_policy_lets_govuk_frontend_run_and_refuses_nothing_it_needs(
    browser, site, portal
):
    context = _context(browser)  # the real policy, not bypassed
    page = context.new_page()
    problems = _csp_problems(page)
    page.goto(site["url"] + "/")
    classes = page.evaluate("document.body.className")
    assert "govuk-frontend-supported" in classes  # the nonced inline script ran
    page.wait_for_selector(".govuk-exit-this-page__indicator", state="attached")
    _request_code(page, site)
    _enter_code(page, latest_code(portal))
    page.wait_for_url("**/case/")
    heading_font = page.evaluate(
        "getComputedStyle(document.querySelector('h1')).fontFamily"
    )
    assert heading_font.startswith("system-ui")  # the stylesheet loaded
    assert problems == []
    context.close()


def test_the_admin_still_works_under_the_policy(browser, site):
    officer = site["officer"]
    code = backup_codes(officer, count=1)[0]
    context = _context(browser)
    page = context.new_page()
    problems = _csp_problems(page)
    page.goto(site["url"] + "/admin/login/?next=/admin/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", "a-long-test-password")
    page.fill("#id_otp_token", code)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    page.goto(site["url"] + "/admin/cases/case/")
    assert REFERENCE in page.inner_text("#content")
    page.click(f"text={REFERENCE}")
    page.wait_for_selector("#case_form")
    page.goto(site["url"] + "/admin/victims/victim/")
    assert problems == [], problems
    context.close()


def test_the_code_is_only_in_the_message_never_the_page_or_the_audit_trail(
    page, site, portal
):
    _request_code(page, site)
    code = latest_code(portal)
    # The outbox also holds the update emails the case's changes sent.
    [message] = [m for m in outbox_messages(portal) if code in m["body"]]
    assert message["to"] == EMAIL
    assert code not in page.content()
    assert code not in json.dumps(list(AuditEvent.objects.values("detail")))


def test_axe_does_report_a_violation_when_there_is_one(page, site):
    page.goto(site["url"] + "/sign-in/")
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend', "
        "'<input type=text id=unlabelled>')"
    )
    assert any(v.startswith("label ") for v in _axe_violations(page))
