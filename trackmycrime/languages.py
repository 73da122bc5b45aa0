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
