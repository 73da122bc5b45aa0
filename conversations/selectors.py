"""Reads for conversations, each a fixed number of queries however many messages
there are."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from cases.compliance import ComplianceRow, date_label, month_of
from cases.working_days import LONDON
from conversations.constants import AuthorKind
from conversations.models import Conversation, Message

INBOX_LENGTH = 50


def victim_conversation(
    *, case_id: int, victim_id: int
) -> tuple[Conversation | None, list[Message]]:
    """Return the victim's own conversation on the case and its messages, oldest
    first: never another victim's, even on the same case. One query when there are
    messages (the conversation comes with them), two when there are none."""
    messages = list(
        Message.objects.filter(
            conversation__case_id=case_id, conversation__victim_id=victim_id
        )
        .select_related("conversation")
        .order_by("sent_at", "id")
    )
    if messages:
        return messages[0].conversation, messages
    conversation = Conversation.objects.filter(
        case_id=case_id, victim_id=victim_id
    ).first()
    return conversation, []


def case_conversations(*, case_id: int) -> list[Conversation]:
    """Every conversation on the case with its victim and messages, for staff."""
    return list(
        Conversation.objects.filter(case_id=case_id)
        .select_related("victim", "paused_by")
        .prefetch_related("messages__answered_by")
        .order_by("victim__full_name", "id")
    )


def waiting_messages(*, user: User, force_wide: bool) -> QuerySet[Message]:
    """Victims' messages still waiting for a reply on the officer's cases (or the
    force's, for a supervisor), oldest first. They follow the case: a new officer in
    charge finds them here."""
    if user.force_id is None:
        return Message.objects.none()
    waiting = Message.objects.filter(
        force_id=user.force_id,
        author_kind=AuthorKind.VICTIM,
        answered_at__isnull=True,
    )
    if not force_wide:
        waiting = waiting.filter(case__officer_in_charge=user)
    return waiting.order_by("sent_at", "id")


def officer_inbox(
    *, user: User, force_wide: bool, limit: int = INBOX_LENGTH
) -> list[Message]:
    return list(
        waiting_messages(user=user, force_wide=force_wide)
        .select_related("case__officer_in_charge", "conversation__victim")
        .defer("text")[:limit]
    )


@dataclass(frozen=True)
class WaitingCounts:
    waiting: int
    unread: int
    overdue: int


def waiting_counts(*, user: User, force_wide: bool) -> WaitingCounts:
    now = timezone.now()
    counts = waiting_messages(user=user, force_wide=force_wide).aggregate(
        waiting=Count("id"),
        unread=Count("id", filter=Q(read_by_staff_at__isnull=True)),
        overdue=Count("id", filter=Q(reply_due_at__lt=now)),
    )
    return WaitingCounts(**counts)


@dataclass
class ReplyReport:
    overall: ComplianceRow
    by_officer: list[ComplianceRow] = field(default_factory=list)
    by_month: list[ComplianceRow] = field(default_factory=list)
    by_officer_month: list[ComplianceRow] = field(default_factory=list)
    overdue: list[Message] = field(default_factory=list)


def _officer_label(row: dict, prefix: str) -> str:
    name = " ".join(
        filter(None, [row[f"{prefix}__first_name"], row[f"{prefix}__last_name"]])
    )
    name = name or row[f"{prefix}__username"] or ""
    rank = row[f"{prefix}__rank"]
    if not name:
        return gettext("No officer in charge")
    return f"{rank} {name}".strip() if rank else name


def reply_compliance(
    *, force_id: int, days: int, overdue_limit: int = 20
) -> ReplyReport:
    """Return how often victims' messages of the last `days` were answered within
    the promised reply time, overall, by month and by officer and month. A message
    answered (a reply, or marked as needing no reply) counts for whoever answered
    it; one still waiting counts for the officer now in charge. A fixed number of
    queries."""
    now = timezone.now()
    since = now - datetime.timedelta(days=days)
    messages = Message.objects.filter(
        force_id=force_id, author_kind=AuthorKind.VICTIM, sent_at__gte=since
    )
    names = ("first_name", "last_name", "rank", "username")
    answered, waiting = Q(answered_at__isnull=False), Q(answered_at__isnull=True)
    # One grouped query: a row per month, answerer and officer now in charge.
    rows = (
        messages.annotate(month=TruncMonth("sent_at", tzinfo=LONDON))
        .values(
            "month",
            "answered_by_id",
            *(f"answered_by__{n}" for n in names),
            "case__officer_in_charge_id",
            *(f"case__officer_in_charge__{n}" for n in names),
        )
        .annotate(
            on_time=Count(
                "id", filter=answered & Q(answered_at__lte=F("reply_due_at"))
            ),
            answered_late=Count(
                "id", filter=answered & Q(answered_at__gt=F("reply_due_at"))
            ),
            waiting_late=Count("id", filter=waiting & Q(reply_due_at__lt=now)),
            pending=Count("id", filter=waiting & Q(reply_due_at__gte=now)),
        )
        .order_by()
    )
    overall = ComplianceRow(gettext("All"))
    by_officer: dict[object, ComplianceRow] = {}
    by_month: dict[datetime.date, ComplianceRow] = {}
    by_officer_month: dict[tuple, ComplianceRow] = {}
    for row in rows:
        month = row["month"]
        if isinstance(month, datetime.datetime):
            month = month_of(month)
        for prefix, on_time, late, pending in (
            ("answered_by", row["on_time"], row["answered_late"], 0),
            (
                "case__officer_in_charge",
                0,
                row["waiting_late"],
                row["pending"],
            ),
        ):
            if not (on_time or late or pending):
                continue
            officer_id = row[f"{prefix}_id"]
            label = _officer_label(row, prefix)
            for target in (
                overall,
                by_officer.setdefault(officer_id, ComplianceRow(label, key=officer_id)),
                by_month.setdefault(month, ComplianceRow(date_label(month), key=month)),
                by_officer_month.setdefault(
                    (officer_id, month),
                    ComplianceRow(f"{label}, {date_label(month)}", key=(label, month)),
                ),
            ):
                target.on_time += on_time
                target.late += late
                target.pending += pending
    overdue = list(
        Message.objects.filter(
            force_id=force_id,
            author_kind=AuthorKind.VICTIM,
            answered_at__isnull=True,
            reply_due_at__lt=now,
        )
        .select_related("case__officer_in_charge")
        .defer("text")
        .order_by("reply_due_at", "id")[:overdue_limit]
    )
    return ReplyReport(
        overall=overall,
        by_officer=sorted(by_officer.values(), key=lambda r: r.label),
        by_month=sorted(by_month.values(), key=lambda r: r.key),  # type: ignore[arg-type, return-value]
        by_officer_month=sorted(
            by_officer_month.values(),
            key=lambda r: (r.key[0], r.key[1]),  # type: ignore[index]
        ),
        overdue=overdue,
    )
