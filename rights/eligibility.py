"""Who may make which request, and until when: one function per kind, each
returning why not (a key of rights.constants.REFUSALS), or None if they may. The
pages use the same answers to explain."""

import calendar
import datetime
from dataclasses import dataclass

from django.utils import timezone

from cases.constants import EntryKind, Stage
from cases.models import Case, TimelineEntry
from cases.working_days import LONDON
from rights.constants import (
    REVIEW_MONTHS_FROM_INCIDENT_SUMMARY_ONLY,
    REVIEW_MONTHS_FROM_TOLD,
)
from victims.models import Victim

# Right 7: a personal statement can be made, or added to, from charge until sentence.
PERSONAL_STATEMENT_STAGES = frozenset(
    {Stage.CHARGED, Stage.AWAITING_COURT, Stage.AT_COURT}
)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Return the same day `months` later, or that month's last day (31 August
    plus 3 months is 30 November)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


@dataclass(frozen=True)
class ReviewWindow:
    """The decision a review would look at: who made it, when the victims were told
    of it, and the last moment to ask."""

    decided_by_id: int | None
    told_at: datetime.datetime
    ask_by: datetime.datetime
    limited_by_incident: bool


def _closing_entry(case: Case) -> TimelineEntry | None:
    """The entry that recorded the decision to close, not corrected since."""
    return (
        case.timeline.filter(
            kind=EntryKind.STAGE_CHANGE,
            stage=Stage.CLOSED,
            corrected_at__isnull=True,
        )
        .select_related("code_clock")
        .order_by("-occurred_at", "-id")
        .first()
    )


def review_window(case: Case) -> ReviewWindow | None:
    """Return the Right to Review window of a case closed with no further action
    after an interview under caution; None if the scheme does not apply.

    It runs 3 months from when the victims were told of the decision (the Right 6
    clock of the closing entry; when it was recorded, until they are told), and
    for a summary-only offence ends 6 months after the incident if that is sooner.
    """
    if not case.right_to_review_applies:
        return None
    entry = _closing_entry(case)
    clock = getattr(entry, "code_clock", None) if entry else None
    told_at = (
        (clock.told_at if clock and clock.told_at else None)
        or (entry.recorded_at if entry else None)
        or case.closed_at
        or timezone.now()
    )
    last_day = add_months(told_at.astimezone(LONDON).date(), REVIEW_MONTHS_FROM_TOLD)
    limited = False
    if case.summary_only:
        incident = case.incident_on or case.reported_on
        incident_limit = add_months(incident, REVIEW_MONTHS_FROM_INCIDENT_SUMMARY_ONLY)
        if incident_limit < last_day:
            last_day, limited = incident_limit, True
    return ReviewWindow(
        decided_by_id=entry.recorded_by_id if entry else None,
        told_at=told_at,
        ask_by=datetime.datetime.combine(
            last_day, datetime.time(23, 59, 59), tzinfo=LONDON
        ),
        limited_by_incident=limited,
    )


def review_refusal(*, case: Case, now: datetime.datetime) -> str | None:
    window = review_window(case)
    if window is None:
        return "not_eligible"
    if now > window.ask_by:
        return "window_closed"
    return None


def review_decision_makers(case: Case) -> set[int]:
    """Return the staff a review of the case's closing decision may not be given
    to: whoever recorded the decision, and the officer in charge of the case."""
    window = review_window(case)
    people = {case.officer_in_charge_id}
    if window is not None:
        people.add(window.decided_by_id)
    return {person for person in people if person is not None}


def personal_statement_refusal(*, case: Case, now: datetime.datetime) -> str | None:
    """From charge until sentence (an outcome, or the case closed, ends it)."""
    if case.stage in PERSONAL_STATEMENT_STAGES:
        return None
    if case.stage in (Stage.OUTCOME, Stage.CLOSED):
        return "sentenced"
    return "not_yet_charged"


def support_referral_refusal(*, case: Case, now: datetime.datetime) -> str | None:
    """At any stage: support is owed whether or not anyone is charged."""
    return None


def victim_refusal(*, kind: str, victim: Victim) -> str | None:
    """Return why this victim cannot ask for `kind`, whatever the case: a service
    they are referred to must contact them, so a victim who told us no way of
    contacting them is safe cannot be referred online (DOMAIN.md, safe contact)."""
    if kind == "support_referral" and not victim.safe_channels:
        return "no_safe_contact"
    return None


def complaint_refusal(*, case: Case, now: datetime.datetime) -> str | None:
    """Anyone on a case may complain about how it was handled, at any stage."""
    return None


REFUSAL_CHECKS = {
    "review": review_refusal,
    "personal_statement": personal_statement_refusal,
    "support_referral": support_referral_refusal,
    "complaint": complaint_refusal,
}


def request_refusal(*, kind: str, case: Case, now: datetime.datetime) -> str | None:
    """Return why a victim on `case` cannot make a request of `kind` now."""
    return REFUSAL_CHECKS[kind](case=case, now=now)
