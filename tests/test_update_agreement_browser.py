"""Right 6 in a real browser (Debian's chromium, Playwright, axe-core): a victim
agrees how often and how they hear from us, checks their answers and confirms; the
officer sees the agreed interval in the case list and on the case page. Without
JavaScript, and 320 pixels wide, too."""

import pytest

from accounts.constants import StaffGroup
from tests.factories import (
    CaseFactory,
    CaseVictimFactory,
    ForceFactory,
    StaffFactory,
    backup_codes,
)
from tests.portal import latest_code
from tests.test_admin_browser import PASSWORD, _assert_no_blocking_violations
from tests.test_victim_browser import (
    EMAIL,
    REFERENCE,
    _assert_accessible,
    _context,
    _enter_code,
    _request_code,
    _submit,
    browser,
)

__all__ = ["browser"]

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server, portal, settings):
    settings.NOTIFICATIONS_QUIET_HOURS = None
    force = ForceFactory(
        code="ns",
        name="Northshire Police",
        crime_reference_pattern=r"^NS\d{5}\d{2}$",
    )
    officer = StaffFactory(
        force=force, first_name="Jo", last_name="Evans", group=StaffGroup.OFFICER
    )
    case = CaseFactory(
        force=force, crime_reference=REFERENCE, officer_in_charge=officer
    )
    CaseVictimFactory(case=case, victim__email=EMAIL)
    return {"url": live_server.url, "case": case, "officer": officer}


def _victim_signs_in(page, site, portal):
    _request_code(page, site)
    _enter_code(page, latest_code(portal))
    page.wait_for_url("**/case/")


def _victim_agrees(page, site, *, axe: bool):
    page.click("text=Tell us how often and how you want to hear from us")
    page.wait_for_url("**/how-you-hear-from-us/")
    if axe:
        _assert_accessible(page, "update agreement question")
    _submit(page, "Continue")
    assert page.locator(".govuk-error-summary").is_visible()
    if axe:
        _assert_accessible(page, "update agreement, nothing chosen")
    page.check("input[name=interval_weeks][value='2']")
    _submit(page, "Continue")
    # The answer given is kept; only the missing one is asked for.
    assert page.is_checked("input[name=interval_weeks][value='2']")
    page.check("input[name=channels][value='email']")
    _submit(page, "Continue")
    page.wait_for_url("**/how-you-hear-from-us/check/")
    assert "Every 2 weeks" in page.inner_text("main")
    if axe:
        _assert_accessible(page, "update agreement, check answers")
    _submit(page, "Confirm")
    page.wait_for_url("**/how-you-hear-from-us/done/")
    assert "We will update you as you asked" in page.inner_text("main")
    if axe:
        _assert_accessible(page, "update agreement, confirmation")
    page.goto(site["url"] + "/case/")
    assert "you agreed to hear from us every 2 weeks" in page.inner_text("main")


def _officer_sees_it(browser, site):
    context = _context(
        browser, bypass_csp=True, viewport={"width": 1280, "height": 800}
    )
    page = context.new_page()
    page.goto(site["url"] + "/admin/login/?next=/admin/cases/case/%3Finterval%3Dagreed")
    page.fill("#id_username", site["officer"].username)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp_token", backup_codes(site["officer"], count=1)[0])
    with page.expect_navigation():
        page.click("input[type=submit]")
    page.wait_for_url("**/admin/cases/case/**")
    listed = page.inner_text("#result_list")
    assert REFERENCE in listed and "14 days, agreed with the victim on" in listed
    _assert_no_blocking_violations(page, "case list, agreed intervals")
    with page.expect_navigation():
        page.click(f"#result_list a:has-text('{REFERENCE}')")
    content = page.inner_text("#content-main")
    assert "14 days, agreed with the victim on" in content
    assert "Every 14 days by Email, on" in content
    _assert_no_blocking_violations(page, "case page with an agreed interval")
    context.close()


def test_a_victim_agrees_an_interval_and_the_officer_sees_it(browser, site, portal):
    context = _context(browser, bypass_csp=True)
    page = context.new_page()
    _victim_signs_in(page, site, portal)
    _assert_accessible(page, "case page, nothing agreed")
    _victim_agrees(page, site, axe=True)
    _assert_accessible(page, "case page, interval agreed")
    context.close()
    _officer_sees_it(browser, site)


def test_agreeing_works_without_javascript(browser, site, portal):
    context = _context(browser, java_script_enabled=False)
    page = context.new_page()
    _victim_signs_in(page, site, portal)
    _victim_agrees(page, site, axe=False)
    context.close()


def test_the_question_page_fits_320_pixels_wide(browser, site, portal):
    context = _context(browser, viewport={"width": 320, "height": 640})
    page = context.new_page()
    _victim_signs_in(page, site, portal)
    page.goto(site["url"] + "/how-you-hear-from-us/")
    _submit(page, "Continue")
    for path in ("/how-you-hear-from-us/",):
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{path} is {width}px wide"
    page.check("input[name=interval_weeks][value='8']")
    page.check("input[name=channels][value='sms']")
    _submit(page, "Continue")
    page.wait_for_url("**/check/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"check answers is {width}px wide"
    context.close()
