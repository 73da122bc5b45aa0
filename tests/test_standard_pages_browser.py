"""The standard pages in Debian's chromium: no axe violations, usable 320 pixels wide
and without JavaScript, and every cookie the browser holds is on the cookies page."""

import pytest

from tests import test_victim_browser as browser_tests
from tests.portal import latest_code
from tests.test_victim_browser import (
    _assert_accessible,
    _context,
    _enter_code,
    _request_code,
    _submit,
)

# The browser tests' fixtures: Debian's chromium, a page, the live site.
browser = browser_tests.browser
page = browser_tests.page
site = browser_tests.site


pytestmark = [pytest.mark.django_db(transaction=True)]

PAGES = ["/accessibility-statement/", "/privacy/", "/cookies/", "/help/", "/contact/"]


def test_every_standard_page_has_no_accessibility_violations(page, site):
    for path in PAGES:
        page.goto(site["url"] + path)
        _assert_accessible(page, path)


def test_standard_pages_fit_320_pixels_wide(browser, site):
    context = _context(browser, viewport={"width": 320, "height": 640})
    page = context.new_page()
    for path in PAGES:
        page.goto(site["url"] + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{path} is {width}px wide"
    context.close()


def test_standard_pages_work_without_javascript(browser, site):
    context = _context(browser, java_script_enabled=False)
    page = context.new_page()
    page.goto(site["url"] + "/")
    for path in PAGES:
        page.click(f"footer a[href='{path}']")
        page.wait_for_url(f"**{path}")
        assert page.locator("h1").is_visible()
    context.close()


def test_every_cookie_is_listed_and_none_is_left_after_signing_out(
    browser, site, portal
):
    context = _context(browser)
    page = context.new_page()
    seen = set()
    _request_code(page, site)
    seen |= {cookie["name"] for cookie in context.cookies()}
    _enter_code(page, latest_code(portal))
    page.wait_for_url("**/case/")
    seen |= {cookie["name"] for cookie in context.cookies()}
    assert seen, "signing in needs a cookie"
    page.goto(site["url"] + "/cookies/")
    listed = set(page.locator(".app-cookie-name").all_inner_texts())
    assert seen <= listed, f"not on the cookies page: {seen - listed}"

    page.goto(site["url"] + "/case/")
    _submit(page, "Sign out")
    page.wait_for_url("**/signed-out/**")
    assert context.cookies() == []
    context.close()
