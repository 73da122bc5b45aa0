from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class AccessibilityCheck:
    """A check the accessibility statement says the project runs, and the tests that
    run it (`path::name`): a test fails if any of them is missing."""

    description: "StrOrPromise"
    tests: tuple[str, ...]


_BROWSER = "tests/test_victim_browser.py"
_PAGES = "tests/test_standard_pages_browser.py"
_TIMEOUT = "tests/test_session_timeout_warning.py"

ACCESSIBILITY_CHECKS = (
    AccessibilityCheck(
        _(
            "Every page, including pages that show errors, is checked with axe-core, "
            "an automated accessibility checker, in the Chromium browser, on every "
            "change to the service."
        ),
        (
            f"{_BROWSER}::test_every_victim_page_has_no_accessibility_violations",
            f"{_BROWSER}::test_error_states_have_no_accessibility_violations",
            f"{_PAGES}::test_every_standard_page_has_no_accessibility_violations",
        ),
    ),
    AccessibilityCheck(
        _("Pages are checked to fit a screen 320 pixels wide without scrolling."),
        (
            f"{_BROWSER}::test_pages_are_usable_320_pixels_wide",
            f"{_PAGES}::test_standard_pages_fit_320_pixels_wide",
        ),
    ),
    AccessibilityCheck(
        _("Signing in and reading your case are checked to work without JavaScript."),
        (
            f"{_BROWSER}::test_every_page_works_without_javascript",
            f"{_PAGES}::test_standard_pages_work_without_javascript",
        ),
    ),
    AccessibilityCheck(
        _(
            "The warning before you are signed out is checked with a keyboard only: "
            "it takes focus, can be closed with the Escape key and lets you stay "
            "signed in."
        ),
        (
            f"{_TIMEOUT}::test_the_warning_is_used_with_the_keyboard_only",
            f"{_TIMEOUT}::test_escape_closes_the_warning_and_keeps_you_signed_in",
        ),
    ),
    AccessibilityCheck(
        _('"Exit this page" is checked to work by pressing the Shift key 3 times.'),
        (f"{_BROWSER}::test_pressing_shift_three_times_leaves_the_site",),
    ),
)
