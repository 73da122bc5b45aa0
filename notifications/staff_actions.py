"""What staff do about messages that failed: send again, or mark as dealt with."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.constants import AuditAction, ObjectType
from audit.services import Actor, audit_record
from notifications.constants import CASE_MESSAGE_KINDS, FAILED_STATUSES
from notifications.models import Notification
from notifications.services import notifications_queue
from victims.models import CaseVictim


@transaction.atomic
def notification_resend(*, notification: Notification, actor: Actor) -> Notification:
    """Send a failed message again, as a new row, to the victim's current address."""
    original = (
        Notification.objects.select_for_update(of=("self",))
        .select_related("victim")
        .get(pk=notification.pk)
    )
    if original.status not in FAILED_STATUSES:
        raise ValidationError(_("Only a failed message can be sent again."))
    if Notification.objects.filter(resend_of=original).exists():
        raise ValidationError(_("This message has already been sent again."))
    if original.kind not in CASE_MESSAGE_KINDS or original.victim is None:
        raise ValidationError(
            _("Only an update, or news of a message, can be sent again.")
        )
    if not original.victim.may_contact_by(original.channel):
        raise ValidationError(
            _("The victim no longer allows this channel, or has no address for it.")
        )
    if not CaseVictim.objects.filter(
        case=original.case, victim=original.victim
    ).exists():
        raise ValidationError(_("The victim is no longer on the case."))
    now = timezone.now()
    (resend,) = notifications_queue(
        rows=[
            Notification(
                kind=original.kind,
                force_id=original.force_id,
                case_id=original.case_id,
                victim_id=original.victim_id,
                entry_id=original.entry_id,
                channel=original.channel,
                resend_of=original,
                requested_by=actor if isinstance(actor, User) else None,
            )
        ]
    )
    _deal_with(original, actor, now)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type=ObjectType.NOTIFICATION,
        object_id=resend.pk,
        force_id=resend.force_id,
        case_id=resend.case_id,
        detail={"resend_of": original.pk, "channel": resend.channel},
    )
    return resend


@transaction.atomic
def notification_mark_dealt_with(*, notification: Notification, actor: Actor) -> None:
    """Take a failed message off the list: the victim was told another way."""
    original = Notification.objects.select_for_update().get(pk=notification.pk)
    if not original.is_open_failure:
        raise ValidationError(_("This message has not failed, or was dealt with."))
    _deal_with(original, actor, timezone.now())


def _deal_with(
    notification: Notification, actor: Actor, now: datetime.datetime
) -> None:
    notification.dealt_with_at = now
    notification.dealt_with_by = actor if isinstance(actor, User) else None
    notification.save(update_fields=["dealt_with_at", "dealt_with_by"])
    audit_record(
        actor=actor,
        action=AuditAction.CHANGE,
        object_type=ObjectType.NOTIFICATION,
        object_id=notification.pk,
        force_id=notification.force_id,
        case_id=notification.case_id,
        changed_fields=["dealt_with_at"],
    )
