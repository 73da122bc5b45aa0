"""The back office and the API stay in English (README, Languages).

LocaleMiddleware picks a language for every request from the cookie or the browser;
only victims' pages are translated, so a member of staff whose browser asks for
Polish, or a records system sending Accept-Language, still gets English, and what
staff actions store for victims is never written in a visitor's language.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.formats import number_format
from django.utils.functional import Promise, lazy

ENGLISH_PREFIXES = ("/admin/", "/api/")


class BackOfficeInEnglishMiddleware:
    """After LocaleMiddleware: English for the back office and the API."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(ENGLISH_PREFIXES):
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


def _filled(message: str | Promise, values: dict[str, object]) -> str:
    shown = {
        name: number_format(value, force_grouping=True)
        if isinstance(value, int)
        else value
        for name, value in values.items()
    }
    return str(message) % shown


_filled_lazy = lazy(_filled, str)


def lazy_filled(message: str | Promise, **values: object) -> str:
    """A translated message with its %(name)s values filled in when it is shown.

    `_("... %(limit)s ...") % {...}` at module level is translated once, at import,
    in the default language; this waits for the page's language, and writes numbers
    in its format ("5,000", "5 000").
    """
    return _filled_lazy(message, values)
