"""Messages in a real browser (Debian's chromium, Playwright, axe-core): a victim
writes, an officer replies in the back office, the victim is told by the outbox and
reads the reply; without JavaScript, and 320 pixels wide, too."""

import pytest

from accounts.constants import StaffGroup
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

QUESTION = "Has anyone looked at the doorbell camera <next door>?"
ANSWER = "Yes: I collected the footage today."


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
    CaseVictimFactory(case=case, victim__email=EMAIL)
    return {"url": live_server.url, "case": case, "officer": officer}


def _victim_signs_in(page, site, portal):
    _request_code(page, site)
    _enter_code(page, latest_code(portal))
    page.wait_for_url("**/case/")


def _officer_replies(browser, site, text):
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
    assert "1 unread message from victims" in page.inner_text("#content-main")
    _assert_no_blocking_violations(page, "my work with a message")
    page.click("text=1 unread message from victims")
    page.wait_for_url("**/inbox/")
    _assert_no_blocking_violations(page, "inbox")
    with page.expect_navigation():
        page.click(f"a:has-text('{REFERENCE}')")
    assert QUESTION in page.inner_text("#content-main")
    _assert_no_blocking_violations(page, "conversation")
    page.fill("textarea[name=text]", text)
    with page.expect_navigation():
        page.click("button:has-text('Send to the victim')")
    assert "Your message is sent" in page.inner_text("body")
    _assert_no_blocking_violations(page, "conversation after the reply")
    context.close()


def _told(portal) -> list[dict]:
    return [
        m
        for m in outbox_messages(portal)
        if m["to"] == EMAIL and "new message" in m["body"]
    ]


def test_a_victim_writes_an_officer_replies_and_the_victim_is_told_and_reads_it(
    browser, site, portal
):
    context = _context(browser, bypass_csp=True)
    page = context.new_page()
    _victim_signs_in(page, site, portal)
    page.click(".govuk-service-navigation__link:has-text('Messages')")
    page.wait_for_url("**/messages/")
    assert "within 2 working days" in page.inner_text("main")
    assert "call 999" in page.inner_text("main")
    assert page.locator(".govuk-exit-this-page").count() == 1
    _assert_accessible(page, "messages, empty")
    _submit(page, "Send message")
    assert page.locator(".govuk-error-summary").is_visible()
    _assert_accessible(page, "messages, empty message refused")
    page.fill("textarea", QUESTION)
    _submit(page, "Send message")
    assert "Your message has been sent" in page.inner_text("main")
    assert QUESTION in page.inner_text("main")
    _assert_accessible(page, "messages, sent")

    _officer_replies(browser, site, ANSWER)

    [told] = _told(portal)
    assert ANSWER not in told["body"] and REFERENCE not in told["body"]
    page.reload()
    main = page.inner_text("main")
    assert main.index(QUESTION) < main.index(ANSWER)
    assert "PC Jo Evans" in main
    _assert_accessible(page, "messages, with the reply")
    context.close()


def test_messages_work_without_javascript(browser, site, portal):
    context = _context(browser, java_script_enabled=False)
    page = context.new_page()
    _victim_signs_in(page, site, portal)
    page.goto(site["url"] + "/messages/")
    page.fill("textarea", QUESTION)
    _submit(page, "Send message")
    assert QUESTION in page.inner_text("main")
    _officer_replies(browser, site, ANSWER)
    assert len(_told(portal)) == 1
    page.goto(site["url"] + "/messages/")
    assert ANSWER in page.inner_text("main")
    context.close()


def test_the_messages_page_fits_320_pixels_wide(browser, site, portal):
    context = _context(browser, viewport={"width": 320, "height": 640})
    page = context.new_page()
    _victim_signs_in(page, site, portal)
    page.goto(site["url"] + "/messages/")
    page.fill("textarea", "A long word: " + "x" * 120)
    _submit(page, "Send message")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"the messages page is {width}px wide"
    context.close()
