"""Every write to a conversation between a victim and the police goes through here:
the victim pages, the back office, the API and the overdue task alike.

1. A victim's message carries the force's promised reply time, in working days;
   it waits until staff reply to it or mark it as needing no reply.
2. A reply from the police tells the victim through the notification outbox, with
   the usual safe wording; the text itself never leaves the portal.
3. Every message written and every message read is audited (actor, case, victim),
   never with its text.
"""

import datetime
import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from audit.constants import AuditAction, ObjectType
from audit.services import Actor, Audited, audit_record, audit_view
from cases.models import Case
from cases.working_days import add_working_days
from conversations.constants import (
    MESSAGE_ERRORS,
    MESSAGE_MAX_LENGTH,
    RATE_LIMITED_MESSAGE,
    VICTIM_MESSAGE_LIMITS,
    AuthorKind,
    SendBlock,
)
from conversations.models import Conversation, Message
from notifications.content import mask_recipient
from notifications.providers import (
    OutgoingMessage,
    ProviderError,
    provider_for,
)
from notifications.services import notifications_queue_new_message
from trackmycrime.rate_limits import rate_limits_hit, rate_limits_reached
from victims.constants import Channel
from victims.models import CaseVictim

logger = logging.getLogger(__name__)

# Control characters other than the newline, and the bidirectional overrides that
# can make text read differently from what it holds.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class MessageRefused(ValidationError):
    """A message that was not written, and why, in words for the person writing."""

    def __init__(self, message, code: str):
        super().__init__(message, code=code)


def message_text_clean(text: str) -> str:
    """Return the text as it would be kept (Windows line ends made plain), or raise
    MessageRefused saying what is wrong with it."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise MessageRefused(MESSAGE_ERRORS["empty"], code="empty")
    if len(text) > MESSAGE_MAX_LENGTH:
        raise MessageRefused(MESSAGE_ERRORS["too_long"], code="too_long")
    if _CONTROL.search(text):
        raise MessageRefused(MESSAGE_ERRORS["control"], code="control")
    return text.strip("\n")


def victim_send_block(*, case: Case, conversation: Conversation | None) -> str | None:
    """Return why the victim cannot write now (a SendBlock), or None if they can."""
    if conversation is not None and conversation.is_paused:
        return SendBlock.PAUSED
    if case.is_closed:
        closed = case.closed_at or case.updated_at
        period = datetime.timedelta(days=case.force.messages_after_closure_days)
        if timezone.now() > closed + period:
            return SendBlock.CLOSED
    return None


def victim_rate_limited(*, victim_id: int) -> bool:
    return rate_limits_reached(
        limits=VICTIM_MESSAGE_LIMITS, identifiers={"victim": str(victim_id)}
    )


def _conversation_locked(*, case: Case, victim_id: int) -> Conversation:
    conversation, _created = Conversation.objects.get_or_create(
        case=case, victim_id=victim_id, defaults={"force_id": case.force_id}
    )
    return Conversation.objects.select_for_update().get(pk=conversation.pk)


def _audit_written(*, actor: Actor | None, message: Message) -> None:
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type=ObjectType.MESSAGE,
        object_id=message.pk,
        force_id=message.force_id,
        case_id=message.case_id,
        detail={
            "victim_id": message.conversation.victim_id,
            "conversation_id": message.conversation_id,
            "author": message.author_kind,
        },
    )


@transaction.atomic
def message_send_by_victim(
    *, link: CaseVictim, text: str, sent_at: datetime.datetime | None = None
) -> Message:
    """Write a signed-in victim's message to the police on their case, due a reply
    within the force's promised working days. Refused (MessageRefused, nothing
    written) if the text is not allowed, the conversation is paused, the case closed
    too long ago, or the victim has written too often today."""
    text = message_text_clean(text)
    case = Case.objects.select_related("force").get(pk=link.case_id)
    conversation = _conversation_locked(case=case, victim_id=link.victim_id)
    if block := victim_send_block(case=case, conversation=conversation):
        raise MessageRefused(_("You cannot send a message at the moment."), code=block)
    if rate_limits_hit(
        limits=VICTIM_MESSAGE_LIMITS, identifiers={"victim": str(link.victim_id)}
    ):
        raise MessageRefused(RATE_LIMITED_MESSAGE, code=SendBlock.RATE_LIMITED)
    now = sent_at or timezone.now()
    message = Message.objects.create(
        conversation=conversation,
        force_id=case.force_id,
        case=case,
        author_kind=AuthorKind.VICTIM,
        text=text,
        sent_at=now,
        reply_due_at=add_working_days(now, case.force.message_reply_working_days),
    )
    conversation.last_message_at = now
    conversation.save(update_fields=["last_message_at"])
    _audit_written(actor=link.victim, message=message)
    return message


@transaction.atomic
def message_send_by_staff(
    *,
    case: Case,
    victim_id: int,
    text: str,
    actor: Actor,
    officer: User | None,
    sent_at: datetime.datetime | None = None,
) -> Message:
    """Write a message from the police to one victim on the case: a reply, which
    answers every message of theirs still waiting, or one nobody asked for. Signed
    with `officer`'s rank and name, or the force's name when no officer is given
    (a records system's reply). The victim is told on their safe channels."""
    text = message_text_clean(text)
    if not CaseVictim.objects.filter(case=case, victim_id=victim_id).exists():
        raise MessageRefused(_("This victim is not on the case."), code="not_on_case")
    conversation = _conversation_locked(case=case, victim_id=victim_id)
    if conversation.is_paused:
        raise MessageRefused(
            _(
                "This conversation is paused for safeguarding. Resume it before "
                "sending a message."
            ),
            code=SendBlock.PAUSED,
        )
    now = sent_at or timezone.now()
    message = Message.objects.create(
        conversation=conversation,
        force_id=case.force_id,
        case=case,
        author_kind=AuthorKind.STAFF if officer else AuthorKind.FORCE,
        author=officer,
        author_label=officer.display_name if officer else "",
        text=text,
        sent_at=now,
    )
    conversation.messages.filter(
        author_kind=AuthorKind.VICTIM, answered_at__isnull=True
    ).update(answered_at=now, answered_by=officer)
    conversation.last_message_at = now
    conversation.save(update_fields=["last_message_at"])
    _audit_written(actor=actor, message=message)
    notifications_queue_new_message(
        force_id=case.force_id, case_id=case.pk, victim_id=victim_id
    )
    return message


@transaction.atomic
def message_mark_no_reply(*, message: Message, actor: User, reason: str) -> Message:
    """Stop a victim's message waiting without a reply (e.g. "Thank you" needs
    none), with the reason staff gave."""
    reason = (reason or "").strip()
    if not reason:
        raise MessageRefused(_("Say why this message needs no reply."), code="reason")
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.author_kind != AuthorKind.VICTIM or message.answered_at is not None:
        raise MessageRefused(
            _("This message is not waiting for a reply."), code="not_waiting"
        )
    message.answered_at = timezone.now()
    message.answered_by = actor
    message.no_reply_reason = reason[:300]
    message.save(update_fields=["answered_at", "answered_by", "no_reply_reason"])
    audit_record(
        actor=actor,
        action=AuditAction.CHANGE,
        object_type=ObjectType.MESSAGE,
        object_id=message.pk,
        force_id=message.force_id,
        case_id=message.case_id,
        changed_fields=["answered_at", "no_reply_reason"],
        detail={"victim_id": message.conversation.victim_id},
    )
    return message


@transaction.atomic
def conversation_pause(
    *, case: Case, victim_id: int, actor: User, reason: str
) -> Conversation:
    """Pause a victim's conversation on the case for safeguarding (before any
    message, too): the victim then sees only a neutral message, and nobody can
    write, until staff resume it."""
    reason = (reason or "").strip()
    if not reason:
        raise MessageRefused(_("Say why the conversation is paused."), code="reason")
    conversation = _conversation_locked(case=case, victim_id=victim_id)
    conversation.paused_at = timezone.now()
    conversation.paused_by = actor
    conversation.pause_reason = reason[:300]
    conversation.save(update_fields=["paused_at", "paused_by", "pause_reason"])
    _audit_conversation(actor=actor, conversation=conversation, paused=True)
    return conversation


@transaction.atomic
def conversation_resume(*, conversation: Conversation, actor: User) -> Conversation:
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    conversation.paused_at = None
    conversation.paused_by = None
    conversation.pause_reason = ""
    conversation.save(update_fields=["paused_at", "paused_by", "pause_reason"])
    _audit_conversation(actor=actor, conversation=conversation, paused=False)
    return conversation


def _audit_conversation(
    *, actor: User, conversation: Conversation, paused: bool
) -> None:
    audit_record(
        actor=actor,
        action=AuditAction.CHANGE,
        object_type=ObjectType.CONVERSATION,
        object_id=conversation.pk,
        force_id=conversation.force_id,
        case_id=conversation.case_id,
        changed_fields=["paused_at", "pause_reason"],
        detail={"victim_id": conversation.victim_id, "paused": paused},
    )


def messages_read(
    *,
    actor: Actor,
    reads: list[tuple[Conversation, list[Message]]],
    by_victim: bool,
) -> None:
    """Record that `actor` was shown these conversations' messages (one audit row
    each, in one insert), and mark the other side's messages read the first time: a
    victim reading the police's, staff reading the victim's."""
    now = timezone.now()
    shown = [(c, m) for c, messages in reads for m in messages]
    if not shown:
        return
    if by_victim:
        unread = [
            m.pk
            for _c, m in shown
            if m.author_kind != AuthorKind.VICTIM and m.read_by_victim_at is None
        ]
        if unread:
            Message.objects.filter(pk__in=unread).update(read_by_victim_at=now)
    else:
        unread = [
            m.pk
            for _c, m in shown
            if m.author_kind == AuthorKind.VICTIM and m.read_by_staff_at is None
        ]
        if unread:
            Message.objects.filter(pk__in=unread).update(read_by_staff_at=now)
    audit_view(
        actor=actor,
        object_type=ObjectType.MESSAGE,
        objects=messages_shown(reads=reads),
        batched=by_victim,
    )


def messages_shown(
    *, reads: Iterable[tuple[Conversation | None, list[Message]]]
) -> list[Audited]:
    """The audit trail's record of these messages being shown: one per message."""
    return [
        Audited(
            object_id=m.pk,
            force_id=c.force_id,
            case_id=c.case_id,
            detail={"victim_id": c.victim_id},
        )
        for c, messages in reads
        if c is not None
        for m in messages
    ]


def messages_read_again(*, actor: Actor, shown: list[Audited]) -> None:
    """Record that a victim was shown their conversation again, from the cached
    page: nothing new to mark read (a new message makes the page again)."""
    audit_view(actor=actor, object_type=ObjectType.MESSAGE, objects=shown, batched=True)


@dataclass(frozen=True)
class OverdueNotice:
    officer_id: int
    messages: int


def messages_overdue_notify(*, batch: int = 500) -> list[OverdueNotice]:
    """Tell each officer in charge, by email to their staff address, how many of
    their cases' victim messages have waited past the promised reply time. Each
    message is told once: it is claimed in one short transaction, and the email
    sent after it commits; a failed send gives it back for the next run.

    The email names no case, victim or text: it only says to sign in.
    """
    now = timezone.now()
    with transaction.atomic():
        due = list(
            Message.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                author_kind=AuthorKind.VICTIM,
                answered_at__isnull=True,
                overdue_notified_at__isnull=True,
                reply_due_at__lt=now,
                case__officer_in_charge__isnull=False,
            )
            .exclude(case__officer_in_charge__email="")
            .select_related("case__officer_in_charge")
            .order_by("reply_due_at")[:batch]
        )
        Message.objects.filter(pk__in=[m.pk for m in due]).update(
            overdue_notified_at=now
        )
    by_officer: dict[int, list[Message]] = defaultdict(list)
    for message in due:
        by_officer[message.case.officer_in_charge_id].append(message)  # type: ignore[index]
    told = []
    for officer_messages in by_officer.values():
        officer = officer_messages[0].case.officer_in_charge
        assert officer is not None
        if _email_officer(officer=officer, count=len(officer_messages)):
            told.append(
                OverdueNotice(officer_id=officer.pk, messages=len(officer_messages))
            )
            _audit_overdue_told(officer=officer, messages=officer_messages)
        else:
            Message.objects.filter(
                pk__in=[m.pk for m in officer_messages], overdue_notified_at=now
            ).update(overdue_notified_at=None)
    return told


def _email_officer(*, officer: User, count: int) -> bool:
    """Send the overdue email through the service's email provider (the same one,
    and the same settings, as victims' emails): no case details at all."""
    body = ngettext(
        "%(count)s message from a victim on one of your cases has waited longer "
        "than the promised reply time.",
        "%(count)s messages from victims on your cases have waited longer "
        "than the promised reply time.",
        count,
    ) % {"count": count}
    body += "\n\n" + _("Sign in to the back office to read and answer them:")
    body += f"\n{settings.PORTAL_BASE_URL}/admin/conversations/conversation/inbox/"
    try:
        provider_for(Channel.EMAIL).send(
            OutgoingMessage(
                channel=Channel.EMAIL,
                to=officer.email,
                subject=_("Messages from victims are waiting for your reply"),
                body=body,
                reference=f"tmc-overdue-{officer.pk}-{timezone.now():%Y%m%d%H%M%S}",
            )
        )
    except ProviderError as error:
        logger.warning("Overdue email to staff %s not sent: %s", officer.pk, error)
        return False
    return True


def _audit_overdue_told(*, officer: User, messages: list[Message]) -> None:
    audit_record(
        actor=None,
        action=AuditAction.DISCLOSE,
        object_type=ObjectType.STAFF,
        object_id=officer.pk,
        force_id=officer.force_id,
        detail={
            "kind": "messages_overdue",
            "to": mask_recipient(Channel.EMAIL, officer.email),
            "message_ids": [m.pk for m in messages],
        },
    )
