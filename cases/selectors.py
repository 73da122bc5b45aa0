"""Reads that span relations: figures for supervisors, and cases for the API.

Every look-up is within one force: another force's cases do not exist here."""

import datetime
from dataclasses import dataclass
from typing import TypedDict

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from cases.constants import Stage
from cases.models import Case, Force, TimelineEntry, normalise_crime_reference
from notifications.models import Notification
from victims.models import Victim


@dataclass(frozen=True)
class ComplianceRow:
    label: str
    events: int
    on_time: int

    @property
    def late(self) -> int:
        return self.events - self.on_time

    @property
    def on_time_percent(self) -> int | None:
        return round(100 * self.on_time / self.events) if self.events else None


@dataclass(frozen=True)
class ComplianceReport:
    since: datetime.datetime
    overall: ComplianceRow
    by_stage: list[ComplianceRow]
    by_officer: list[ComplianceRow]
    open_cases: int
    overdue_updates: int


def code_compliance(*, force_id: int, days: int) -> ComplianceReport:
    """Return how often victims were told of Right 6 events within the Code's deadline.

    An event is the case reaching a stage the Code names (arrest, release, charge,
    outcome, closing); its victims are told when the update is recorded, which is when
    the portal shows it and messages go out. `days` is how far back to look.
    """
    since = timezone.now() - datetime.timedelta(days=days)
    events = TimelineEntry.objects.filter(
        case__force_id=force_id, code_deadline__isnull=False, occurred_at__gte=since
    )
    on_time = Count("id", filter=Q(recorded_at__lte=F("code_deadline")))
    overall = events.aggregate(events=Count("id"), on_time=on_time)
    by_stage = {
        row["stage"]: row
        for row in events.values("stage").annotate(events=Count("id"), on_time=on_time)
    }
    by_officer = (
        events.values(
            "case__officer_in_charge__first_name",
            "case__officer_in_charge__last_name",
            "case__officer_in_charge__username",
        )
        .annotate(events=Count("id"), on_time=on_time)
        .order_by("case__officer_in_charge__last_name")
    )
    open_cases = Case.objects.filter(force_id=force_id).exclude(stage=Stage.CLOSED)
    return ComplianceReport(
        since=since,
        overall=ComplianceRow("All", overall["events"], overall["on_time"]),
        by_stage=[
            ComplianceRow(stage.label, row["events"], row["on_time"])
            for stage in Stage
            if (row := by_stage.get(stage.value))
        ],
        by_officer=[
            ComplianceRow(
                " ".join(
                    filter(
                        None,
                        [
                            row["case__officer_in_charge__first_name"],
                            row["case__officer_in_charge__last_name"],
                        ],
                    )
                )
                or row["case__officer_in_charge__username"]
                or "No officer in charge",
                row["events"],
                row["on_time"],
            )
            for row in by_officer
        ],
        open_cases=open_cases.count(),
        overdue_updates=open_cases.filter(next_update_due__lt=timezone.now()).count(),
    )


_MAX_REFERENCE_LENGTH = Case._meta.get_field("crime_reference").max_length


def _reference_lookup(crime_reference: str) -> str | None:
    reference = normalise_crime_reference(crime_reference)
    if not reference or len(reference) > _MAX_REFERENCE_LENGTH or "\x00" in reference:
        return None
    return reference


def case_for_force(*, force: Force, crime_reference: str) -> Case | None:
    """Return the force's case with this reference (any spacing, dashes or case)."""
    reference = _reference_lookup(crime_reference)
    if reference is None:
        return None
    return Case.objects.filter(
        force=force, crime_reference_normalised=reference
    ).first()


def case_detail_for_force(*, force: Force, crime_reference: str) -> Case | None:
    """Return the case with its officer, victims and timeline loaded."""
    reference = _reference_lookup(crime_reference)
    if reference is None:
        return None
    return (
        Case.objects.filter(force=force, crime_reference_normalised=reference)
        .select_related("officer_in_charge")
        .prefetch_related(
            Prefetch("victims", queryset=Victim.objects.order_by("id")),
            Prefetch(
                "timeline",
                queryset=TimelineEntry.objects.order_by("-occurred_at", "-id"),
            ),
        )
        .first()
    )


def cases_changed_since(
    *, force: Force, since: datetime.datetime | None
) -> QuerySet[Case]:
    cases = Case.objects.filter(force=force)
    if since is not None:
        cases = cases.filter(updated_at__gte=since)
    return cases


class MessageSent(TypedDict):
    created_at: datetime.datetime
    sent_at: datetime.datetime | None
    channel: str
    status: str


def case_messages(*, case: Case) -> list[MessageSent]:
    """Return the messages to victims about the case (the outbox), newest first,
    whatever became of them: waiting, sent, delivered or failed."""
    return list(
        Notification.objects.filter(case=case)
        .order_by("-created_at", "-id")
        .values("created_at", "sent_at", "channel", "status")
    )
