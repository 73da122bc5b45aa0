"""Victim Voice in a real browser (Debian's chromium, with axe-core): the survey
panel, the survey and its errors, the thank-you and already-answered pages and the
public page, with no accessibility violations; the survey
works without JavaScript at 320 pixels; the dashboard has no serious violations."""

import pytest

from feedback.analysis import feedback_snapshots_refresh
from feedback.demo import demo_responses
from feedback.models import FeedbackResponse
from feedback.services import feedback_counts_rebuild
from tests.portal import latest_code
from tests.test_admin_browser import (
    _assert_no_blocking_violations,
    back_office,  # noqa: F401 - a fixture
)
from tests.test_admin_browser import _sign_in as _staff_sign_in
from tests.test_admin_browser import page as staff_page  # noqa: F401 - a fixture
from tests.test_victim_browser import (
    _assert_accessible,
    _context,
    _enter_code,
    _request_code,
    _submit,
    browser,  # noqa: F401 - a fixture
    page,  # noqa: F401 - a fixture
    site,  # noqa: F401 - a fixture
)

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]


def _signed_in(tab, live, portal):
    _request_code(tab, live)
    _enter_code(tab, latest_code(portal))
    tab.wait_for_url("**/case/")


def test_the_survey_and_its_pages_have_no_accessibility_violations(
    page,  # noqa: F811
    site,  # noqa: F811
    portal,
):
    _signed_in(page, site, portal)
    assert "Tell us how we are doing" in page.inner_text("main")
    _assert_accessible(page, "case page with the survey panel")
    page.click("text=Answer the questions")
    page.wait_for_url("**/your-say/")
    _assert_accessible(page, "survey")
    page.fill("#id_improve", "<b>bold</b>")
    _submit(page, "Send your answers")
    assert page.locator(".govuk-error-summary").is_visible()
    _assert_accessible(page, "survey with an error")
    page.fill("#id_improve", "More updates by text, please.")
    page.check("#id_overall")
    page.check("#id_informed-2")
    _submit(page, "Send your answers")
    page.wait_for_url("**/your-say/thank-you/")
    _assert_accessible(page, "thank you")
    # That was the first update's wave; the case page's own wave comes next.
    page.goto(site["url"] + "/case/")
    _submit(page, "No thanks")
    page.wait_for_url("**/case/")
    page.goto(site["url"] + "/your-say/")
    assert "You have already answered" in page.inner_text("main")
    _assert_accessible(page, "already answered")
    page.goto(site["url"] + "/case/")
    _submit(page, "Sign out")
    page.wait_for_url("**/signed-out/**")
    _assert_accessible(page, "signed out")


def test_the_public_page_has_no_accessibility_violations(
    page,  # noqa: F811
    site,  # noqa: F811
):
    force = site["case"].force
    FeedbackResponse.objects.bulk_create(
        demo_responses(force_id=force.pk, count=300, seed=1)
    )
    feedback_counts_rebuild()
    feedback_snapshots_refresh()
    page.goto(site["url"] + "/how-we-are-doing/")
    _assert_accessible(page, "how we are doing")
    page.click(f"text={force.name}")
    page.wait_for_url(f"**/how-we-are-doing/{force.code}/")
    assert "Likely range" in page.inner_text("main")
    _assert_accessible(page, "a force's figures")


def test_the_survey_works_without_javascript_320_pixels_wide(
    browser,  # noqa: F811
    site,  # noqa: F811
    portal,
):
    context = _context(
        browser, java_script_enabled=False, viewport={"width": 320, "height": 640}
    )
    tab = context.new_page()

    def fits(label):
        width = tab.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{label} is {width}px wide"

    _signed_in(tab, site, portal)
    fits("case page with the panel")
    tab.click("text=Answer the questions")
    tab.wait_for_url("**/your-say/")
    fits("survey")
    # Without JavaScript the character count is a plain hint.
    assert "You can enter up to 1,200 characters" in tab.inner_text("main")
    tab.fill("#id_improve", "x" * 1201)
    _submit(tab, "Send your answers")
    assert "1,200 characters or fewer" in tab.inner_text(".govuk-error-summary")
    fits("survey with an error")
    tab.fill("#id_improve", "")
    tab.check("#id_fairness")
    _submit(tab, "Send your answers")
    tab.wait_for_url("**/your-say/thank-you/")
    fits("thank you")
    tab.goto(site["url"] + "/case/")
    _submit(tab, "Sign out")
    tab.wait_for_url("**/signed-out/**")
    fits("signed out")
    context.close()


def test_the_dashboard_has_no_serious_accessibility_violations(
    staff_page,  # noqa: F811
    back_office,  # noqa: F811
):
    force = back_office["case"].force
    FeedbackResponse.objects.bulk_create(
        demo_responses(force_id=force.pk, count=600, seed=2)
    )
    feedback_counts_rebuild()
    _staff_sign_in(staff_page, back_office)
    staff_page.goto(back_office["url"] + "/admin/feedback/feedbackresponse/")
    assert "Month by month" in staff_page.inner_text("#content")
    _assert_no_blocking_violations(staff_page, "feedback dashboard")


def _answer_after_signing_out(tab, site, portal, check, *, narrow=None):  # noqa: F811
    """Sign in, sign out, answer from the signed-out page, then find that the same
    link answers no more; `check(label)` runs on each page. `narrow()` is called
    once signed out."""
    _signed_in(tab, site, portal)
    _submit(tab, "Sign out")
    tab.wait_for_url("**/signed-out/?feedback=*")
    if narrow:
        narrow()
        tab.reload()
    assert "Tell us how we are doing" in tab.inner_text("main")
    check("signed out, with the survey")
    tab.click("text=Answer the questions")
    tab.wait_for_url("**/your-say/after-signing-out/?token=*")
    survey_url = tab.url
    check("survey after signing out")
    tab.check("#id_informed")
    tab.fill("#id_improve", "<i>x</i>")
    _submit(tab, "Send your answers")
    assert "must not include web page code" in tab.inner_text(".govuk-error-summary")
    check("survey after signing out, with an error")
    tab.fill("#id_improve", "")
    _submit(tab, "Send your answers")
    tab.wait_for_url("**/your-say/thank-you/")
    check("thank you after signing out")
    tab.goto(survey_url)
    assert "You have already answered" in tab.inner_text("main")
    check("the same link again")


def test_the_signed_out_survey_works_without_javascript_320_pixels_wide(
    browser,  # noqa: F811
    site,  # noqa: F811
    portal,
):
    """No JavaScript, 320 pixels, and no cookie kept after signing out."""
    context = _context(
        browser, java_script_enabled=False, viewport={"width": 320, "height": 640}
    )
    tab = context.new_page()

    def check(label):
        width = tab.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{label} is {width}px wide"
        assert [c for c in context.cookies() if c["value"]] == [], label

    _answer_after_signing_out(tab, site, portal, check)
    context.close()


def test_the_signed_out_survey_has_no_accessibility_violations_at_320_pixels(
    page,  # noqa: F811
    site,  # noqa: F811
    portal,
):
    """axe needs JavaScript: the same journey with it, narrowed to 320 pixels once
    signed out (signing out at 320 pixels is behind the navigation's menu)."""
    _answer_after_signing_out(
        page,
        site,
        portal,
        lambda label: _assert_accessible(page, label),
        narrow=lambda: page.set_viewport_size({"width": 320, "height": 640}),
    )
