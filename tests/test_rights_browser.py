"""Right to Review in a real browser (Debian's chromium, Playwright, axe-core): a
victim on an eligible closed case asks for a review; a supervisor assigns a
reviewer, who acknowledges it and decides; the victim is told at each step by the
outbox (safe wording) and reads each step on their case page. Without JavaScript
and 320 pixels wide too."""

import pytest

from accounts.constants import StaffGroup
from cases.constants import ClosingReason, Stage
from cases.services import case_change_stage
from tests.factories import (
    CaseFactory,
    CaseVictimFactory,
    ForceFactory,
    StaffFactory,
    backup_codes,
)
from tests.portal import latest_code, outbox_messages
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

WHY = "Nobody spoke to the neighbour who saw the car <registration>."


@pytest.fixture
def site(live_server, portal, settings):
    settings.NOTIFICATIONS_QUIET_HOURS = None
    force = ForceFactory(
        code="ns",
        name="Northshire Police",
        crime_reference_pattern=r"^NS\d{5}\d{2}$",
    )
    decider = StaffFactory(
        force=force,
        first_name="Jo",
        last_name="Evans",
        rank="PC",
        group=StaffGroup.OFFICER,
    )
    supervisor = StaffFactory(
        force=force,
        first_name="Sam",
        last_name="Patel",
        rank="DS",
        group=StaffGroup.SUPERVISOR,
    )
    reviewer = StaffFactory(
        force=force,
        first_name="Ali",
        last_name="Khan",
        rank="DI",
        group=StaffGroup.OFFICER,
    )
    case = CaseFactory(
        force=force, crime_reference=REFERENCE, officer_in_charge=decider
    )
    CaseVictimFactory(case=case, victim__email=EMAIL)
    case_change_stage(case=case, stage=Stage.SUSPECT_ARRESTED, actor=decider)
    case_change_stage(
        case=case,
        stage=Stage.CLOSED,
        actor=decider,
        closing_reason=ClosingReason.NFA_EVIDENTIAL,
    )
    return {
        "url": live_server.url,
        "case": case,
        "decider": decider,
        "supervisor": supervisor,
        "reviewer": reviewer,
    }


def _told(portal) -> list[dict]:
    return [
        m
        for m in outbox_messages(portal)
        if m["to"] == EMAIL and "there is an update" in m["body"].lower()
    ]


def _staff_page(browser, site, who):
    context = _context(
        browser, bypass_csp=True, viewport={"width": 1280, "height": 800}
    )
    page = context.new_page()
    page.goto(site["url"] + "/admin/login/?next=/admin/")
    page.fill("#id_username", site[who].username)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp_token", backup_codes(site[who], count=1)[0])
    with page.expect_navigation():
        page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    return context, page


def _open_the_request(page, site):
    page.goto(site["url"] + "/admin/rights/rightrequest/")
    _assert_no_blocking_violations(page, "requests list")
    with page.expect_navigation():
        page.click(f"a:has-text('{REFERENCE}')")
    page.wait_for_url("**/act/")


def _victim_asks(page, site, portal):
    _request_code(page, site)
    _enter_code(page, latest_code(portal))
    page.wait_for_url("**/case/")
    assert "You can ask for this decision to be reviewed" in page.inner_text("main")
    page.click("text=Ask for a review")
    page.wait_for_url("**/case/rights/review/")
    _submit(page, "Continue")  # nothing answered
    assert page.locator(".govuk-error-summary").is_visible()
    page.fill("textarea", WHY)
    page.check("input[value=email]")
    _submit(page, "Continue")
    page.wait_for_url("**/check/")
    assert WHY in page.inner_text("main")
    _submit(page, "Send request")
    page.wait_for_url("**/done/")
    assert "Review request sent" in page.inner_text("main")


def test_a_victim_asks_for_a_review_and_is_told_as_it_is_assigned_and_decided(
    browser, site, portal
):
    context = _context(browser, bypass_csp=True)
    page = context.new_page()
    _request_code(page, site)
    _enter_code(page, latest_code(portal))
    page.wait_for_url("**/case/")
    _assert_accessible(page, "case page with the review panel")
    before = len(_told(portal))  # the update that told them the case was closed
    page.click("text=Ask for a review")
    page.wait_for_url("**/case/rights/review/")
    _assert_accessible(page, "review question")
    _submit(page, "Continue")
    _assert_accessible(page, "review question with errors")
    page.fill("textarea", WHY)
    page.check("input[value=email]")
    _submit(page, "Continue")
    _assert_accessible(page, "check your answers")
    _submit(page, "Send request")
    page.wait_for_url("**/done/")
    _assert_accessible(page, "confirmation")
    told = len(_told(portal))
    assert told == before + 1  # the request arrived

    # A supervisor assigns a reviewer; the decision-maker is refused.
    staff, office = _staff_page(browser, site, "supervisor")
    _open_the_request(office, site)
    assert WHY in office.inner_text("#content-main")
    _assert_no_blocking_violations(office, "request page")
    office.select_option("select[name=assigned_to]", str(site["decider"].pk))
    with office.expect_navigation():
        office.click("button:has-text('Assign')")
    assert "made the decision or is in charge of the case" in office.inner_text(
        "#content-main"
    )
    _assert_no_blocking_violations(office, "reviewer refused")
    office.select_option("select[name=assigned_to]", str(site["reviewer"].pk))
    with office.expect_navigation():
        office.click("button:has-text('Assign')")
    assert "The request is assigned." in office.inner_text("body")
    staff.close()

    # The reviewer acknowledges it, then decides: upheld.
    staff, office = _staff_page(browser, site, "reviewer")
    _open_the_request(office, site)
    with office.expect_navigation():
        office.click("button:has-text('Acknowledge the request')")
    assert "The request is acknowledged." in office.inner_text("body")
    assert len(_told(portal)) == told + 1
    page.goto(site["url"] + "/case/")
    assert "We acknowledged your request" in page.inner_text("main")

    office.select_option("select[name=outcome]", "upheld")
    office.fill("textarea[name=note]", "The evidence was reviewed again in full.")
    with office.expect_navigation():
        office.click("button:has-text('Record the outcome')")
    assert "The outcome is recorded." in office.inner_text("body")
    _assert_no_blocking_violations(office, "request decided")
    staff.close()

    messages = _told(portal)
    assert len(messages) == told + 2
    # The safe wording: nothing of the case or the review.
    for message in messages[before:]:
        assert REFERENCE not in message["body"] and "review" not in message["body"]
    page.goto(site["url"] + "/case/")
    main = page.inner_text("main")
    assert "The review found the decision was right" in main
    assert "The evidence was reviewed again in full." in main
    _assert_accessible(page, "case page after the decision")
    context.close()


def test_a_review_can_be_asked_for_without_javascript(browser, site, portal):
    context = _context(browser, java_script_enabled=False)
    page = context.new_page()
    _victim_asks(page, site, portal)
    context.close()


def test_the_review_pages_fit_320_pixels_wide(browser, site, portal):
    context = _context(browser, viewport={"width": 320, "height": 640})
    page = context.new_page()

    def fits(label):
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{label} is {width}px wide"

    _request_code(page, site)
    _enter_code(page, latest_code(portal))
    page.wait_for_url("**/case/")
    fits("case with review panel")
    page.goto(site["url"] + "/case/rights/review/")
    fits("review question")
    page.fill("textarea", "A long word: " + "x" * 120)
    page.check("input[value=portal]")
    _submit(page, "Continue")
    fits("check answers")
    _submit(page, "Send request")
    page.wait_for_url("**/done/")
    fits("confirmation")
    page.goto(site["url"] + "/case/rights/complaint/")
    fits("complaint question")
    context.close()
