"""Personal data that does not outlive its purpose: the daily anonymiser, and staff
erasing a victim's data early, at their request. Both go through `_anonymise`.

1. A victim's data expires RETENTION_DAYS_AFTER_CASE_CLOSED after the last of their
   cases was closed (a victim on no case: that long after they were recorded).
2. Anonymising removes their name, email address, phone number and records-system id,
   wherever they are held: the victim row, the free text of their cases, the admin's
   history, the text of their conversations with the police (both sides), their
   sign-in attempts and the errors of their messages. It keeps what
   the compliance and feedback figures count: the victim row itself, their cases, when
   and how they were told, enhanced rights and language.
3. The audit trail is kept as it is: it never held names or addresses, and the
   recipients of messages in it are masked.
4. A victim is anonymised once (`VictimErasure`), so every run is safe to repeat.
   The daily run writes one audit row with its counts; an erasure on request writes
   one with its reason.
"""

import datetime
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import User
from audit.constants import AuditAction, ObjectType
from audit.services import Actor, audit_record
from cases.models import Case, TimelineEntry
from conversations.constants import AuthorKind
from conversations.models import Conversation, Message
from notifications.models import Notification
from privacy.constants import (
    ANONYMISED_NAME,
    ERASED_NO_REPLY,
    REMOVED,
    ErasureReason,
)
from privacy.models import VictimErasure
from rights.models import RightRequest
from victims.constants import ContactPreference
from victims.models import CaseVictim, SignInAttempt, Victim
from victims.sign_in import sign_in_attempts_delete_old

_CASE_TEXT_FIELDS = ("victim_description", "closing_explanation")
_ENTRY_TEXT_FIELDS = ("victim_text", "staff_note")


@dataclass(frozen=True)
class RetentionPeriods:
    """How long each kind of personal data is kept: what the code does, and what the
    privacy notice says."""

    days_after_case_closed: int
    sign_in_record_days: int
    message_body_days: int


def retention_periods() -> RetentionPeriods:
    return RetentionPeriods(
        days_after_case_closed=settings.RETENTION_DAYS_AFTER_CASE_CLOSED,
        sign_in_record_days=settings.RETENTION_SIGN_IN_RECORD_DAYS,
        message_body_days=settings.RETENTION_MESSAGE_BODY_DAYS,
    )


def victims_expired(*, now: datetime.datetime):
    """Return the victims not yet anonymised whose data has outlived its purpose."""
    cutoff = now - datetime.timedelta(days=settings.RETENTION_DAYS_AFTER_CASE_CLOSED)
    on_any_case = CaseVictim.objects.filter(victim=OuterRef("pk"))
    on_a_live_case = on_any_case.filter(
        Q(case__closed_at__isnull=True) | Q(case__closed_at__gte=cutoff)
    )
    return (
        Victim.objects.filter(erasure__isnull=True)
        .exclude(Exists(on_a_live_case))
        .filter(Exists(on_any_case) | Q(created_at__lt=cutoff))
    )


def _identifiers(victim: Victim) -> list[str]:
    """The forms in which this victim's details could appear in free text."""
    found = [victim.full_name, victim.email, victim.external_reference]
    if victim.mobile:
        found += [
            str(victim.mobile),
            victim.mobile.as_national,
            victim.mobile.as_national.replace(" ", ""),
        ]
    return [value for value in found if value and len(value.strip()) >= 3]


def _scrub(text: str, pattern: re.Pattern) -> str:
    return pattern.sub(REMOVED, text)


def _scrub_rows(queryset, fields: tuple[str, ...], identifiers: list[str]) -> int:
    """Replace the identifiers in the rows' free text; return how many rows changed."""
    pattern = re.compile("|".join(re.escape(i) for i in identifiers), re.IGNORECASE)
    matches = Q()
    for field in fields:
        for identifier in identifiers:
            matches |= Q(**{f"{field}__icontains": identifier})
    changed = 0
    for row in queryset.filter(matches).only("pk", *fields):
        for field in fields:
            setattr(row, field, _scrub(getattr(row, field), pattern))
        row.save(update_fields=list(fields))
        changed += 1
    return changed


def _anonymise(victim: Victim) -> Counter:
    """Remove the victim's personal data everywhere; return what was done, counted.
    The caller holds the victim's row lock and records the erasure."""
    counts: Counter = Counter()
    identifiers = _identifiers(victim)
    links = list(CaseVictim.objects.filter(victim=victim).values_list("pk", "case_id"))
    case_ids = [case_id for _pk, case_id in links]
    if identifiers:
        counts["case_texts_scrubbed"] += _scrub_rows(
            Case.objects.filter(pk__in=case_ids), _CASE_TEXT_FIELDS, identifiers
        )
        counts["timeline_texts_scrubbed"] += _scrub_rows(
            TimelineEntry.objects.filter(case_id__in=case_ids),
            _ENTRY_TEXT_FIELDS,
            identifiers,
        )
        counts["request_texts_scrubbed"] += _scrub_rows(
            RightRequest.objects.filter(victim=victim),
            ("text", "outcome_note"),
            identifiers,
        )
    # The admin's own history names what it changed ("Sam Evans on NS/00001/26").
    types = ContentType.objects.get_for_models(Victim, CaseVictim)
    counts["admin_history_scrubbed"] += LogEntry.objects.filter(
        Q(content_type=types[Victim], object_id=str(victim.pk))
        | Q(
            content_type=types[CaseVictim],
            object_id__in=[str(pk) for pk, _case_id in links],
        )
    ).update(object_repr=f"{ANONYMISED_NAME} {victim.pk}")
    _total, deleted = SignInAttempt.objects.filter(victim=victim).delete()
    counts["sign_in_attempts_deleted"] += deleted.get(SignInAttempt._meta.label, 0)
    counts += _conversations_erase(victim)
    # A provider's error can quote the address it refused.
    counts["message_errors_cleared"] += (
        Notification.objects.filter(victim=victim)
        .exclude(last_error="")
        .update(last_error="")
    )
    victim.full_name = ANONYMISED_NAME
    victim.email = ""
    victim.mobile = ""
    victim.external_reference = ""
    victim.contact_preference = ContactPreference.NONE
    victim.detail_by_email = False
    victim.detail_by_sms = False
    victim.portal_access_allowed = False
    victim.save(
        update_fields=[
            "full_name",
            "email",
            "mobile",
            "external_reference",
            "contact_preference",
            "detail_by_email",
            "detail_by_sms",
            "portal_access_allowed",
            "updated_at",
        ]
    )
    counts["victims_anonymised"] += 1
    return counts


def _conversations_erase(victim: Victim) -> Counter:
    """Remove the text of the victim's conversations, both sides (a reply can
    quote or name them), and staff's reasons for pausing or needing no reply; keep
    when each message was sent, due and answered, which the reply clock counts. A
    message still waiting needs no reply now: it leaves the officer's inbox."""
    counts: Counter = Counter()
    messages = Message.objects.filter(conversation__victim=victim)
    counts["conversation_messages_erased"] += messages.exclude(
        text=REMOVED, no_reply_reason=""
    ).update(text=REMOVED, no_reply_reason="")
    messages.filter(author_kind=AuthorKind.VICTIM, answered_at__isnull=True).update(
        answered_at=timezone.now(), no_reply_reason=ERASED_NO_REPLY
    )
    Conversation.objects.filter(victim=victim).exclude(pause_reason="").update(
        pause_reason=""
    )
    return counts


@transaction.atomic
def victim_erase(*, victim: Victim, reason: ErasureReason, actor: Actor | None) -> bool:
    """Erase a victim's personal data now, for `reason`; return False if it already
    was. Their portal access ends with it."""
    victim = Victim.objects.select_for_update().get(pk=victim.pk)
    if VictimErasure.objects.filter(victim=victim).exists():
        return False
    counts = _anonymise(victim)
    VictimErasure.objects.create(
        victim=victim,
        force_id=victim.force_id,
        reason=reason,
        erased_by=actor if isinstance(actor, User) else None,
    )
    audit_record(
        actor=actor,
        action=AuditAction.ERASE,
        object_type=ObjectType.VICTIM,
        object_id=victim.pk,
        force_id=victim.force_id,
        detail={"reason": ErasureReason(reason).value, **counts},
    )
    return True


def _outbox_files_delete(*, cutoff: datetime.datetime) -> int:
    """Delete the file provider's messages (bodies and recipients) older than
    `cutoff`; other providers keep no bodies here."""
    outbox = Path(settings.NOTIFICATIONS_OUTBOX_DIR)
    if not outbox.is_dir():
        return 0
    deleted = 0
    for path in outbox.glob("*.json"):
        if path.stat().st_mtime < cutoff.timestamp():
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


@transaction.atomic
def retention_run(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Anonymise every victim whose data has expired, delete old sign-in records and
    message bodies, and write one audit row with the counts; return them."""
    now = now or timezone.now()
    counts: Counter = Counter()
    # Skips victims a concurrent run (or erasure) holds; it anonymises them itself.
    expired = victims_expired(now=now).select_for_update(skip_locked=True, of=("self",))
    for victim in list(expired.order_by("pk")):
        counts += _anonymise(victim)
        VictimErasure.objects.create(
            victim=victim,
            force_id=victim.force_id,
            reason=ErasureReason.RETENTION_EXPIRED,
            erased_at=now,
        )
    counts["sign_in_attempts_deleted"] += sign_in_attempts_delete_old(now=now)
    message_cutoff = now - datetime.timedelta(days=settings.RETENTION_MESSAGE_BODY_DAYS)
    counts["message_errors_cleared"] += (
        Notification.objects.filter(created_at__lt=message_cutoff)
        .exclude(last_error="")
        .update(last_error="")
    )
    counts["outbox_files_deleted"] += _outbox_files_delete(cutoff=message_cutoff)
    result = {
        key: counts.get(key, 0)
        for key in (
            "victims_anonymised",
            "case_texts_scrubbed",
            "timeline_texts_scrubbed",
            "admin_history_scrubbed",
            "conversation_messages_erased",
            "sign_in_attempts_deleted",
            "message_errors_cleared",
            "outbox_files_deleted",
        )
    }
    audit_record(
        actor=None,
        action=AuditAction.ERASE,
        object_type=ObjectType.RETENTION_RUN,
        detail=result,
    )
    return result
