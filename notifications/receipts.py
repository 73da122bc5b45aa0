"""What providers report back about messages already sent: GOV.UK Notify's delivery
receipts, each change recorded with an audit row."""

import logging

from django.db import transaction
from django.utils import timezone

from audit.constants import AuditAction, ObjectType
from audit.services import audit_record
from notifications.constants import (
    FAILED_STATUSES,
    UNFINISHED_STATUSES,
    NotificationStatus,
)
from notifications.models import REFERENCE_PREFIX, Notification
from notifications.services import notification_record_another_send

logger = logging.getLogger(__name__)


# What GOV.UK Notify's delivery receipts say, in our statuses. "temporary-failure"
# (phone off, inbox full) has ended Notify's own retries: staff must act.
NOTIFY_RECEIPT_STATUSES = {
    "delivered": NotificationStatus.DELIVERED,
    "permanent-failure": NotificationStatus.PERMANENT_FAILURE,
    "temporary-failure": NotificationStatus.TECHNICAL_FAILURE,
    "technical-failure": NotificationStatus.TECHNICAL_FAILURE,
}


class ReceiptOutcome:
    UPDATED = "updated"
    IGNORED = "ignored"
    UNKNOWN = "unknown"
    NOT_YET_SENT = "not yet sent"
    ANOTHER_SEND = "another send"


@transaction.atomic
def notification_record_receipt(
    *, provider_id: str, reference: str, status: str, to: str = ""
) -> str:
    """Record what the provider says became of a message, with an audit row; return
    a ReceiptOutcome."""
    new_status = NOTIFY_RECEIPT_STATUSES.get(status)
    notification = Notification.objects.filter(
        provider="notify", provider_id=provider_id
    ).first()
    if notification is None:
        pk = reference.removeprefix(REFERENCE_PREFIX)
        if not (reference.startswith(REFERENCE_PREFIX) and pk.isdigit()):
            return ReceiptOutcome.UNKNOWN
        ours = Notification.objects.filter(pk=int(pk)).first()
        if ours is None:
            return ReceiptOutcome.UNKNOWN
        if ours.status in UNFINISHED_STATUSES and ours.attempts:
            # The receipt overtook our own record of the send (or the attempt
            # that timed out is still to be looked up): ask Notify to tell us
            # again later.
            return ReceiptOutcome.NOT_YET_SENT
        if ours.victim_id is None:
            return ReceiptOutcome.UNKNOWN
        # A message Notify sent for our row that is not the one we recorded: a
        # request that timed out was accepted after all. Two texts left, so two
        # disclosures are recorded.
        recorded = notification_record_another_send(
            notification=ours,
            provider="notify",
            provider_id=provider_id,
            # Notify names the recipient; else the address held for the victim.
            to=to or (ours.victim.address_for(ours.channel) if ours.victim else ""),
        )
        return ReceiptOutcome.ANOTHER_SEND if recorded else ReceiptOutcome.IGNORED
    if new_status is None or notification.status == new_status:
        return ReceiptOutcome.IGNORED
    updated = Notification.objects.filter(
        pk=notification.pk, status=NotificationStatus.SENT
    ).update(
        status=new_status,
        finished_at=timezone.now(),
        last_error="" if new_status == NotificationStatus.DELIVERED else status,
    )
    if updated:
        audit_record(
            actor=None,
            action=AuditAction.CHANGE,
            object_type=ObjectType.NOTIFICATION,
            object_id=notification.pk,
            force_id=notification.force_id,
            case_id=notification.case_id,
            changed_fields=["status"],
            detail={"status": new_status, "source": "notify delivery receipt"},
        )
    if updated and new_status in FAILED_STATUSES:
        logger.warning(
            "Notification %s was not delivered (case %s): %s",
            notification.pk,
            notification.case_id,
            status,
        )
    return ReceiptOutcome.UPDATED if updated else ReceiptOutcome.IGNORED
