"""Reads that span relations: cases for the back office and the API.

Every look-up is within one force: another force's cases do not exist here."""

import datetime
import re
from dataclasses import dataclass
from typing import TypedDict

import phonenumbers
from django.db.models import F, Prefetch, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User
from cases.compliance import DueDeadline, deadlines_due
from cases.constants import Stage
from cases.models import Case, Force, TimelineEntry, normalise_crime_reference
from notifications.models import Notification
from victims.models import CaseVictim, Victim

_MAX_REFERENCE_LENGTH: int = Case._meta.get_field("crime_reference").max_length or 40


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


# Counts on "My work" stop here: beyond it, the figure says "more than".
WORK_COUNT_CAP = 1000
WORK_LIST_LENGTH = 20


@dataclass(frozen=True)
class WorkCount:
    count: int
    capped: bool


@dataclass(frozen=True)
class MyWork:
    force_wide: bool
    open_cases: list[Case]
    open_count: WorkCount
    overdue: list[Case]
    overdue_count: WorkCount
    code_deadlines: list[DueDeadline]


def _capped_count(cases: QuerySet[Case]) -> WorkCount:
    count = cases.order_by()[: WORK_COUNT_CAP + 1].count()
    return WorkCount(min(count, WORK_COUNT_CAP), count > WORK_COUNT_CAP)


def my_work(*, user: User, force_wide: bool) -> MyWork:
    """Return what an officer has to do, soonest due first: their open cases, those
    overdue for the victims' agreed update, and the Code deadlines coming up.
    `force_wide` (a supervisor) shows the same for the whole force."""
    now = timezone.now()
    if user.force_id is None:
        raise ValueError("Staff without a force have no cases to work on.")
    cases = Case.objects.filter(force_id=user.force_id).exclude(stage=Stage.CLOSED)
    if not force_wide:
        cases = cases.filter(officer_in_charge=user)
    soonest = cases.select_related("officer_in_charge").order_by(
        F("next_update_due").asc(nulls_last=True), "id"
    )
    overdue = soonest.filter(next_update_due__lt=now)
    return MyWork(
        force_wide=force_wide,
        open_cases=list(soonest[:WORK_LIST_LENGTH]),
        open_count=_capped_count(cases),
        overdue=list(overdue[:WORK_LIST_LENGTH]),
        overdue_count=_capped_count(cases.filter(next_update_due__lt=now)),
        code_deadlines=deadlines_due(
            force_id=user.force_id,
            now=now,
            officer_id=None if force_wide else user.pk,
            limit=WORK_LIST_LENGTH,
        ),
    )


def _phone_number(term: str) -> str | None:
    """Return `term` as an international mobile number, if it is a UK-style one."""
    if not re.fullmatch(r"[+\d][\d\s()-]{6,}", term):
        return None
    try:
        number = phonenumbers.parse(term, "GB")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _reference_letters(force: Force | None) -> set[str]:
    """The letters a force's crime references start with, e.g. {"NS"}."""
    if force is None:
        return set()
    example = normalise_crime_reference(force.crime_reference_example)
    found = re.match(r"[A-Z]*", example)
    letters = {found.group() if found else "", force.code.upper()}
    return {prefix for prefix in letters if prefix.isalpha()}


def cases_matching(*, cases: QuerySet[Case], force: Force | None, term: str):
    """Return the cases a back-office search for `term` finds, each kind of term by
    its own index: an email address finds its victims' cases; a mobile number too;
    a term with digits finds crime references starting with it, with or without
    the force's letters ("10001" finds NS/10001/26); anything else, victims' names.
    """
    if "@" in term:
        victims = Victim.objects.alias(email_lower=Lower("email")).filter(
            email_lower=term.lower()
        )
        return cases.filter(
            pk__in=CaseVictim.objects.filter(victim__in=victims).values("case_id")
        )
    if any(character.isdigit() for character in term):
        reference = normalise_crime_reference(term)
        found = Q(crime_reference_normalised__startswith=reference)
        for letters in _reference_letters(force):
            if not reference.startswith(letters):
                found |= Q(crime_reference_normalised__startswith=letters + reference)
        if mobile := _phone_number(term):
            found |= Q(
                pk__in=CaseVictim.objects.filter(victim__mobile=mobile).values(
                    "case_id"
                )
            )
        return cases.filter(found)
    named = CaseVictim.objects.filter(victim__full_name__icontains=term)
    return cases.filter(pk__in=named.values("case_id"))
