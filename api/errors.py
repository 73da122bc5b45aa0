"""One place where every API error becomes JSON a developer can act on.

Every error body is `{"detail": ..., "code": ...}`; a 400 adds `errors`, messages by
field, with nested fields dotted (`victims.0.email`). The services' Django
ValidationErrors become 400s here, so views never translate them one by one.
"""

from collections.abc import Iterator
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as rest_exception_handler

from trackmycrime.outages import (
    is_outage,
    outage_body,
    outage_headers,
    outage_log,
)

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = gettext_lazy(
        "Another request changed this record at the same time; send yours again."
    )
    default_code = "conflict"


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = gettext_lazy("The request body is larger than the limit.")
    default_code = "too_large"


class IdempotencyKeyReused(exceptions.APIException):
    status_code = 422
    default_detail = gettext_lazy(
        "This Idempotency-Key was already used with a different request. Use a new "
        "key for a new request; resend the same request to get its response again."
    )
    default_code = "idempotency_key_reused"


def exception_handler(exc: Exception, context: dict) -> Any:
    if is_outage(exc):
        # PostgreSQL or Redis is away: a 503 in this format, logged once.
        outage_log(context["request"], exc)
        unavailable = Response(outage_body(), status=503)
        outage_headers(unavailable)
        return unavailable
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_errors(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, IntegrityError) and _is_unique_violation(exc):
        # Two requests created the same record at once; the loser's transaction
        # was rolled back, and sending it again finds the winner's record.
        exc = Conflict()
    response = rest_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "detail": _("The request is not valid; see errors, by field."),
            "code": "invalid",
            "errors": dict(_flatten(exc.detail)),
        }
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        response.data = {"detail": str(detail), "code": _code(exc)}
    return response


def _code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def _django_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            NON_FIELD if field == NON_FIELD_ERRORS else field: messages
            for field, messages in error.message_dict.items()
        }
    return {NON_FIELD: error.messages}


def _is_unique_violation(error: IntegrityError) -> bool:
    cause = error.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return sqlstate == "23505" or "UNIQUE constraint failed" in str(error)


def _flatten(detail: Any, prefix: str = "") -> Iterator[tuple[str, list[str]]]:
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key in (NON_FIELD, NON_FIELD_ERRORS):
                name = prefix or NON_FIELD
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            yield from _flatten(value, name)
    elif isinstance(detail, list) and all(
        not isinstance(item, dict | list) for item in detail
    ):
        if detail:
            yield prefix or NON_FIELD, [str(item) for item in detail]
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            yield from _flatten(item, f"{prefix}.{index}" if prefix else str(index))
    else:
        yield prefix or NON_FIELD, [str(detail)]


@csrf_exempt
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Answer any address under /api/ that is not an endpoint, in the API's format."""
    return JsonResponse(
        {"detail": str(exceptions.NotFound.default_detail), "code": "not_found"},
        status=404,
    )


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in words.")
    code = serializers.CharField(
        help_text="A stable code, e.g. invalid, not_found, not_authenticated, "
        "throttled, idempotency_key_reused."
    )
    # A field named like Serializer.errors: the serializer's metaclass takes it
    # out of the class, so the property is unharmed; the stubs cannot know that.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="On a 400: messages by field; nested fields are dotted, e.g. "
        "victims.0.email. Errors not about one field are under non_field_errors.",
    )


_ERRORS = {
    400: "The request is not valid: `errors` says what is wrong with each field.",
    401: "No token, or a token that is not valid or was revoked.",
    403: "Plain HTTP: this API only answers over HTTPS.",
    404: "There is no such case for this client's force.",
    406: "The Accept header asks for something other than JSON.",
    409: "Another request changed the same record at the same time; send it again.",
    413: "The request body is larger than the limit (API_MAX_BODY_BYTES).",
    415: "The body is not application/json.",
    422: "The Idempotency-Key was already used with a different request.",
    429: "Too many requests from this client: wait for Retry-After seconds.",
    503: "The service's database or cache is not answering: send the request again "
    "after Retry-After seconds (with the same Idempotency-Key, if it had one).",
}
# Every operation can meet these, whatever it does.
COMMON_ERRORS = (401, 403, 406, 429, 503)


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """Describe these error responses, and the common ones, for the schema."""
    return {
        status: OpenApiResponse(ErrorSerializer, description=_ERRORS[status])
        for status in sorted({*statuses, *COMMON_ERRORS})
    }
