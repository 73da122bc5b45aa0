"""The notification outbox: the one road for every message to a victim, updates and
sign-in codes alike, each sent once.

1. `notifications_queue` writes rows inside the caller's transaction and, after
   commit, hands them to Celery: updates on the default queue, sign-in codes on
   their own (NOTIFICATIONS_CODE_QUEUE), so that a code never waits behind a backlog
   of updates. A rolled-back change leaves no row and sends nothing.
   `notifications_create_for_entry` (one row per victim per safe channel),
   `notifications_queue_new_message` (a victim told there is a message from the
   police in the portal) and `notifications_queue_sign_in_code` are its callers.
2. `notification_send` (the Celery task) claims a PENDING row, with other due rows
   up to NOTIFICATIONS_SEND_BATCH, calls the provider for each outside any
   transaction (NOTIFICATIONS_SEND_CONCURRENCY at a time, each call in its slot of
   the provider's pace, shared by every worker), then records the results and the
   disclosures in one commit.
3. `notifications_sweep` (Celery beat) hands over rows whose task was lost, or that
   wait for the end of quiet hours or a retry, and recovers rows stuck mid-send.

A message can go out twice only if a worker stops (or its database write fails)
after the provider accepted the message and before the SENT status commits; see
README.md, "Notifications to victims", for that window and how it is narrowed.
"""

import datetime
import logging
import os
import random
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.constants import AuditAction, ObjectType
from audit.models import AuditEvent
from audit.services import Audited, audit_record_many
from cases.models import TimelineEntry
from notifications.constants import (
    TO_A_VICTIM_ON_A_CASE,
    MessageKind,
    NotificationStatus,
)
from notifications.content import mask_recipient, message_for
from notifications.models import Notification
from notifications.policy import (
    earliest_send,
    held_for_quiet_hours,
    provider_pause,
    provider_paused_until,
    provider_slot,
    retry_delay,
)
from notifications.providers import (
    OutgoingMessage,
    PermanentProviderError,
    Provider,
    TransientProviderError,
    provider_for,
)
from victims.models import CaseVictim, SignInAttempt, Victim
from victims.sign_in_codes import sign_in_code_mint, sign_in_code_withdraw

logger = logging.getLogger(__name__)
# Handing a row to the broker is only a shortcut (the sweep is the guarantee), so a
# request does not wait long on a broker that is down or frozen: one attempt, which
# gives up after REDIS_SOCKET_TIMEOUT_SECONDS. A retry would reconnect and wait again
# (3 s, measured, where one attempt takes 1 s); redis-py already reconnects a pooled
# connection that a restarted Redis closed.
QUICK_PUBLISH_RETRY = {"max_retries": 0}


def _is_eager() -> bool:
    from trackmycrime.celery import app

    return bool(app.conf.task_always_eager)


@transaction.atomic
def notifications_queue(*, rows: list[Notification]) -> list[Notification]:
    """Write these unsaved outbox rows and send them once the surrounding
    transaction commits: the one way any message to a victim is sent. Quiet hours
    set when each may go."""
    now = timezone.now()
    for row in rows:
        # A row may be written to go later (an invitation waits a day), never sooner.
        later = max(now, row.next_attempt_at or now)
        row.next_attempt_at = earliest_send(row.kind, row.channel, later)
        row.created_at = now
    Notification.objects.bulk_create(rows)
    due = [(row.pk, row.kind) for row in rows if row.next_attempt_at <= now]
    if due:
        transaction.on_commit(partial(notifications_enqueue, rows=due), robust=True)
    return rows


@transaction.atomic
def notifications_create_for_entry(*, entry: TimelineEntry) -> list[Notification]:
    """Queue the messages that tell each victim of `entry`, on each channel they
    said is safe.

    Changes made together (one save in the back office, one API request, or any
    change while an earlier update still waits to go) are told in one message: where
    a victim's update on that channel has not left yet, this entry's row is marked
    MERGED into it, so the victim gets one message and each entry keeps its row
    (the compliance figures count it told when that message is sent).
    """
    if not entry.visible_to_victim:
        return []
    links = (
        CaseVictim.objects.filter(case_id=entry.case_id)
        .select_related("victim")
        .order_by("victim_id")
    )
    rows = [
        Notification(
            kind=MessageKind.UPDATE,
            force_id=entry.case.force_id,
            case_id=entry.case_id,
            victim=link.victim,
            entry=entry,
            channel=channel,
        )
        for link in links
        for channel in link.update_channels
    ]
    # Locked, so that no worker claims them before this transaction commits; a row
    # a worker holds already is being sent, and is left alone.
    waiting = {
        (row.victim_id, row.channel): row
        for row in Notification.objects.select_for_update(
            skip_locked=True, of=("self",)
        )
        .filter(
            case_id=entry.case_id,
            kind=MessageKind.UPDATE,
            status=NotificationStatus.PENDING,
            resend_of__isnull=True,
        )
        .exclude(entry=entry)
        .order_by("pk")
    }
    now = timezone.now()
    merged = []
    for row in rows:
        if into := waiting.get((row.victim_id, row.channel)):
            row.status, row.merged_into = NotificationStatus.MERGED, into
            row.created_at = row.finished_at = row.next_attempt_at = now
            merged.append(row)
    Notification.objects.bulk_create(merged)
    return merged + notifications_queue(
        rows=[row for row in rows if row.merged_into is None]
    )


@transaction.atomic
def notifications_queue_new_message(
    *,
    force_id: int,
    case_id: int,
    victim_id: int,
    kind: str = MessageKind.NEW_MESSAGE,
) -> list[Notification]:
    """Tell a victim, on each channel they said is safe, that there is something new
    for them in the portal: a message from the police, or news of a request they
    made (REQUEST_UPDATE). The text itself never leaves the portal. Where such a
    message to them has not left yet, it already says so, and nothing is added."""
    victim = Victim.objects.get(pk=victim_id)
    waiting = set(
        Notification.objects.filter(
            kind=kind,
            case_id=case_id,
            victim_id=victim_id,
            status=NotificationStatus.PENDING,
        ).values_list("channel", flat=True)
    )
    return notifications_queue(
        rows=[
            Notification(
                kind=kind,
                force_id=force_id,
                case_id=case_id,
                victim_id=victim_id,
                channel=channel,
            )
            for channel in victim.safe_channels
            if channel not in waiting
        ]
    )


def notifications_queue_sign_in_code(*, attempt: SignInAttempt) -> Notification:
    """Queue a sign-in code for the attempt, on the channel the typed contact names.
    Who it is for is settled by the worker (victims.sign_in_codes); a code message
    still waiting from an earlier request for this attempt is cancelled, so that
    only the newest code is ever sent.

    A row a worker is claiming at this moment is left to it (skip_locked): the
    worker locks that row and then the attempt, and the caller already holds the
    attempt, so waiting for the row would deadlock. The code it mints is replaced by
    the one minted for the new row."""
    waiting = Notification.objects.select_for_update(skip_locked=True).filter(
        sign_in_attempt=attempt, status=NotificationStatus.PENDING
    )
    Notification.objects.filter(
        pk__in=list(waiting.values_list("pk", flat=True))
    ).update(
        status=NotificationStatus.CANCELLED,
        finished_at=timezone.now(),
        last_error=_("A new code was asked for."),
    )
    (row,) = notifications_queue(
        rows=[
            Notification(
                kind=MessageKind.SIGN_IN_CODE,
                sign_in_attempt=attempt,
                channel=attempt.channel,
            )
        ]
    )
    return row


def queue_for(kind: str) -> str:
    """The Celery queue for a kind of message: codes have their own."""
    if kind == MessageKind.SIGN_IN_CODE:
        return settings.NOTIFICATIONS_CODE_QUEUE
    return settings.NOTIFICATIONS_UPDATE_QUEUE


def notifications_enqueue(*, rows: Iterable[tuple[int, str]]) -> int:
    """Ask the workers to send these (id, kind) rows now; return how many were
    handed over.

    A broker that is down loses nothing: the rows stay PENDING and the sweep hands
    them over when it is back. The first failure stops the loop, so that a web
    request does not wait on a dead broker once per message.
    """
    from notifications.tasks import send_notification

    handed_over = 0
    for notification_id, kind in rows:
        try:
            send_notification.apply_async(
                (notification_id,),
                queue=queue_for(kind),
                retry_policy=QUICK_PUBLISH_RETRY,
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


def _hint_later(notification: Notification, delay: float) -> None:
    """Queue a look at the row when it is due; the sweep covers a lost one."""
    if _is_eager() or delay > settings.NOTIFICATIONS_RETRY_MAX_DELAY_SECONDS:
        return
    from notifications.tasks import send_notification

    notification_id = notification.pk
    try:
        send_notification.apply_async(
            (notification_id,), countdown=delay, queue=queue_for(notification.kind)
        )
    except Exception as error:
        logger.warning(
            "Could not queue the retry of notification %s (%s); the sweep will.",
            notification_id,
            error,
        )


@dataclass(frozen=True)
class _Claim:
    notification: Notification
    provider: Provider
    # A sign-in code, minted as the row was claimed; never stored.
    code: str = ""


@dataclass(frozen=True)
class _Sent:
    notification: Notification
    provider: Provider
    provider_id: str
    to: str
    # Further messages the provider holds for this row: it went out more than once.
    also_sent: tuple[str, ...] = ()


def _locked_pending() -> QuerySet[Notification]:
    return Notification.objects.select_for_update(
        skip_locked=True, of=("self",)
    ).select_related("force", "case", "entry", "victim", "sign_in_attempt")


def _claim(notification_id: int) -> tuple[list[_Claim], str]:
    """Move the row, and up to NOTIFICATIONS_SEND_BATCH - 1 other due rows, from
    PENDING to SENDING where each is still allowed; return the claims and what became
    of the row asked for ("claimed" or why not). Row locks are held for this short
    transaction only, and rows another worker has locked are skipped.

    Claiming due rows beyond its own lets one task send several messages for one
    commit each side of the sending; the tasks of those rows then find them taken.
    Only rows of the same kind are claimed together, so that a code is never sent
    after a batch of updates.
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
                .filter(
                    status=NotificationStatus.PENDING,
                    next_attempt_at__lte=now,
                    kind=rows[0].kind,
                )
                .exclude(pk=notification_id)
                .order_by("next_attempt_at", "pk")[
                    : settings.NOTIFICATIONS_SEND_BATCH - 1
                ]
            )
        updates = [row for row in rows if row.kind in TO_A_VICTIM_ON_A_CASE]
        on_case = set(
            CaseVictim.objects.filter(
                case_id__in={row.case_id for row in updates},
                victim_id__in={row.victim_id for row in updates},
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
    if notification.kind in TO_A_VICTIM_ON_A_CASE:
        victim = notification.victim
        assert victim is not None, "an update is written for a known victim"
        if not victim.may_contact_by(notification.channel):
            return _cancel(notification, _("The victim no longer allows this channel."))
        if (notification.case_id, victim.pk) not in on_case:
            return _cancel(notification, _("The victim is no longer on the case."))
    if held := held_for_quiet_hours(notification.kind, notification.channel, now):
        notification.next_attempt_at = held
        notification.save(update_fields=["next_attempt_at"])
        return "held for quiet hours"
    provider = provider_for(notification.channel)
    if provider.name not in pauses:
        pauses[provider.name] = provider_paused_until(provider.name)
    if paused := pauses[provider.name]:
        _put_off(notification, (paused - now).total_seconds(), now)
        return "provider paused"
    if notification.kind == MessageKind.SIGN_IN_CODE:
        assert notification.sign_in_attempt_id, "a code row has its attempt"
        minted = sign_in_code_mint(attempt_id=notification.sign_in_attempt_id)
        if minted is None:
            # Says nothing of why: a row for details that matched nobody looks the
            # same as one for an attempt that has ended.
            return _cancel(notification, _("Not sent: nothing to send a code to."))
        notification.victim = minted.victim
        notification.case = minted.case
        notification.force_id = minted.case.force_id
        notification.save(update_fields=["victim", "case", "force"])
        return _Claim(notification=notification, provider=provider, code=minted.code)
    return _Claim(notification=notification, provider=provider)


def _put_off(notification: Notification, wait: float, now: datetime.datetime) -> None:
    """Give a PENDING row a later, jittered attempt time, and a task for it then."""
    wait += random.uniform(0, max(1.0, wait))  # noqa: S311
    notification.next_attempt_at = now + datetime.timedelta(seconds=wait)
    notification.save(update_fields=["next_attempt_at"])
    transaction.on_commit(partial(_hint_later, notification, wait))


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
    results = _send_all(claims)
    sent = [result for _claim_, result in results if isinstance(result, _Sent)]
    held = [
        (claim, result.wait) for claim, result in results if isinstance(result, _Held)
    ]
    try:
        for claim, result in results:
            if isinstance(result, _Held):
                continue
            done = "sent" if isinstance(result, _Sent) else _settle(claim, result)
            if claim.notification.pk == notification_id:
                outcome = done
    finally:
        if held:
            _release(held)
        if sent:
            try:
                _record_sent(sent)
            finally:
                # They left, whatever became of the commit.
                _count_sent(sent)
    return outcome


@dataclass(frozen=True)
class _Held:
    """Not tried: the row goes back to waiting, the attempt not counted, `wait`
    seconds from now (None: after its provider's pause, or the first back-off)."""

    wait: float | None = None


_Result = _Sent | _Held | Exception

_pools: dict[tuple[int, int], ThreadPoolExecutor] = {}


def _pool() -> ThreadPoolExecutor:
    """This worker process's sending threads, made once (a forked process makes its
    own). Each thread keeps its own connection to the provider (providers.py)."""
    key = (os.getpid(), settings.NOTIFICATIONS_SEND_CONCURRENCY)
    if key not in _pools:
        _pools[key] = ThreadPoolExecutor(
            max_workers=settings.NOTIFICATIONS_SEND_CONCURRENCY,
            thread_name_prefix="tmc-send",
        )
    return _pools[key]


def _send_all(claims: list[_Claim]) -> list[tuple[_Claim, _Result]]:
    """Hand the claimed rows to their providers, several at a time, and return what
    became of each; write nothing (the caller records the results, in one thread).

    The messages are rendered here, in the calling thread (translations are per
    thread); threads only wait for their slot and call the provider. The first
    message to each provider goes alone: if the provider is struggling (a time-out,
    5xx, 429), the batch's other messages to it wait behind its back-off untried,
    rather than all making it struggle more at once.
    """
    results: list[_Result | None] = [None] * len(claims)
    ready: list[tuple[int, OutgoingMessage]] = []
    for index, claim in enumerate(claims):
        try:
            ready.append((index, message_for(claim.notification, code=claim.code)))
        except Exception as error:
            results[index] = error
    struggling: set[str] = set()

    def attempt(item: tuple[int, OutgoingMessage]) -> None:
        index, message = item
        results[index] = _attempt(claims[index], message, struggling)

    first: dict[str, tuple[int, OutgoingMessage]] = {}
    for index, message in ready:
        first.setdefault(claims[index].provider.name, (index, message))
    probes = list(first.values())
    _run_all(attempt, probes)
    _run_all(attempt, [item for item in ready if item not in probes])
    return [
        (claim, result)
        for claim, result in zip(claims, results, strict=True)
        if result is not None
    ]


def _run_all(call, items: list) -> None:
    if len(items) <= 1 or settings.NOTIFICATIONS_SEND_CONCURRENCY == 1:
        for item in items:
            call(item)
        return
    for _done in _pool().map(call, items):
        pass


def _attempt(claim: _Claim, message: OutgoingMessage, struggling: set[str]) -> _Result:
    """Send one claimed message, in a sending thread: nothing here touches the
    database. Its provider is this thread's own (providers.provider_for)."""
    notification = claim.notification
    provider = provider_for(notification.channel)
    try:
        found: list[str] = []
        # A code is minted afresh for each attempt, so an earlier attempt's message
        # (whose code no longer works) is no reason not to send this one.
        if (
            notification.attempts > 1
            and _can_look_up(provider)
            and notification.kind in TO_A_VICTIM_ON_A_CASE
        ):
            # An earlier attempt may have reached the provider before failing; one
            # that timed out was retried only once the provider must have finished
            # with it (NOTIFY_IN_DOUBT_WAIT_SECONDS), so it shows here if it went.
            if held := _wait_for_slot(claim, struggling):
                return held
            found = _find_sends(provider, message.reference)
        if found:
            provider_id = found[0]
        else:
            if held := _wait_for_slot(claim, struggling):
                return held
            provider_id = provider.send(message)
    except PermanentProviderError as error:
        return error
    except Exception as error:
        # Retried later, as any failure but a permanent one: the provider struggles.
        struggling.add(claim.provider.name)
        return error
    return _Sent(
        notification=notification,
        provider=claim.provider,
        provider_id=str(provider_id),
        to=message.to,
        also_sent=tuple(found[1:]),
    )


def _wait_for_slot(claim: _Claim, struggling: set[str]) -> _Held | None:
    """Wait for this call's slot in its provider's pace (shared by every worker);
    return _Held if the message is to wait instead: its provider is struggling, or
    the next slot is further off than a message of its kind waits."""
    name = claim.provider.name
    if name in struggling:
        return _Held()
    slot = provider_slot(name, claim.notification.kind)
    if not slot.reserved:
        return _Held(wait=slot.wait)
    if slot.wait > 0:
        time.sleep(slot.wait)
        if name in struggling:
            return _Held()
    return None


def _settle(claim: _Claim, error: Exception) -> str:
    """Record a message the provider did not take: failed for good, or to retry."""
    notification, provider = claim.notification, claim.provider
    if isinstance(error, PermanentProviderError):
        return _record_failure(notification, str(error))
    if isinstance(error, TransientProviderError):
        return _record_retry(notification, provider, error)
    logger.error(
        "Notification %s: the provider failed", notification.pk, exc_info=error
    )
    return _record_retry(
        notification,
        provider,
        TransientProviderError(f"Unexpected error: {type(error).__name__}"),
    )


def _can_look_up(provider: Provider) -> bool:
    """Whether the provider can be asked what it sent for a reference (Notify)."""
    return hasattr(provider, "find_sends") or hasattr(provider, "find_sent")


def _find_sends(provider: Provider, reference: str) -> list[str]:
    """The provider's ids for every message it holds with `reference`."""
    if find_sends := getattr(provider, "find_sends", None):
        return list(find_sends(reference))
    found = provider.find_sent(reference)  # type: ignore[attr-defined]
    return [found] if found else []


def _release(claims: list[tuple[_Claim, float | None]]) -> None:
    """Hand back claimed rows that were not tried, unchanged but for a later attempt
    time: `wait` from now if given (their slot was too far off), else after their
    provider's pause if it asked for one, else the first back-off."""
    now = timezone.now()
    waits: dict[str, float] = {}
    with transaction.atomic():
        for claim, wait in claims:
            name = claim.provider.name
            if wait is None and name not in waits:
                paused = provider_paused_until(name)
                waits[name] = (
                    (paused - now).total_seconds() if paused else retry_delay(1)
                )
            released = (
                _this_attempt(claim.notification)
                .filter(status=NotificationStatus.SENDING)
                .update(status=NotificationStatus.PENDING, attempts=F("attempts") - 1)
            )
            if released:
                _put_off(claim.notification, waits[name] if wait is None else wait, now)


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
    # The messages left either way, so each disclosure is recorded either way, and
    # a message the provider holds twice for one row is two disclosures.
    audit_record_many(
        actor=None,
        action=AuditAction.DISCLOSE,
        object_type=ObjectType.NOTIFICATION,
        objects=(
            _disclosure(
                item.notification,
                provider=item.provider.name,
                provider_id=provider_id,
                to=item.to,
            )
            for item in sent
            for provider_id in (item.provider_id, *item.also_sent)
        ),
    )
    duplicates = [item for item in sent if item.also_sent]
    for item in duplicates:
        logger.warning(
            "Notification %s went out %s times (case %s).",
            item.notification.pk,
            1 + len(item.also_sent),
            item.notification.case_id,
        )


def _count_sent(sent: list[_Sent]) -> None:
    from trackmycrime.metrics import metrics_count

    for item in sent:
        labels = {"channel": item.notification.channel, "provider": item.provider.name}
        metrics_count("notifications_sent", labels, by=1 + len(item.also_sent))
        if item.also_sent:
            metrics_count("notifications_duplicates", labels, by=len(item.also_sent))


def _disclosure(
    notification: Notification, *, provider: str, provider_id: str, to: str
) -> Audited:
    """The audit row for one message that left: channel and masked recipient, never
    the text. One shape for a first send and for a second one found later."""
    return Audited(
        object_id=notification.pk,
        force_id=notification.force_id,
        case_id=notification.case_id,
        detail={
            "kind": notification.kind,
            "channel": notification.channel,
            "to": mask_recipient(notification.channel, to),
            "victim_id": notification.victim_id,
            "provider": provider,
            "provider_id": provider_id,
            "attempt": notification.attempts,
        },
    )


@transaction.atomic
def notification_record_another_send(
    *, notification: Notification, provider: str, provider_id: str, to: str
) -> bool:
    """Record the disclosure of a message the provider says it sent for this row
    besides the one recorded (a request that timed out and was accepted after
    all); return False if this send was recorded already."""
    already = AuditEvent.objects.filter(
        action=AuditAction.DISCLOSE,
        object_type=ObjectType.NOTIFICATION,
        object_id=str(notification.pk),
        detail__provider_id=provider_id,
    )
    # One row lock serialises two receipts for the same send.
    Notification.objects.select_for_update().filter(pk=notification.pk).first()
    if provider_id == notification.provider_id or already.exists():
        return False
    audit_record_many(
        actor=None,
        action=AuditAction.DISCLOSE,
        object_type=ObjectType.NOTIFICATION,
        objects=[
            _disclosure(notification, provider=provider, provider_id=provider_id, to=to)
        ],
    )
    logger.warning(
        "Notification %s went out again, found by its receipt (case %s).",
        notification.pk,
        notification.case_id,
    )
    from trackmycrime.metrics import metrics_count

    metrics_count(
        "notifications_duplicates",
        {"channel": notification.channel, "provider": provider},
    )
    return True


def _withdraw_code(notification: Notification) -> None:
    if notification.sign_in_attempt_id is not None:
        sign_in_code_withdraw(attempt_id=notification.sign_in_attempt_id)


def _record_failure(notification: Notification, error: str) -> str:
    _withdraw_code(notification)
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
        provider_pause(provider.name, error.retry_after)
    delay = retry_delay(notification.attempts, error.retry_after)
    if (
        error.in_doubt
        and notification.kind == MessageKind.UPDATE
        and _can_look_up(provider)
    ):
        # The provider may still accept the request that timed out: look it up only
        # once it must have finished with it, so that the look-up is not too soon.
        delay = max(delay, settings.NOTIFY_IN_DOUBT_WAIT_SECONDS)
    deadline = notification.attempt_started_at + datetime.timedelta(
        seconds=settings.NOTIFICATIONS_RETRY_PERIOD_SECONDS
    )
    if attempt := notification.sign_in_attempt:
        # A code is of no use once it has expired: stop trying then.
        deadline = min(deadline, attempt.expires_at)
        delay = min(delay, settings.NOTIFICATIONS_CODE_RETRY_MAX_DELAY_SECONDS)
    this_attempt = _this_attempt(notification).filter(status=NotificationStatus.SENDING)
    if now + datetime.timedelta(seconds=delay) > deadline:
        this_attempt.update(
            status=NotificationStatus.TECHNICAL_FAILURE,
            finished_at=now,
            last_error=str(error)[:300],
        )
        _withdraw_code(notification)
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
    _hint_later(notification, delay)
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
            .values_list("pk", "kind", "first_attempted_at")[:batch]
        )
        # A row stuck mid-send was claimed, so its first attempt time is set.
        expired = [pk for pk, _kind, first in stuck if first and first + period <= now]
        recovered = [
            (pk, kind) for pk, kind, first in stuck if not first or first + period > now
        ]
        Notification.objects.filter(pk__in=[pk for pk, _kind in recovered]).update(
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
    requeue_before = now - datetime.timedelta(
        seconds=settings.NOTIFICATIONS_REQUEUE_AFTER_SECONDS
    )
    with transaction.atomic():
        overdue = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(
                Q(handed_over_at__isnull=True) | Q(handed_over_at__lte=requeue_before),
                status=NotificationStatus.PENDING,
                next_attempt_at__lte=requeue_before,
            )
            .order_by("next_attempt_at")
            .values_list("pk", "kind")[:batch]
        )
        # Restart the hand-over clock: handed over again only if this task is lost
        # too. The due time stays, so the oldest due message's age is its real wait.
        Notification.objects.filter(pk__in=[pk for pk, _kind in overdue]).update(
            handed_over_at=now
        )
    requeued = notifications_enqueue(rows=[*recovered, *overdue])
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
