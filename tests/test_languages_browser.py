"""Each offered language in a real browser (Debian's chromium, as
tests/test_victim_browser.py drives it): a victim switches language on the start
page, signs in, and reads their case in it; the code and an update arrive in it;
axe finds nothing; lang and dir are right. Arabic and Urdu case pages are
photographed at 320 and 1024 pixels wide, into var/screenshots/."""

import pytest
from django.conf import settings as django_settings
from django.utils import translation

from accounts.constants import StaffGroup
from cases.constants import Stage
from cases.services import case_add_update, case_change_stage
from notifications.content import render_message, sign_in_url
from tests.factories import CaseFactory, CaseVictimFactory, ForceFactory, StaffFactory
from tests.portal import latest_code, outbox_messages
from tests.test_victim_browser import _axe_violations, _context, browser  # noqa: F401
from victims.constants import Channel, language_for_record

REFERENCE = "NS/00001/26"
EMAIL = "victim@example.com"
RIGHT_TO_LEFT = {"ar", "ur"}

pytestmark = [pytest.mark.chromium, pytest.mark.django_db(transaction=True)]


def _site(live_server, language):
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
    link = CaseVictimFactory(
        case=case,
        victim__email=EMAIL,
        victim__preferred_language=language_for_record(language),
    )
    case_change_stage(case=case, stage=Stage.SUSPECT_ARRESTED, actor=officer)
    return {"url": live_server.url, "case": case, "link": link, "officer": officer}


def _subject(template: str, language: str) -> str:
    subject, _body = render_message(
        template=template,
        channel=Channel.EMAIL,
        personalisation={"sender": "Northshire Police", "sign_in_url": "", "code": ""},
        language=language,
    )
    return subject


def _assert_page_language(page, language: str) -> None:
    html = page.locator("html")
    assert html.get_attribute("lang") == language
    assert html.get_attribute("dir") == ("rtl" if language in RIGHT_TO_LEFT else "ltr")


@pytest.mark.parametrize("language", django_settings.PORTAL_LANGUAGES_AVAILABLE)
def test_a_victim_reads_the_portal_and_their_messages_in_their_language(
    browser,  # noqa: F811
    live_server,
    portal,
    settings,
    language,
):
    site = _site(live_server, language)
    context = _context(browser, bypass_csp=True)  # lets axe-core be injected
    page = context.new_page()
    page.goto(site["url"] + "/")
    _assert_page_language(page, "en-gb")
    with page.expect_navigation():
        page.click(f".app-language-select button[value='{language}']")
    _assert_page_language(page, language)
    assert (
        page.locator(".app-language-select [aria-current]").get_attribute("lang")
        == language
    )
    with translation.override(language):
        exit_text = translation.gettext("Exit this page")
        your_case = translation.gettext("Your case")
    assert exit_text in page.locator(".govuk-exit-this-page").inner_text()
    assert (
        page.locator(".govuk-exit-this-page").get_attribute(
            "data-i18n.press-one-more-time"
        )
        != "Shift, press 1 more time to exit."
    )
    assert _axe_violations(page) == []

    page.goto(site["url"] + "/sign-in/")
    _assert_page_language(page, language)
    page.fill("#id_crime_reference", REFERENCE)
    page.fill("#id_contact", EMAIL)
    with page.expect_navigation():
        page.click("#main-content form[action='/sign-in/'] button[type='submit']")
    page.wait_for_url("**/sign-in/code/")
    code_message = [m for m in outbox_messages(portal) if m["channel"] == "email"][-1]
    assert code_message["subject"] == _subject("sign_in_code", language)
    page.fill("#id_code", latest_code(portal))
    with page.expect_navigation():
        page.click("#main-content form[action='/sign-in/code/'] button[type='submit']")
    page.wait_for_url("**/case/")
    _assert_page_language(page, language)
    assert page.locator("h1").inner_text() == your_case
    assert (
        page.locator(".moj-timeline__description").first.get_attribute("lang")
        == "en-gb"
    )
    assert _axe_violations(page) == [], f"axe on the case page in {language}"

    if language in RIGHT_TO_LEFT:
        shots = settings.VAR_DIR / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        for width in (320, 1024):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(
                path=str(shots / f"case-{language}-{width}.png"), full_page=True
            )
            assert page.evaluate(
                "document.documentElement.scrollWidth <= window.innerWidth"
            ), f"the {language} case page scrolls sideways at {width} pixels"

    case_add_update(
        case=site["case"], actor=site["officer"], victim_text="We found the bike."
    )
    sent = outbox_messages(portal)
    email = [m for m in sent if m["channel"] == Channel.EMAIL][-1]
    assert email["subject"] == _subject("update", language)
    text = [m for m in sent if m["channel"] == Channel.SMS][-1]
    _subject_none, text_body = render_message(
        template="update",
        channel=Channel.SMS,
        personalisation={"sender": "Northshire Police", "sign_in_url": sign_in_url()},
        language=language,
    )
    assert text["body"] == text_body
    context.close()
