from django.db import models
from django.utils import timezone


class IdempotencyRecord(models.Model):
    """A POST sent with an Idempotency-Key and the response it got, so that the same
    request sent again gets the same response and changes nothing.

    Written in the request's own transaction: if the request fails, no record is
    kept and the key may be used again. The response fields are empty only inside
    that transaction, where no other request can see the row.
    """

    client = models.ForeignKey(
        "accounts.ApiClient", on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    response_location = models.CharField(max_length=2048, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "key"], name="idempotency_key_unique_per_client"
            )
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_expiry")]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code})"
