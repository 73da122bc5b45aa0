"""What people see while PostgreSQL or Redis is away: a calm 503, never a 500.

A dependency that refuses connections, or stops answering within its time-out
(DATABASE_CONNECT_TIMEOUT_SECONDS, REDIS_SOCKET_TIMEOUT_SECONDS), raises one of
OUTAGE_ERRORS. Wherever it is raised (a view, the API, or a middleware reading the
session), the answer is `outage_response`: JSON in the API's error format under
/api/, the "Sorry, there is a problem with the service" page elsewhere, both with
Retry-After and never cached. The page is rendered without the request, so it needs
no database, cache or session (its context processors would read the session).

Each outage is logged once, at error level, with the path redacted as in every other
log line (trackmycrime.log_redaction): never a crime reference.
"""

import logging
import sys

import redis.exceptions
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views import defaults

from trackmycrime.log_redaction import redact_path

logger = logging.getLogger(__name__)

# Redis (the cache that counts rate limits) that is down, refusing or too slow.
CACHE_ERRORS: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)
# PostgreSQL that is down, refusing, or dropped the connection (Django wraps psycopg).
DATABASE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
OUTAGE_ERRORS = CACHE_ERRORS + DATABASE_ERRORS


def is_outage(error: BaseException | None) -> bool:
    return isinstance(error, OUTAGE_ERRORS)


def _dependency(error: BaseException) -> str:
    return "the cache (Redis)" if isinstance(error, CACHE_ERRORS) else "the database"


def outage_log(request: HttpRequest, error: BaseException) -> None:
    """Log, once for the request, that it met an outage."""
    logger.error(
        "Service unavailable: %s did not answer for %s %s (%s: %s)",
        _dependency(error),
        request.method,
        redact_path(request.path),
        type(error).__name__,
        str(error).splitlines()[0] if str(error) else "",
    )


def outage_response(request: HttpRequest, error: BaseException) -> HttpResponse:
    """Answer 503 for a request that met an outage, and log it once."""
    outage_log(request, error)
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(outage_body(), status=503)
    else:
        response = HttpResponse(
            render_to_string(
                "503.html",
                {
                    "CSP_NONCE": _csp_nonce(request),
                    "feedback_url": settings.FEEDBACK_URL or reverse("pages:contact"),
                    "for_staff": request.path.startswith("/admin/"),
                },
            ),
            status=503,
        )
    outage_headers(response)
    return response


def _csp_nonce(request: HttpRequest) -> str:
    """The nonce django-csp puts in this response's header, or none: an outage met
    outside its middleware has no nonce, or one that can no longer be used."""
    try:
        return str(getattr(request, "csp_nonce", ""))
    except Exception:
        return ""


def outage_body() -> dict[str, str]:
    """The API's error body for an outage (api.errors documents it)."""
    return {
        "detail": _(
            "The service cannot answer at the moment. Send the request again after "
            "Retry-After seconds, with the same Idempotency-Key if it had one."
        ),
        "code": "service_unavailable",
    }


def outage_headers(response: HttpResponse) -> None:
    """Ask the client to wait, keep any cache from storing the answer, and mark it
    logged (outage_log has said it in words; Django would log it again)."""
    response["Retry-After"] = str(settings.OUTAGE_RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    response._has_been_logged = True  # type: ignore[attr-defined]


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an outage met anywhere (Django calls this inside the `except`
    for any exception from a view or a middleware) is a 503; anything else is
    Django's own 500 page."""
    error = sys.exc_info()[1]
    if is_outage(error):
        assert error is not None
        return outage_response(request, error)
    return defaults.server_error(request)
