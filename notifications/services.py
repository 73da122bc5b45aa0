"""The notification outbox: rows written with the change they tell of, each sent once.

1. `notifications_create_for_entry` runs inside the transaction that changes a case
   and writes one row per victim per safe channel; after commit it hands the rows to
   Celery. A rolled-back change leaves no row and sends nothing.
2. `notification_send` (the Celery task) claims a PENDING row, with other due rows
   up to NOTIFICATIONS_SEND_BATCH, calls the provider for each outside any
   transaction, then records the results and the disclosures in one commit.
3. `notifications_sweep` (Celery beat) hands over rows whose task was lost, or that
   wait for the end of quiet hours or a retry, and recovers rows stuck mid-send.

A message can go out twice only if a worker stops (or its database write fails)
after the provider accepted the message and before the SENT status commits; see
README.md, "Notifications to victims", for that window and how it is narrowed.
"""

import datetime
import logging
import random
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.constants import AuditAction
from audit.services import Actor, audit_record, audit_record_many
from cases.models import TimelineEntry
from notifications.constants import FAILED_STATUSES, Channel, NotificationStatus
from notifications.content import mask_recipient, message_for
from notifications.models import REFERENCE_PREFIX, Notification
from notifications.providers import (
    PermanentProviderError,
    Provider,
    TransientProviderError,
    provider_for,
)
from victims.models import CaseVictim, Victim

logger = logging.getLogger(__name__)

PAUSE_KEY = "notifications:pause:{provider}"
# Handing a row to the broker is only a shortcut (the sweep is the guarantee), so a
# request does not wait long on a broker that is down: one quick retry, not
# Celery's default three.
QUICK_PUBLISH_RETRY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}


def quiet_hours_end(moment: datetime.datetime) -> datetime.datetime | None:
    """Return when the quiet hours around `moment` end, or None outside them."""
    if not settings.NOTIFICATIONS_QUIET_HOURS:
        return None
    start, end = settings.NOTIFICATIONS_QUIET_HOURS
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    local = moment.astimezone(zone)
    now = local.time()
    if start <= end:
        quiet, end_date = start <= now < end, local.date()
    elif now >= start:
        quiet, end_date = True, local.date() + datetime.timedelta(days=1)
    else:
        quiet, end_date = now < end, local.date()
    if not quiet:
        return None
    return datetime.datetime.combine(end_date, end, tzinfo=zone)


def _earliest_send(channel: str, now: datetime.datetime) -> datetime.datetime:
    """Updates are not urgent: a text message waits for the quiet hours to end."""
    if channel == Channel.SMS:
        return quiet_hours_end(now) or now
    return now


def _channel_allowed(victim: Victim, channel: str) -> bool:
    return victim.email_is_safe if channel == Channel.EMAIL else victim.sms_is_safe


def _is_eager() -> bool:
    from trackmycrime.celery import app

    return bool(app.conf.task_always_eager)


@transaction.atomic
def notifications_create_for_entry(*, entry: TimelineEntry) -> list[Notification]:
    """Write the messages that tell each victim of `entry`, on each channel they said
    is safe, and send them once the surrounding transaction commits."""
    if not entry.visible_to_victim:
        return []
    now = timezone.now()
    victims = Victim.objects.filter(case_links__case_id=entry.case_id).order_by("pk")
    rows = [
        Notification(
            force_id=entry.case.force_id,
            case_id=entry.case_id,
            victim=victim,
            entry=entry,
            channel=channel,
            next_attempt_at=_earliest_send(channel, now),
            created_at=now,
        )
        for victim in victims
        for channel in (Channel.EMAIL, Channel.SMS)
        if _channel_allowed(victim, channel)
    ]
    Notification.objects.bulk_create(rows)
    due = [row.pk for row in rows if row.next_attempt_at <= now]
    if due:
        transaction.on_commit(
            partial(notifications_enqueue, notification_ids=due), robust=True
        )
    return rows


def notifications_enqueue(*, notification_ids: Iterable[int]) -> int:
    """Ask the workers to send these rows now; return how many were handed over.

    A broker that is down loses nothing: the rows stay PENDING and the sweep hands
    them over when it is back. The first failure stops the loop, so that a web
    request does not wait on a dead broker once per message.
    """
    from notifications.tasks import send_notification

    handed_over = 0
    for notification_id in notification_ids:
        try:
            send_notification.apply_async(
                (notification_id,), retry_policy=QUICK_PUBLISH_RETRY
            )
        except Exception as error:
            logger.warning(
                "Could not queue notification %s (%s); the sweep will.",
                notification_id,
                error,
            )
            break
        handed_over += 1
    return handed_over


def _hint_later(notification_id: int, delay: float) -> None:
    """Queue a look at the row when it is due; the sweep covers a lost one."""
    if _is_eager() or delay > settings.NOTIFICATIONS_RETRY_MAX_DELAY_SECONDS:
        return
    from notifications.tasks import send_notification

    try:
        send_notification.apply_async((notification_id,), countdown=delay)
    except Exception as error:
        logger.warning(
            "Could not queue the retry of notification %s (%s); the sweep will.",
            notification_id,
            error,
        )


def _paused_until(provider_name: str) -> datetime.datetime | None:
    until = cache.get(PAUSE_KEY.format(provider=provider_name))
    if until is None:
        return None
    until = datetime.datetime.fromtimestamp(until, tz=datetime.UTC)
    return until if until > timezone.now() else None


def _pause(provider_name: str, seconds: float) -> None:
    """Hold every message to this provider: it asked us to slow down."""
    until = timezone.now() + datetime.timedelta(seconds=seconds)
    cache.set(
        PAUSE_KEY.format(provider=provider_name),
        until.timestamp(),
        timeout=int(seconds) + 1,
    )


def retry_delay(attempt: int, retry_after: float | None = None) -> float:
    """Return seconds to wait after failed attempt number `attempt` (1, 2, ...):
    exponential back-off with jitter, never sooner than the provider asked."""
    base = settings.NOTIFICATIONS_RETRY_BASE_SECONDS
    ceiling = settings.NOTIFICATIONS_RETRY_MAX_DELAY_SECONDS
    backoff = min(ceiling, base * 2 ** min(attempt - 1, 30))
    # "Equal jitter": at least half the back-off, so that retries spread out but
    # still slow down.
    delay = random.uniform(backoff / 2, backoff)  # noqa: S311 (not a secret)
    if retry_after is not None:
        spread = random.uniform(0, min(retry_after, base))  # noqa: S311
        delay = max(delay, retry_after + spread)
    return delay


@dataclass(frozen=True)
class _Claim:
    notification: Notification
    provider: Provider


@dataclass(frozen=True)
class _Sent:
    notification: Notification
    provider: Provider
    provider_id: str
    to: str


def _locked_pending():
    return Notification.objects.select_for_update(
        skip_locked=True, of=("self",)
    ).select_related("case", "entry", "victim")


def _claim(notification_id: int) -> tuple[list[_Claim], str]:
    """Move the row, and up to NOTIFICATIONS_SEND_BATCH - 1 other due rows, from
    PENDING to SENDING where each is still allowed; return the claims and what became
    of the row asked for ("claimed" or why not). Row locks are held for this short
    transaction only, and rows another worker has locked are skipped.

    Claiming due rows beyond its own lets one task send several messages for one
    commit each side of the sending; the tasks of those rows then find them taken.
    """
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            _locked_pending().filter(
                pk=notification_id, status=NotificationStatus.PENDING
            )
        )
        if not rows:
            return [], "not pending"
        if rows[0].next_attempt_at > now:
            return [], "not due"
        if settings.NOTIFICATIONS_SEND_BATCH > 1:
            rows += (
                _locked_pending()
                .filter(status=NotificationStatus.PENDING, next_attempt_at__lte=now)
                .exclude(pk=notification_id)
                .order_by("next_attempt_at", "pk")[
                    : settings.NOTIFICATIONS_SEND_BATCH - 1
                ]
            )
        on_case = set(
            CaseVictim.objects.filter(
                case_id__in={row.case_id for row in rows},
                victim_id__in={row.victim_id for row in rows},
            ).values_list("case_id", "victim_id")
        )
        claims, outcome = [], "claimed"
        pauses: dict[str, datetime.datetime | None] = {}
        for row in rows:
            claim = _claim_row(row, now, on_case=on_case, pauses=pauses)
            if isinstance(claim, _Claim):
                claims.append(claim)
            elif row.pk == notification_id:
                outcome = claim
        Notification.objects.filter(
            pk__in=[claim.notification.pk for claim in claims]
        ).update(
            status=NotificationStatus.SENDING,
            claimed_at=now,
            attempts=F("attempts") + 1,
            first_attempted_at=Coalesce("first_attempted_at", Value(now)),
        )
    for claim in claims:
        row = claim.notification
        row.status, row.claimed_at = NotificationStatus.SENDING, now
        row.attempts += 1
        row.first_attempted_at = row.first_attempted_at or now
    return claims, outcome


def _claim_row(
    notification: Notification,
    now: datetime.datetime,
    *,
    on_case: set,
    pauses: dict[str, datetime.datetime | None],
) -> _Claim | str:
    """Decide, inside the claiming transaction, whether this locked row may be sent
    now; if not, cancel it or put it off and say why. `pauses` holds each provider's
    pause as first read in this claim."""
    victim = notification.victim
    if not _channel_allowed(victim, notification.channel):
        return _cancel(notification, _("The victim no longer allows this channel."))
    if (notification.case_id, victim.pk) not in on_case:
        return _cancel(notification, _("The victim is no longer on the case."))
    if notification.channel == Channel.SMS and (held := quiet_hours_end(now)):
        notification.next_attempt_at = held
        notification.save(update_fields=["next_attempt_at"])
        return "held for quiet hours"
    provider = provider_for(notification.channel)
    if provider.name not in pauses:
        pauses[provider.name] = _paused_until(provider.name)
    if paused := pauses[provider.name]:
        _put_off(notification, (paused - now).total_seconds(), now)
        return "provider paused"
    return _Claim(notification=notification, provider=provider)


def _put_off(notification: Notification, wait: float, now: datetime.datetime) -> None:
    """Give a PENDING row a later, jittered attempt time, and a task for it then."""
    wait += random.uniform(0, max(1.0, wait))  # noqa: S311
    notification.next_attempt_at = now + datetime.timedelta(seconds=wait)
    notification.save(update_fields=["next_attempt_at"])
    transaction.on_commit(partial(_hint_later, notification.pk, wait))


def _cancel(notification: Notification, reason: str) -> str:
    notification.status = NotificationStatus.CANCELLED
    notification.finished_at = timezone.now()
    notification.last_error = reason
    notification.save(update_fields=["status", "finished_at", "last_error"])
    return "cancelled"


def notification_send(*, notification_id: int) -> str:
    """Send the row if it is still pending, with the other due rows claimed with it;
    return what happened to the row asked for.

    Not one transaction: the provider is called between two short ones, so that no
    row lock or connection is held while a provider takes its time.
    """
    # Most tasks in a busy queue find their row already sent in another's batch:
    # one cheap read says so without taking locks.
    if not Notification.objects.filter(
        pk=notification_id, status=NotificationStatus.PENDING
    ).exists():
        return "not pending"
    claims, outcome = _claim(notification_id)
    sent: list[_Sent] = []
    # A provider that failed once in this batch is struggling: its other messages
    # wait behind its back-off rather than each making it struggle more.
    struggling: set[str] = set()
    held: list[_Claim] = []
    try:
        for claim in claims:
            if claim.provider.name in struggling:
                held.append(claim)
                continue
            result = _send_claimed(claim)
            if isinstance(result, _Sent):
                sent.append(result)
                result = "sent"
            elif result == "retrying":
                struggling.add(claim.provider.name)
            if claim.notification.pk == notification_id:
                outcome = result
    finally:
        if held:
            _release(held)
        if sent:
            _record_sent(sent)
    return outcome


def _send_claimed(claim: _Claim) -> _Sent | str:
    """Hand one claimed row to its provider; record a failure at once."""
    notification, provider = claim.notification, claim.provider
    try:
        message = message_for(notification)
        provider_id = None
        find_sent = getattr(provider, "find_sent", None)
        if notification.attempts > 1 and find_sent is not None:
            # An earlier attempt may have reached the provider before failing.
            provider_id = find_sent(message.reference)
        if not provider_id:
            provider_id = provider.send(message)
    except PermanentProviderError as error:
        return _record_failure(notification, str(error))
    except TransientProviderError as error:
        return _record_retry(notification, provider, error)
    except Exception as error:
        logger.exception("Notification %s: the provider failed", notification.pk)
        return _record_retry(
            notification,
            provider,
            TransientProviderError(f"Unexpected error: {type(error).__name__}"),
        )
    return _Sent(
        notification=notification,
        provider=provider,
        provider_id=str(provider_id),
        to=message.to,
    )


def _release(claims: list[_Claim]) -> None:
    """Hand back claimed rows that were not tried, unchanged but for a later attempt
    time: after their provider's pause if it asked for one, else the first back-off."""
    now = timezone.now()
    waits: dict[str, float] = {}
    with transaction.atomic():
        for claim in claims:
            name = claim.provider.name
            if name not in waits:
                paused = _paused_until(name)
                waits[name] = (
                    (paused - now).total_seconds() if paused else retry_delay(1)
                )
            released = (
                _this_attempt(claim.notification)
                .filter(status=NotificationStatus.SENDING)
                .update(status=NotificationStatus.PENDING, attempts=F("attempts") - 1)
            )
            if released:
                _put_off(claim.notification, waits[name], now)


def _this_attempt(notification: Notification):
    """The row as this worker claimed it: if the sweep gave up on this attempt and
    another began, nothing this worker writes may overwrite it."""
    return Notification.objects.filter(
        pk=notification.pk, attempts=notification.attempts
    )


# The conditional update of `_this_attempt`, for many rows in one round trip.
_RECORD_SENT_SQL = (
    "UPDATE {table} SET status = %s, provider = %s, provider_id = %s, sent_at = %s, "
    "last_error = '' WHERE id = %s AND attempts = %s AND status IN (%s, %s)"
)


@transaction.atomic
def _record_sent(sent: list[_Sent]) -> None:
    """Record the messages that left, and each disclosure, in one commit."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.executemany(
            _RECORD_SENT_SQL.format(table=Notification._meta.db_table),
            [
                (
                    NotificationStatus.SENT,
                    item.provider.name,
                    item.provider_id,
                    now,
                    item.notification.pk,
                    item.notification.attempts,
                    NotificationStatus.SENDING,
                    NotificationStatus.PENDING,
                )
                for item in sent
            ],
        )
        recorded = cursor.rowcount
    if recorded < len(sent):
        ours = {(item.notification.pk, item.provider_id) for item in sent}
        kept = set(
            Notification.objects.filter(
                pk__in=[pk for pk, _id in ours], status=NotificationStatus.SENT
            ).values_list("pk", "provider_id")
        )
        logger.warning(
            "Notifications %s were sent after another attempt began: duplicates.",
            sorted(pk for pk, _id in ours - kept),
        )
    # The messages left either way, so each disclosure is recorded either way.
    audit_record_many(
        actor=None,
        action=AuditAction.DISCLOSE,
        object_type="notification",
        objects=(
            (
                item.notification.pk,
                item.notification.force_id,
                item.notification.case_id,
                {
                    "channel": item.notification.channel,
                    "to": mask_recipient(item.notification.channel, item.to),
                    "victim_id": item.notification.victim_id,
                    "provider": item.provider.name,
                    "attempt": item.notification.attempts,
                },
            )
            for item in sent
        ),
    )


def _record_failure(notification: Notification, error: str) -> str:
    _this_attempt(notification).filter(status=NotificationStatus.SENDING).update(
        status=NotificationStatus.PERMANENT_FAILURE,
        finished_at=timezone.now(),
        last_error=error[:300],
    )
    logger.warning(
        "Notification %s failed for good (case %s): %s",
        notification.pk,
        notification.case_id,
        error,
    )
    return "failed"


def _record_retry(
    notification: Notification, provider: Provider, error: TransientProviderError
) -> str:
    now = timezone.now()
    if error.retry_after is not None:
        _pause(provider.name, error.retry_after)
    delay = retry_delay(notification.attempts, error.retry_after)
    deadline = notification.first_attempted_at + datetime.timedelta(
        seconds=settings.NOTIFICATIONS_RETRY_PERIOD_SECONDS
    )
    this_attempt = _this_attempt(notification).filter(status=NotificationStatus.SENDING)
    if now + datetime.timedelta(seconds=delay) > deadline:
        this_attempt.update(
            status=NotificationStatus.TECHNICAL_FAILURE,
            finished_at=now,
            last_error=str(error)[:300],
        )
        logger.warning(
            "Notification %s gave up after %s attempts (case %s): %s",
            notification.pk,
            notification.attempts,
            notification.case_id,
            error,
        )
        return "failed"
    this_attempt.update(
        status=NotificationStatus.PENDING,
        next_attempt_at=now + datetime.timedelta(seconds=delay),
        last_error=str(error)[:300],
    )
    _hint_later(notification.pk, delay)
    return "retrying"


@dataclass(frozen=True)
class SweepResult:
    requeued: int
    recovered: int
    given_up: int


def notifications_sweep() -> SweepResult:
    """Recover rows stuck mid-send, then hand over every row that is due and whose
    task is overdue: lost by the broker, never queued, or waiting for quiet hours or
    a retry. Safe to run twice at once: each skips the rows the other has locked."""
    now = timezone.now()
    batch = settings.NOTIFICATIONS_SWEEP_BATCH
    period = datetime.timedelta(seconds=settings.NOTIFICATIONS_RETRY_PERIOD_SECONDS)
    with transaction.atomic():
        stuck = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(
                status=NotificationStatus.SENDING,
                claimed_at__lt=now
                - datetime.timedelta(
                    seconds=settings.NOTIFICATIONS_SENDING_TIMEOUT_SECONDS
                ),
            )
            .order_by("claimed_at")
            .values_list("pk", "first_attempted_at")[:batch]
        )
        expired = [pk for pk, first in stuck if first + period <= now]
        recovered = [pk for pk, first in stuck if first + period > now]
        Notification.objects.filter(pk__in=recovered).update(
            status=NotificationStatus.PENDING,
            next_attempt_at=now,
            last_error=_("The last attempt did not finish; trying again."),
        )
        Notification.objects.filter(pk__in=expired).update(
            status=NotificationStatus.TECHNICAL_FAILURE,
            finished_at=now,
            last_error=_(
                "The last attempt did not finish and the retry period is over: "
                "the message may not have been sent."
            ),
        )
    with transaction.atomic():
        overdue = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(
                status=NotificationStatus.PENDING,
                next_attempt_at__lte=now
                - datetime.timedelta(
                    seconds=settings.NOTIFICATIONS_REQUEUE_AFTER_SECONDS
                ),
            )
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:batch]
        )
        # Restart the clock: handed over again only if this task is lost too.
        Notification.objects.filter(pk__in=overdue).update(next_attempt_at=now)
    requeued = notifications_enqueue(notification_ids=[*recovered, *overdue])
    if stuck or overdue:
        logger.info(
            "Notification sweep: %s recovered, %s given up, %s handed over",
            len(recovered),
            len(expired),
            requeued,
        )
    return SweepResult(
        requeued=requeued, recovered=len(recovered), given_up=len(expired)
    )


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


@transaction.atomic
def notification_record_receipt(
    *, provider_id: str, reference: str, status: str
) -> str:
    """Record what the provider says became of a message, with an audit row; return
    a ReceiptOutcome."""
    new_status = NOTIFY_RECEIPT_STATUSES.get(status)
    notification = Notification.objects.filter(
        provider="notify", provider_id=provider_id
    ).first()
    if notification is None:
        pk = reference.removeprefix(REFERENCE_PREFIX)
        if reference.startswith(REFERENCE_PREFIX) and pk.isdigit():
            sending = Notification.objects.filter(
                pk=int(pk), status=NotificationStatus.SENDING
            )
            if sending.exists():
                # The receipt overtook our own record of the send: ask Notify to
                # tell us again later.
                return ReceiptOutcome.NOT_YET_SENT
        return ReceiptOutcome.UNKNOWN
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
            object_type="notification",
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


@transaction.atomic
def notification_resend(*, notification: Notification, actor: Actor) -> Notification:
    """Send a failed message again, as a new row, to the victim's current address."""
    original = (
        Notification.objects.select_for_update()
        .select_related("victim")
        .get(pk=notification.pk)
    )
    if original.status not in FAILED_STATUSES:
        raise ValidationError(_("Only a failed message can be sent again."))
    if Notification.objects.filter(resend_of=original).exists():
        raise ValidationError(_("This message has already been sent again."))
    if not _channel_allowed(original.victim, original.channel):
        raise ValidationError(
            _("The victim no longer allows this channel, or has no address for it.")
        )
    if not CaseVictim.objects.filter(
        case_id=original.case_id, victim_id=original.victim_id
    ).exists():
        raise ValidationError(_("The victim is no longer on the case."))
    now = timezone.now()
    resend = Notification.objects.create(
        force_id=original.force_id,
        case_id=original.case_id,
        victim_id=original.victim_id,
        entry_id=original.entry_id,
        channel=original.channel,
        resend_of=original,
        requested_by=actor if isinstance(actor, User) else None,
        next_attempt_at=_earliest_send(original.channel, now),
        created_at=now,
    )
    _deal_with(original, actor, now)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="notification",
        object_id=resend.pk,
        force_id=resend.force_id,
        case_id=resend.case_id,
        detail={"resend_of": original.pk, "channel": resend.channel},
    )
    if resend.next_attempt_at <= now:
        transaction.on_commit(
            partial(notifications_enqueue, notification_ids=[resend.pk]), robust=True
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
        object_type="notification",
        object_id=notification.pk,
        force_id=notification.force_id,
        case_id=notification.case_id,
        changed_fields=["dealt_with_at"],
    )
