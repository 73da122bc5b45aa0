"""Refuse, with a 400, input that no database column could hold.

PostgreSQL refuses a NUL character in any text value, so a NUL in a search, a filter,
a form field, a path or a cookie (a session key) would otherwise reach a query and
answer 500. SQLite would store it. Refusing it here, before any view, answers every
page, form and API query the same way, whatever the model or field.
"""

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.http.request import UnreadablePostError
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
UNSTORABLE = "\x00"


def _holds_unstorable(pairs) -> bool:
    return any(
        UNSTORABLE in key or any(UNSTORABLE in value for value in values)
        for key, values in pairs
    )


def request_has_unstorable_input(request: HttpRequest) -> bool:
    """Return whether any part of `request` a view might store or look up holds a
    character the database refuses."""
    # The API looks a case up by a reference it has normalised, and answers a
    # reference no force could have with its own 404.
    if UNSTORABLE in request.path and not request.path.startswith("/api/"):
        return True
    if _holds_unstorable(request.GET.lists()):
        return True
    if any(UNSTORABLE in key + value for key, value in request.COOKIES.items()):
        return True
    if (
        request.method == "POST"
        and request.content_type in FORM_TYPES
        and not request.path.startswith("/api/")  # JSON only; its parser checks
    ):
        try:
            return _holds_unstorable(request.POST.lists()) or any(
                UNSTORABLE in name for name in request.FILES
            )
        except (MultiPartParserError, SuspiciousOperation, UnreadablePostError):
            return False  # Django answers a body it cannot read as it always has.
    return False


class RefuseUnstorableInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request_has_unstorable_input(request):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "detail": _("The request holds a character not allowed."),
                        "code": "invalid",
                    },
                    status=400,
                )
            # Rendered without the request: its session key may be what holds it.
            return HttpResponseBadRequest(render_to_string("400.html"))
        return self.get_response(request)
