"""Victims' Code compliance: when victims were really told, and the figures for it.

1. A Code deadline is a CodeClock row, written with the timeline entry it is about
   (cases.services.case_change_stage). It runs from when the event happened.
2. A victim is told of an entry when a message about it reached them on a channel
   they said is safe (sent, or delivered), or when a portal page showing the entry
   was opened by them, whichever came first. A failed or held message tells nobody;
   a resend that goes out does. A victim who asked for no contact gets no messages,
   so the portal alone tells them.
3. An event is told when every victim on the case has been told; `told_at` is the
   last of those moments. A case with no victim on it cannot be told, so it counts
   late once its deadline passes.
4. `code_clocks_settle` works `told_at` out again for clocks not yet told and for
   those told recently (a delivery receipt may still turn "sent" into "failed"), from
   the outbox and the audit trail. Celery beat runs it every minute; the figures read
   only the stored result, so a page never scans messages or the audit trail.
5. A told event's figure no longer changes with the clock, so told events are
   counted once per month (CodeComplianceMonth), again whenever a clock of that month
   is told, untold or withdrawn, in the same transaction. The page reads those rows
   for the period's whole months and counts live only the events not yet told and
   those of the period's first, partial month: a few thousand rows at most, however
   many cases a force has.
6. Figures (DOMAIN.md): an event counts once; on time if told by its deadline; late
   if told after it, or not told and the deadline has passed; otherwise not yet due.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from audit.constants import ActorKind, AuditAction, ObjectType
from audit.models import AuditEvent
from cases.constants import CodeClockKind, Stage
from cases.models import Case, CodeClock, CodeComplianceMonth, Force
from cases.working_days import LONDON, add_working_days, working_days_between
from notifications.constants import NotificationStatus
from notifications.models import Notification
from victims.models import CaseVictim

TOLD_STATUSES = (NotificationStatus.SENT, NotificationStatus.DELIVERED)
DUE_SOON_WORKING_DAYS = 5
LIST_LIMIT = 50
# Open and overdue cases on the compliance page are counted up to here; beyond it,
# the page says "more than" (an exact count of a million cases costs 100 ms or more).
CASE_COUNT_CAP = 10_000


# ---------------------------------------------------------------------------------
# Months


def month_of(moment: datetime.datetime) -> datetime.date:
    """Return the first day of the UK month `moment` falls in."""
    return moment.astimezone(LONDON).date().replace(day=1)


def _next_month(month: datetime.date) -> datetime.date:
    return (month + datetime.timedelta(days=32)).replace(day=1)


def _month_start(month: datetime.date) -> datetime.datetime:
    return datetime.datetime(month.year, month.month, 1, tzinfo=LONDON)


def code_compliance_months_recount(*, months: set[tuple[int, datetime.date]]) -> None:
    """Count again the told events of each (force id, month), from the clocks."""
    with transaction.atomic():
        for force_id in sorted({force_id for force_id, _month in months}):
            # One recount of a force at a time: two would both delete, then insert.
            Force.objects.select_for_update().filter(pk=force_id).exists()
        for force_id, month in sorted(months):
            CodeComplianceMonth.objects.filter(force_id=force_id, month=month).delete()
            counts = (
                CodeClock.objects.filter(
                    force_id=force_id,
                    occurred_at__gte=_month_start(month),
                    occurred_at__lt=_month_start(_next_month(month)),
                    withdrawn_at__isnull=True,
                    told_at__isnull=False,
                )
                .values("kind", "stage", "officer_id")
                .annotate(
                    on_time=Count("id", filter=Q(told_at__lte=F("deadline"))),
                    late=Count("id", filter=Q(told_at__gt=F("deadline"))),
                )
                .order_by()
            )
            CodeComplianceMonth.objects.bulk_create(
                CodeComplianceMonth(force_id=force_id, month=month, **row)
                for row in counts
            )


def code_compliance_months_rebuild(*, force_id: int) -> None:
    """Count again every month of a force's told events (after a bulk load)."""
    months = (
        CodeClock.objects.filter(
            force_id=force_id, told_at__isnull=False, withdrawn_at__isnull=True
        )
        .annotate(month=TruncMonth("occurred_at", tzinfo=LONDON))
        .values_list("month", flat=True)
        .distinct()
        .order_by()
    )
    code_compliance_months_recount(
        months={(force_id, month_of(month)) for month in months}
    )


# ---------------------------------------------------------------------------------
# When victims were told


def _told_at(
    clocks: list[CodeClock],
) -> dict[int, datetime.datetime | None]:
    """Return, for each clock, when the last of its case's victims was told."""
    case_ids = {clock.case_id for clock in clocks}
    victims: dict[int, list[int]] = defaultdict(list)
    for case_id, victim_id in CaseVictim.objects.filter(
        case_id__in=case_ids
    ).values_list("case_id", "victim_id"):
        victims[case_id].append(victim_id)

    messaged: dict[tuple[int, int], datetime.datetime] = {}
    # A change told in another message (MERGED) was told when that one was sent.
    for entry_id, victim_id, sent_at in (
        Notification.objects.filter(
            entry_id__in=[clock.entry_id for clock in clocks if clock.entry_id],
        )
        .filter(
            Q(status__in=TOLD_STATUSES)
            | Q(
                status=NotificationStatus.MERGED,
                merged_into__status__in=TOLD_STATUSES,
            )
        )
        .annotate(told_at=Coalesce("sent_at", "merged_into__sent_at"))
        .filter(told_at__isnull=False)
        .values_list("entry_id", "victim_id", "told_at")
    ):
        if entry_id is None or victim_id is None or sent_at is None:
            continue  # a sign-in code, or a row not yet sent
        key = (entry_id, victim_id)
        messaged[key] = min(sent_at, messaged.get(key, sent_at))

    earliest = min(clock.recorded_at for clock in clocks)
    views: dict[tuple[int, str], list[datetime.datetime]] = defaultdict(list)
    for case_id, actor_id, seen_at in AuditEvent.objects.filter(
        case_id__in=case_ids,
        actor_kind=ActorKind.VICTIM,
        action=AuditAction.VIEW,
        object_type=ObjectType.CASE,
        occurred_at__gte=earliest,
    ).values_list("case_id", "actor_id", "occurred_at"):
        views[(case_id, actor_id)].append(seen_at)

    told: dict[int, datetime.datetime | None] = {}
    for clock in clocks:
        moments = []
        for victim_id in victims.get(clock.case_id, []):
            candidates = [
                seen
                for seen in views.get((clock.case_id, str(victim_id)), [])
                if seen >= clock.recorded_at
            ]
            if clock.entry_id and (sent := messaged.get((clock.entry_id, victim_id))):
                candidates.append(sent)
            moments.append(min(candidates) if candidates else None)
        told[clock.pk] = (
            max(moments) if moments and None not in moments else None  # type: ignore[type-var]
        )
    return told


def code_clocks_settle(
    *, force_id: int | None = None, batch_size: int | None = None
) -> int:
    """Work out again when victims were told, for clocks not yet told and clocks
    told within the receipt window; return how many changed."""
    now = timezone.now()
    batch_size = batch_size or settings.CODE_CLOCKS_SETTLE_BATCH
    window = datetime.timedelta(seconds=settings.CODE_CLOCKS_RECEIPT_WINDOW_SECONDS)
    clocks = CodeClock.objects.filter(
        Q(told_at__isnull=True) | Q(told_at__gte=now - window),
        # Other rights' clocks are met when staff record the step (rights.services).
        kind=CodeClockKind.RIGHT_6_EVENT,
        withdrawn_at__isnull=True,
        occurred_at__gte=now - datetime.timedelta(days=400),
    )
    if force_id is not None:
        clocks = clocks.filter(force_id=force_id)
    changed = 0
    last_id = 0
    while True:
        batch = list(
            clocks.filter(pk__gt=last_id)
            .order_by("pk")
            .only(
                "pk",
                "force_id",
                "case_id",
                "entry_id",
                "occurred_at",
                "recorded_at",
                "told_at",
            )[:batch_size]
        )
        if not batch:
            return changed
        last_id = batch[-1].pk
        told = _told_at(batch)
        stale = [clock for clock in batch if clock.told_at != told[clock.pk]]
        for clock in stale:
            clock.told_at = told[clock.pk]
        with transaction.atomic():
            CodeClock.objects.bulk_update(stale, ["told_at"])
            code_compliance_months_recount(
                months={
                    (clock.force_id, month_of(clock.occurred_at)) for clock in stale
                }
            )
        changed += len(stale)


# ---------------------------------------------------------------------------------
# Figures


@dataclass
class ComplianceRow:
    label: str
    on_time: int = 0
    late: int = 0
    pending: int = 0
    key: object = None

    @property
    def events(self) -> int:
        """Events whose deadline has passed or that were told: those counted."""
        return self.on_time + self.late

    @property
    def on_time_percent(self) -> int | None:
        return round(100 * self.on_time / self.events) if self.events else None


@dataclass(frozen=True)
class LateEvent:
    clock_id: int
    case_id: int
    crime_reference: str
    what: str
    officer: str
    occurred_at: datetime.datetime
    deadline: datetime.datetime
    told_at: datetime.datetime | None
    working_days_late: int


@dataclass(frozen=True)
class DueDeadline:
    case_id: int
    crime_reference: str
    what: str
    officer: str
    deadline: datetime.datetime


@dataclass
class KindDetail:
    """One deadline's figures month by month and by officer (for a request, the
    member of staff it is assigned to, else the officer in charge)."""

    label: str
    key: str
    by_month: list[ComplianceRow]
    by_officer: list[ComplianceRow]


@dataclass
class ComplianceReport:
    since: datetime.datetime
    now: datetime.datetime
    overall: ComplianceRow
    by_kind: list[ComplianceRow]
    by_stage: list[ComplianceRow]
    by_officer: list[ComplianceRow]
    by_month: list[ComplianceRow]
    late: list[LateEvent] = field(default_factory=list)
    due_soon: list[DueDeadline] = field(default_factory=list)
    by_kind_detail: list[KindDetail] = field(default_factory=list)
    open_cases: int = 0
    overdue_updates: int = 0
    open_cases_capped: bool = False
    overdue_updates_capped: bool = False


def _officer_label(first: str | None, last: str | None, rank: str | None, user: str):
    name = " ".join(filter(None, [first, last])) or user
    if not name:
        return _no_officer()
    return f"{rank} {name}".strip() if rank else name


def _no_officer() -> str:
    return gettext("No officer in charge")


def _period_clocks(*, force_id: int, since: datetime.datetime, officer_id=None):
    clocks = CodeClock.objects.filter(
        force_id=force_id, occurred_at__gte=since, withdrawn_at__isnull=True
    )
    if officer_id is not None:
        clocks = clocks.filter(officer_id=officer_id)
    return clocks


def _late(now: datetime.datetime) -> Q:
    return Q(told_at__gt=F("deadline")) | Q(told_at__isnull=True, deadline__lt=now)


def code_compliance(
    *, force_id: int, days: int, officer_id: int | None = None
) -> ComplianceReport:
    """Return how often the force's victims were told within the Code's deadlines
    over the last `days`, by kind, stage, officer and month, with the late events
    and the deadlines of the next 5 working days. A fixed number of queries."""
    now = timezone.now()
    since = now - datetime.timedelta(days=days)
    overall = ComplianceRow(gettext("All"))
    by_kind: dict[str, ComplianceRow] = {}
    by_stage: dict[str, ComplianceRow] = {}
    by_officer: dict[object, ComplianceRow] = {}
    by_month: dict[datetime.date, ComplianceRow] = {}
    kind_months: dict[str, dict[datetime.date, ComplianceRow]] = defaultdict(dict)
    kind_officers: dict[str, dict[object, ComplianceRow]] = defaultdict(dict)
    for row in _period_rows(
        force_id=force_id, since=since, now=now, officer_id=officer_id
    ):
        officer = _officer_label(
            row["officer__first_name"],
            row["officer__last_name"],
            row["officer__rank"],
            row["officer__username"] or "",
        )
        month = row["month"]
        kind = row["kind"]
        targets = [
            overall,
            by_kind.setdefault(kind, ComplianceRow(_kind_label(kind), key=kind)),
            by_officer.setdefault(
                row["officer_id"], ComplianceRow(officer, key=row["officer_id"])
            ),
            by_month.setdefault(month, ComplianceRow(date_label(month), key=month)),
            kind_months[kind].setdefault(
                month, ComplianceRow(date_label(month), key=month)
            ),
            kind_officers[kind].setdefault(
                row["officer_id"], ComplianceRow(officer, key=row["officer_id"])
            ),
        ]
        if row["stage"]:  # a Right 6 event; other rights' clocks have no stage
            targets.append(
                by_stage.setdefault(
                    row["stage"],
                    ComplianceRow(_stage_label(row["stage"]), key=row["stage"]),
                )
            )
        for target in targets:
            target.on_time += row["on_time"]
            target.late += row["late"]
            target.pending += row.get("pending", 0)

    stage_order = {stage.value: index for index, stage in enumerate(Stage)}
    return ComplianceReport(
        since=since,
        now=now,
        overall=overall,
        by_kind=list(by_kind.values()),
        by_stage=sorted(
            by_stage.values(), key=lambda r: stage_order.get(str(r.key), 99)
        ),
        by_officer=sorted(by_officer.values(), key=lambda r: r.label),
        by_month=_every_month(by_month, since=since, now=now),
        late=late_events(
            force_id=force_id, since=since, now=now, officer_id=officer_id
        ),
        due_soon=deadlines_due(force_id=force_id, now=now, officer_id=officer_id),
        by_kind_detail=[
            KindDetail(
                label=_kind_label(kind),
                key=kind,
                by_month=_every_month(kind_months[kind], since=since, now=now),
                by_officer=sorted(kind_officers[kind].values(), key=lambda r: r.label),
            )
            for kind in CodeClockKind.values
            if kind in kind_months
        ],
        **_update_counts(force_id=force_id, now=now, officer_id=officer_id),
    )


def code_on_time_by_month(*, force_id: int, days: int) -> list[ComplianceRow]:
    """Return the force's Code events told on time, month by month over the last
    `days`: the month-by-month figures of the compliance page, on their own."""
    now = timezone.now()
    since = now - datetime.timedelta(days=days)
    by_month: dict[datetime.date, ComplianceRow] = {}
    for row in _period_rows(force_id=force_id, since=since, now=now):
        month = row["month"]
        target = by_month.setdefault(month, ComplianceRow(date_label(month), key=month))
        target.on_time += row["on_time"]
        target.late += row["late"]
        target.pending += row.get("pending", 0)
    return _every_month(by_month, since=since, now=now)


def _period_rows(
    *,
    force_id: int,
    since: datetime.datetime,
    now: datetime.datetime,
    officer_id: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield the period's counts by month, kind, stage and officer: the told events
    of its whole months as counted already, the rest counted live. Two queries."""
    first_whole = month_of(since)
    if _month_start(first_whole) < since:
        first_whole = _next_month(first_whole)
    officer_names = (
        "officer_id",
        "officer__first_name",
        "officer__last_name",
        "officer__rank",
        "officer__username",
    )
    # Told events of the period's whole months, counted already.
    summary: QuerySet = CodeComplianceMonth.objects.filter(
        force_id=force_id, month__gte=first_whole
    )
    if officer_id is not None:
        summary = summary.filter(officer_id=officer_id)
    counted = summary.values(
        "month", "kind", "stage", "on_time", "late", *officer_names
    )
    # Events not yet told, and every event of the first, partial month: live.
    live = (
        _period_clocks(force_id=force_id, since=since, officer_id=officer_id)
        .filter(Q(told_at__isnull=True) | Q(occurred_at__lt=_month_start(first_whole)))
        .annotate(month=TruncMonth("occurred_at", tzinfo=LONDON))
        .values("month", "kind", "stage", *officer_names)
        .annotate(
            on_time=Count("id", filter=Q(told_at__lte=F("deadline"))),
            late=Count("id", filter=_late(now)),
            pending=Count("id", filter=Q(told_at__isnull=True, deadline__gte=now)),
        )
        .order_by()
    )
    for row in chain(counted, live):
        month = row["month"]
        if isinstance(month, datetime.datetime):
            row["month"] = month_of(month)
        yield row


def _every_month(
    rows: dict[datetime.date, ComplianceRow],
    *,
    since: datetime.datetime,
    now: datetime.datetime,
) -> list[ComplianceRow]:
    """Every month of the period, oldest first, including those with no events."""
    month = since.astimezone(LONDON).date().replace(day=1)
    last = now.astimezone(LONDON).date().replace(day=1)
    months = []
    while month <= last:
        months.append(rows.get(month, ComplianceRow(date_label(month), key=month)))
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def date_label(month: datetime.date) -> str:
    return date_format(month, "F Y")


def _kind_label(kind: str) -> str:
    return str(CodeClockKind(kind).label) if kind in CodeClockKind.values else kind


def _stage_label(stage: str) -> str:
    return str(Stage(stage).label) if stage in Stage.values else stage


def _what(clock: CodeClock) -> str:
    return _stage_label(clock.stage) if clock.stage else _kind_label(clock.kind)


def _officer_of(user) -> str:
    return user.display_name if user is not None else _no_officer()


def late_events(
    *,
    force_id: int,
    since: datetime.datetime,
    now: datetime.datetime,
    officer_id: int | None = None,
    limit: int | None = LIST_LIMIT,
) -> list[LateEvent]:
    """Return the period's late events, the longest overdue deadline first."""
    clocks = (
        _period_clocks(force_id=force_id, since=since, officer_id=officer_id)
        .filter(_late(now))
        .select_related("case", "officer")
        .order_by("deadline", "id")
    )
    if limit is not None:
        clocks = clocks[:limit]
    return [
        LateEvent(
            clock_id=clock.pk,
            case_id=clock.case_id,
            crime_reference=clock.case.crime_reference,
            what=_what(clock),
            officer=_officer_of(clock.officer),
            occurred_at=clock.occurred_at,
            deadline=clock.deadline,
            told_at=clock.told_at,
            working_days_late=working_days_between(
                clock.deadline, clock.told_at or now
            ),
        )
        for clock in clocks
    ]


def deadlines_due(
    *,
    force_id: int,
    now: datetime.datetime,
    officer_id: int | None = None,
    working_days: int = DUE_SOON_WORKING_DAYS,
    limit: int = LIST_LIMIT,
) -> list[DueDeadline]:
    """Return the deadlines of the next `working_days` not yet met, soonest first:
    Code events not yet told, and agreed updates."""
    until = add_working_days(now, working_days)
    clocks = CodeClock.objects.filter(
        force_id=force_id,
        told_at__isnull=True,
        withdrawn_at__isnull=True,
        deadline__gte=now,
        deadline__lte=until,
    )
    cases = Case.objects.filter(
        force_id=force_id, next_update_due__gte=now, next_update_due__lte=until
    ).exclude(stage=Stage.CLOSED)
    if officer_id is not None:
        clocks = clocks.filter(officer_id=officer_id)
        cases = cases.filter(officer_in_charge_id=officer_id)
    due = [
        DueDeadline(
            case_id=clock.case_id,
            crime_reference=clock.case.crime_reference,
            what=gettext("Tell the victims: %(what)s") % {"what": _what(clock)}
            if clock.kind == CodeClockKind.RIGHT_6_EVENT
            else _what(clock),
            officer=_officer_of(clock.officer),
            deadline=clock.deadline,
        )
        for clock in clocks.select_related("case", "officer").order_by(
            "deadline", "id"
        )[:limit]
    ] + [
        DueDeadline(
            case_id=case.pk,
            crime_reference=case.crime_reference,
            what=gettext("Agreed update to the victims"),
            officer=_officer_of(case.officer_in_charge),
            deadline=case.next_update_due,
        )
        for case in cases.select_related("officer_in_charge").order_by(
            "next_update_due", "id"
        )[:limit]
        if case.next_update_due is not None
    ]
    return sorted(due, key=lambda item: item.deadline)[:limit]


def _update_counts(
    *, force_id: int, now: datetime.datetime, officer_id: int | None
) -> dict[str, Any]:
    cases = Case.objects.filter(force_id=force_id).exclude(stage=Stage.CLOSED)
    if officer_id is not None:
        cases = cases.filter(officer_in_charge_id=officer_id)
    open_cases = _capped_count(cases)
    overdue = _capped_count(cases.filter(next_update_due__lt=now))
    return {
        "open_cases": min(open_cases, CASE_COUNT_CAP),
        "open_cases_capped": open_cases > CASE_COUNT_CAP,
        "overdue_updates": min(overdue, CASE_COUNT_CAP),
        "overdue_updates_capped": overdue > CASE_COUNT_CAP,
    }


def _capped_count(cases: QuerySet[Case]) -> int:
    return cases.order_by()[: CASE_COUNT_CAP + 1].count()


def compliance_rows_for_export(
    *, force_id: int, days: int
) -> Iterator[tuple[str, ...]]:
    """Yield one row per Code event of the period, for a spreadsheet."""
    now = timezone.now()
    since = now - datetime.timedelta(days=days)
    clocks = (
        _period_clocks(force_id=force_id, since=since)
        .select_related("case", "officer")
        .order_by("occurred_at", "id")
    )
    for clock in clocks.iterator(chunk_size=2000):
        if clock.told_at is not None and clock.told_at <= clock.deadline:
            status = "on_time"
        elif clock.told_at is not None or clock.deadline < now:
            status = "late"
        else:
            status = "not_yet_due"
        yield (
            clock.case.crime_reference,
            clock.kind,
            clock.stage,
            _officer_of(clock.officer),
            clock.occurred_at.isoformat(),
            clock.recorded_at.isoformat(),
            clock.deadline.isoformat(),
            clock.told_at.isoformat() if clock.told_at else "",
            status,
            str(
                working_days_between(clock.deadline, clock.told_at or now)
                if status == "late"
                else 0
            ),
        )
