"""Reads that span relations: cases for the back office and the API.

Every look-up is within one force: another force's cases do not exist here."""

import datetime
from typing import TypedDict

from django.db.models import Prefetch, QuerySet

from cases.models import Case, Force, TimelineEntry, normalise_crime_reference
from notifications.models import Notification
from victims.models import Victim

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
