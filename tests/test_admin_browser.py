"""The back office an officer works from, in a real browser: Debian's chromium driven
by Playwright (never a downloaded browser), with axe-core from npm checking the
sign-in page, "My work", the case list, a case and the compliance page.

Skipped with a reason where chromium or the built front end is missing; under
REQUIRE_SERVICES=1 (CI) that fails instead.
"""

import pytest

from accounts.constants import StaffGroup
from cases.constants import Stage
from cases.services import case_add_update, case_change_stage
from tests.factories import (
    CaseFactory,
    CaseVictimFactory,
    ForceFactory,
    StaffFactory,
    backup_codes,
)
from tests.test_victim_browser import AXE, _context, browser
from trackmycrime.testing import skip_or_fail

__all__ = ["browser"]  # the module-scoped Chromium, shared with the victim tests

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]

REFERENCE = "NS/00001/26"
PASSWORD = "a-long-test-password"
# What axe must never find on a back-office page.
BLOCKING = ("critical", "serious")


@pytest.fixture
def back_office(live_server, portal):
    """A supervisor (who may see compliance) with a few cases, one arrested."""
    if not AXE.exists():
        skip_or_fail("browser tests need axe-core: run `make frontend`")
    force = ForceFactory(
        code="ns",
        name="Northshire Police",
        crime_reference_pattern=r"^NS\d{5}\d{2}$",
    )
    supervisor = StaffFactory(
        force=force,
        first_name="Sam",
        last_name="Patel",
        rank="DS",
        group=StaffGroup.SUPERVISOR,
    )
    case = CaseFactory(
        force=force,
        crime_reference=REFERENCE,
        victim_description="Burglary at your home, with a long description",
        officer_in_charge=supervisor,
    )
    CaseVictimFactory(case=case, victim__email="victim@example.com")
    case_change_stage(case=case, stage=Stage.SUSPECT_ARRESTED, actor=supervisor)
    case_add_update(case=case, actor=supervisor, victim_text="We spoke to a witness.")
    for number in range(2, 6):
        CaseFactory(
            force=force,
            crime_reference=f"NS/0000{number}/26",
            officer_in_charge=supervisor,
        )
    return {"url": live_server.url, "user": supervisor, "case": case}


def _axe_violations(page) -> list[str]:
    """Every rule axe runs by default, and WCAG 2.2's target size (24 by 24 px),
    which axe leaves off unless asked."""
    page.add_script_tag(content=AXE.read_text())
    return page.evaluate(
        """async () => (await axe.run(document, {
            rules: {"target-size": {enabled: true}},
        })).violations.map(
            v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target).join(", ")}`
        )"""
    )


def _blocking(page) -> list[str]:
    return [
        violation
        for violation in _axe_violations(page)
        if any(f"({impact})" in violation for impact in BLOCKING)
    ]


def _assert_no_blocking_violations(page, label):
    violations = _blocking(page)
    assert violations == [], f"axe on {label} ({page.url}): {violations}"


def _sign_in(page, site):
    page.goto(site["url"] + "/admin/login/?next=/admin/")
    page.fill("#id_username", site["user"].username)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp_token", backup_codes(site["user"], count=1)[0])
    with page.expect_navigation():
        page.click("input[type=submit]")
    page.wait_for_url("**/admin/")


@pytest.fixture
def page(browser):
    context = _context(
        browser, bypass_csp=True, viewport={"width": 1280, "height": 800}
    )
    yield context.new_page()
    context.close()


def test_the_sign_in_page_has_no_serious_accessibility_violations(page, back_office):
    page.goto(back_office["url"] + "/admin/login/")
    _assert_no_blocking_violations(page, "sign-in")
    assert page.locator("h1").count() == 1


def test_a_wrong_sign_in_has_no_serious_accessibility_violations(page, back_office):
    page.goto(back_office["url"] + "/admin/login/")
    page.fill("#id_username", back_office["user"].username)
    page.fill("#id_password", "wrong")
    with page.expect_navigation():
        page.click("input[type=submit]")
    assert page.locator(".errornote").count() >= 1
    _assert_no_blocking_violations(page, "sign-in error")


def test_the_officer_pages_have_no_serious_accessibility_violations(page, back_office):
    url = back_office["url"]
    _sign_in(page, back_office)
    assert "Your force's work" in page.inner_text("#content")
    _assert_no_blocking_violations(page, "My work")

    page.goto(url + "/admin/cases/case/")
    assert REFERENCE in page.inner_text("#result_list")
    _assert_no_blocking_violations(page, "case list")

    page.goto(url + f"/admin/cases/case/{back_office['case'].pk}/change/")
    page.wait_for_selector("#case_form")
    _assert_no_blocking_violations(page, "case change")

    page.goto(url + "/admin/cases/case/compliance/")
    assert "Month by month" in page.inner_text("#content")
    _assert_no_blocking_violations(page, "compliance")


def test_a_case_saved_with_an_error_has_no_serious_accessibility_violations(
    page, back_office
):
    _sign_in(page, back_office)
    page.goto(
        back_office["url"] + f"/admin/cases/case/{back_office['case'].pk}/change/"
    )
    page.select_option("#id_stage", Stage.REPORTED)  # a backward move, not confirmed
    with page.expect_navigation():
        page.click("input[name=_continue]")
    assert page.locator(".errornote").count() == 1
    _assert_no_blocking_violations(page, "case change with errors")


def test_the_case_list_fits_1280_pixels_without_scrolling_sideways(page, back_office):
    _sign_in(page, back_office)
    page.goto(back_office["url"] + "/admin/cases/case/")
    sizes = page.evaluate(
        """() => {
            const results = document.querySelector('.results');
            const table = document.querySelector('#result_list');
            return {
                page: document.documentElement.scrollWidth,
                area: results.clientWidth,
                scrolled: results.scrollWidth,
                table: table.getBoundingClientRect().width,
            };
        }"""
    )
    assert sizes["page"] <= 1280, sizes
    assert sizes["scrolled"] <= sizes["area"], sizes
    for header in ("Officer in charge", "Next update due", "Overdue"):
        assert page.get_by_role("columnheader", name=header).is_visible()


def test_axe_reports_a_serious_violation_on_a_back_office_page(page, back_office):
    page.goto(back_office["url"] + "/admin/login/")
    page.evaluate(
        "document.querySelector('#content').insertAdjacentHTML('beforeend', "
        "'<input type=text id=unlabelled>')"
    )
    assert any(v.startswith("label ") for v in _blocking(page))
