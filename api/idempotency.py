"""Idempotency-Key: a POST sent again with the same key and body gets the first
response and changes nothing; the same key with another request is refused (422)."""

import datetime
import functools
import hashlib
import json
import re
from collections.abc import Callable

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import Conflict, IdempotencyKeyReused
from api.models import IdempotencyRecord

HEADER = "Idempotency-Key"
KEEP_FOR = datetime.timedelta(hours=24)
_KEY = re.compile(r"[!-~]{1,255}")

IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    pattern=r"^[!-~]{1,255}$",
    description=(
        "Any unique string (a UUID, say), 1 to 255 visible ASCII characters. Sent "
        "again within 24 hours with the same body, the request is not carried out "
        "again: the first response comes back, with Idempotent-Replayed: true. The "
        "same key with a different request gets 422. A request that failed is not "
        "remembered, so its key can be used again."
    ),
)
REPLAYED = OpenApiParameter(
    "Idempotent-Replayed",
    str,
    location=OpenApiParameter.HEADER,
    response=[200, 201],
    required=False,
    enum=["true"],
    description="Present when this is the stored response to an earlier request.",
)


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(
        f"{request.method} {request.path}\n{body}".encode()
    ).hexdigest()


def idempotent(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Make a view's POST answer a repeated Idempotency-Key with its first response.

    Use inside the request's transaction (under @transaction.atomic), so that the
    record and the change it describes are committed, or rolled back, together. A
    second request with the same key waits on the first's row, then replays it.
    """

    @functools.wraps(handler)
    def wrapper(view, request: Request, *args, **kwargs) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not _KEY.fullmatch(key):
            raise ValidationError(
                {HEADER: [_("Use 1 to 255 visible ASCII characters, e.g. a UUID.")]}
            )
        fingerprint = _fingerprint(request)
        client = request.user
        # Responses are kept a day, then forgotten (every client's, so none stay).
        IdempotencyRecord.objects.filter(
            created_at__lt=timezone.now() - KEEP_FOR
        ).delete()
        record, created = IdempotencyRecord.objects.get_or_create(
            client=client, key=key, defaults={"request_fingerprint": fingerprint}
        )
        if not created:
            if record.request_fingerprint != fingerprint:
                raise IdempotencyKeyReused()
            if record.status_code is None:
                raise Conflict()
            headers = {"Idempotent-Replayed": "true"}
            if record.response_location:
                headers["Location"] = record.response_location
            return Response(
                record.response_body, status=record.status_code, headers=headers
            )
        response = handler(view, request, *args, **kwargs)
        record.status_code = response.status_code
        record.response_body = json.loads(JSONRenderer().render(response.data))
        record.response_location = response.get("Location", "")
        record.save(update_fields=["status_code", "response_body", "response_location"])
        return response

    return wrapper
