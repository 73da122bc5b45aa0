"""A Victim Personal Statement request and a referral to support in a real browser
(Debian's chromium, Playwright, axe-core): the victim asks through the question
pages and check answers, staff record the step in the back office, and the victim
sees it on their case page; every page has no axe violation, works without
JavaScript and fits 320 pixels."""

import pytest

from accounts.constants import StaffGroup
from cases.constants import Stage
from cases.models import Case, SupportService
from rights.models import RightRequest
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

AVAILABILITY = "Weekday mornings before 11"


@pytest.fixture
def site(live_server, portal, settings):
    settings.NOTIFICATIONS_QUIET_HOURS = None
    force = ForceFactory(
        code="ns",
        name="Northshire Police",
        crime_reference_pattern=r"^NS\d{5}\d{2}$",
        contact_text="Call 101 and quote your crime reference number.",
    )
    officer = StaffFactory(
        force=force,
        first_name="Jo",
        last_name="Evans",
        rank="PC",
        group=StaffGroup.OFFICER,
    )
    case = CaseFactory(
        force=force, crime_reference=REFERENCE, officer_in_charge=officer
    )
    Case.objects.filter(pk=case.pk).update(stage=Stage.CHARGED)
    CaseVictimFactory(case=case, victim__email=EMAIL)
    SupportService.objects.create(
        force=force,
        name="Northshire Victim Care",
        description="Local help after a crime.",
    )
    return {"url": live_server.url, "case": case, "officer": officer}


def _victim_signs_in(page, site, portal):
    _request_code(page, site)
    _enter_code(page, latest_code(portal))
    page.wait_for_url("**/case/")


def _staff_page(browser, site):
    context = _context(
        browser, bypass_csp=True, viewport={"width": 1280, "height": 800}
    )
    page = context.new_page()
    page.goto(site["url"] + "/admin/login/?next=/admin/")
    page.fill("#id_username", site["officer"].username)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp_token", backup_codes(site["officer"], count=1)[0])
    with page.expect_navigation():
        page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    return context, page


def _staff_record(staff, site, *, buttons: list[str]):
    """Find the request in the back office and record its steps there."""
    staff.goto(site["url"] + "/admin/rights/rightrequest/")
    assert REFERENCE in staff.inner_text("#content")
    _assert_no_blocking_violations(staff, "requests in the back office")
    request = RightRequest.objects.get()
    staff.goto(site["url"] + f"/admin/rights/rightrequest/{request.pk}/act/")
    _assert_no_blocking_violations(staff, "request in the back office")
    for button in buttons:
        with staff.expect_navigation():
            staff.click(f"button:has-text('{button}')")
        assert staff.locator(".errornote").count() == 0, staff.inner_text("#content")
        _assert_no_blocking_violations(staff, f"request after {button}")


def test_a_victim_asks_to_make_a_statement_the_officer_records_it_and_they_see_it(
    browser, site, portal
):
    context = _context(browser, bypass_csp=True)
    page = context.new_page()
    _victim_signs_in(page, site, portal)
    _assert_accessible(page, "case page with the rights area")
    page.click("text=Ask to make a Victim Personal Statement")
    page.wait_for_url("**/personal-statement/")
    assert page.locator(".govuk-exit-this-page").count() == 1
    _assert_accessible(page, "statement question")
    _submit(page, "Continue")  # nothing chosen
    assert page.locator(".govuk-error-summary").is_visible()
    _assert_accessible(page, "statement question, error")
    page.check("text=Make a Victim Personal Statement")
    _submit(page, "Continue")
    page.wait_for_url("**/reading/")
    _assert_accessible(page, "reading question")
    page.check("text=I would like someone to read it aloud for me")
    _submit(page, "Continue")
    page.wait_for_url("**/contact/")
    page.fill("textarea", "x" * 501)
    _submit(page, "Continue")
    assert "500 characters or fewer" in page.inner_text("main")
    assert page.input_value("textarea") == "x" * 501  # kept
    _assert_accessible(page, "availability question, error")
    page.fill("textarea", AVAILABILITY)
    _submit(page, "Continue")
    page.wait_for_url("**/check/")
    assert AVAILABILITY in page.inner_text("main")
    _assert_accessible(page, "check answers")
    _submit(page, "Send request")
    page.wait_for_url("**/sent/")
    _assert_accessible(page, "request sent")
    page.click("text=Back to your case")
    page.wait_for_url("**/case/")
    assert "to make a Victim Personal Statement" in page.inner_text("main")

    staff_context, staff = _staff_page(browser, site)
    _staff_record(staff, site, buttons=["Record that the victim was contacted"])
    page.reload()
    assert "The officer in charge contacted you about your statement on" in (
        page.inner_text("main")
    )
    _staff_record(staff, site, buttons=["Record the outcome"])
    staff_context.close()
    page.reload()
    assert "Your statement was taken on" in page.inner_text("main")
    _assert_accessible(page, "case page after the statement")
    context.close()


def test_a_victim_asks_to_be_referred_staff_refer_them_and_they_see_it(
    browser, site, portal
):
    context = _context(browser, bypass_csp=True)
    page = context.new_page()
    _victim_signs_in(page, site, portal)
    page.click("text=Ask to be referred to a support service")
    page.wait_for_url("**/support/")
    _assert_accessible(page, "service question")
    page.check("text=Northshire Victim Care")
    _submit(page, "Continue")
    page.wait_for_url("**/consent/")
    _submit(page, "Continue")  # not ticked
    assert "Tick the box" in page.inner_text("main")
    _assert_accessible(page, "consent, error")
    page.check("input[name=consent]")
    _submit(page, "Continue")
    page.wait_for_url("**/check/")
    _assert_accessible(page, "referral check answers")
    _submit(page, "Send request")
    page.wait_for_url("**/sent/")
    _assert_accessible(page, "referral sent")

    staff_context, staff = _staff_page(browser, site)
    _staff_record(staff, site, buttons=["Record the outcome"])
    staff_context.close()

    page.goto(site["url"] + "/case/")
    assert "We referred you to Northshire Victim Care on" in page.inner_text("main")
    _assert_accessible(page, "case page after the referral")
    context.close()


def test_both_journeys_work_without_javascript_and_at_320_pixels(browser, site, portal):
    context = _context(
        browser, java_script_enabled=False, viewport={"width": 320, "height": 640}
    )
    page = context.new_page()

    def fits(label):
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{label} is {width}px wide"

    _victim_signs_in(page, site, portal)
    fits("case page")
    page.click("text=Ask to make a Victim Personal Statement")
    fits("statement question")
    page.check("text=Add to a statement I have already made")
    _submit(page, "Continue")
    fits("reading question")
    page.check("text=I do not want it read aloud")
    _submit(page, "Continue")
    page.fill("textarea", AVAILABILITY)
    _submit(page, "Continue")
    fits("check answers")
    _submit(page, "Send request")
    page.wait_for_url("**/sent/")
    fits("sent")

    page.goto(site["url"] + "/case/rights/support/")
    fits("service question")
    page.check("text=Victim Support")
    _submit(page, "Continue")
    fits("consent")
    page.check("input[name=consent]")
    _submit(page, "Continue")
    _submit(page, "Send request")
    page.wait_for_url("**/sent/")
    assert RightRequest.objects.count() == 2
    context.close()
