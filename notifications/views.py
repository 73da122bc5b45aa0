import hmac
import json
import logging

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from notifications.receipts import ReceiptOutcome, notification_record_receipt

logger = logging.getLogger(__name__)


def _bearer_token_matches(request: HttpRequest, expected: str) -> bool:
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    # Constant-time, so that the token cannot be guessed a character at a time.
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), expected.encode()
    )


@csrf_exempt
@require_POST
def notify_receipt(request: HttpRequest) -> JsonResponse:
    """Take a GOV.UK Notify delivery receipt (a callback with our bearer token)."""
    expected = settings.NOTIFY_CALLBACK_TOKEN
    if not expected:
        return JsonResponse({"error": "Receipts are not taken here."}, status=404)
    if not _bearer_token_matches(request, expected):
        return JsonResponse({"error": "Not authorised."}, status=401)
    try:
        receipt = json.loads(request.body)
        provider_id = str(receipt["id"])
        status = str(receipt["status"])
        reference = str(receipt.get("reference") or "")
        to = str(receipt.get("to") or "")
    except (ValueError, TypeError, KeyError):
        return JsonResponse(
            {"error": "Expected a Notify delivery receipt."}, status=400
        )
    outcome = notification_record_receipt(
        provider_id=provider_id, reference=reference, status=status, to=to
    )
    if outcome == ReceiptOutcome.NOT_YET_SENT:
        # Notify tries a callback again after an error answer.
        response = JsonResponse({"outcome": outcome}, status=503)
        response["Retry-After"] = "60"
        return response
    if outcome == ReceiptOutcome.UNKNOWN:
        # Not an outbox message (e.g. a sign-in code): nothing to record.
        logger.info("Notify receipt for a message we do not track: %s", provider_id)
    return JsonResponse({"outcome": outcome})
