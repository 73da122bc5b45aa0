"""Every change to a case goes through here, so that each one writes its timeline
entry and its audit record, whoever makes it: the admin, the API or a task. A change
victims can see also writes their messages (the notification outbox), in the same
transaction."""

import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from audit.constants import AuditAction, ObjectType
from audit.services import Actor, actor_of, audit_record
from cases.compliance import code_compliance_months_recount, month_of
from cases.constants import (
    CODE_DEADLINE_WORKING_DAYS,
    CODE_DEADLINE_WORKING_DAYS_ENHANCED,
    CODE_NOTIFIABLE_STAGES,
    REOPEN_STAGE,
    UPDATE_AGREEMENT_ERRORS,
    UPDATE_AGREEMENT_LIMITS,
    CodeClockKind,
    EntryKind,
    Stage,
    stage_move_error,
)
from cases.intervals import interval_label
from cases.models import (
    Case,
    CodeClock,
    Force,
    TimelineEntry,
    normalise_crime_reference,
)
from cases.working_days import LONDON, add_working_days
from feedback.services import feedback_offers_open_for_entry
from notifications.services import notifications_create_for_entry
from trackmycrime.rate_limits import rate_limits_hit
from victims.membership import case_add_victim
from victims.models import CaseVictim
from victims.services import victim_upsert

# Fields a plain edit may change; stage, outcome and closing go through
# case_change_stage so that victims hear of them.
CASE_EDITABLE_FIELDS = frozenset(
    {
        "crime_reference",
        "offence_category",
        "victim_description",
        "officer_in_charge",
        "reported_on",
        "incident_on",
        "summary_only",
        "update_interval_days",
        "closing_explanation",
    }
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _recorded_by(actor: Actor | None) -> tuple[User | None, str]:
    if isinstance(actor, User):
        return actor, actor.display_name
    return None, actor_of(actor).label


def crime_reference_error(
    *, force: Force, reference: str, case_id: int | None = None
) -> "StrOrPromise | None":
    """Return why `reference` cannot be this case's crime reference, or None."""
    format_error = force.crime_reference_error(reference)
    if format_error:
        return format_error
    duplicate = Case.objects.filter(
        force=force, crime_reference_normalised=normalise_crime_reference(reference)
    )
    if case_id is not None:
        duplicate = duplicate.exclude(pk=case_id)
    if duplicate.exists():
        return _("This force already has a case with this crime reference number.")
    return None


def _validate_case(case: Case) -> None:
    errors: dict[str, list[str]] = {}
    reference_error = crime_reference_error(
        force=case.force, reference=case.crime_reference, case_id=case.pk
    )
    if reference_error:
        errors["crime_reference"] = [str(reference_error)]
    officer = case.officer_in_charge
    if officer is not None and officer.force_id != case.force_id:
        errors["officer_in_charge"] = [_("Choose an officer from this case's force.")]
    try:
        case.full_clean(exclude=["force", "victims"])
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _next_update_due(case: Case, after: datetime.datetime) -> datetime.datetime | None:
    if case.stage == Stage.CLOSED:
        return None
    return after + datetime.timedelta(days=case.update_interval_days)


@transaction.atomic
def case_create(
    *,
    force: Force,
    crime_reference: str,
    offence_category: str,
    victim_description: str,
    actor: Actor | None,
    officer_in_charge: User | None = None,
    reported_on: datetime.date | None = None,
    update_interval_days: int = 28,
    victim_text: str = "",
    recorded_at: datetime.datetime | None = None,
) -> Case:
    """Record a new case and tell its future victims that their report is recorded.

    `recorded_at`, here and in the other timeline services, is for history loaded
    after the fact (demo data): when it was recorded, if not now."""
    now = recorded_at or timezone.now()
    case = Case(
        force=force,
        crime_reference=crime_reference.strip(),
        crime_reference_normalised=normalise_crime_reference(crime_reference),
        offence_category=offence_category,
        victim_description=victim_description,
        officer_in_charge=officer_in_charge,
        reported_on=reported_on or timezone.localdate(),
        update_interval_days=update_interval_days,
    )
    _validate_case(case)
    case.next_update_due = _next_update_due(case, now)
    case.save()
    _timeline_add(
        case=case,
        kind=EntryKind.CREATED,
        victim_text=victim_text or _("We recorded your report."),
        actor=actor,
        occurred_at=now,
        recorded_at=now,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type=ObjectType.CASE,
        object_id=case.pk,
        force_id=case.force_id,
        case_id=case.pk,
    )
    return case


@transaction.atomic
def case_update(
    *, case: Case, actor: Actor | None, changes: dict[str, Any]
) -> list[str]:
    """Change a case's details (not its stage) and return the names of what changed."""
    unknown = set(changes) - CASE_EDITABLE_FIELDS
    if unknown:
        raise ValidationError(
            {field: [_("This field cannot be changed here.")] for field in unknown}
        )
    case = Case.objects.select_for_update().select_related("force").get(pk=case.pk)
    changed = [
        field for field, value in changes.items() if getattr(case, field) != value
    ]
    if not changed:
        return []
    detail = None
    if "update_interval_days" in changed and case.update_interval_agreed_days:
        # Staff changing what the victims agreed: the trail says from what to what.
        detail = {
            "update_interval_from": case.update_interval_days,
            "update_interval_to": changes["update_interval_days"],
            "update_interval_agreed": case.update_interval_agreed_days,
        }
    for field in changed:
        setattr(case, field, changes[field])
    if "crime_reference" in changed:
        case.crime_reference = case.crime_reference.strip()
        case.crime_reference_normalised = normalise_crime_reference(
            case.crime_reference
        )
        changed.append("crime_reference_normalised")
    _validate_case(case)
    if "update_interval_days" in changed:
        case.next_update_due = _next_update_due(case, _last_victim_update(case))
        changed.append("next_update_due")
    case.save(update_fields=[*changed, "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.CHANGE,
        object_type=ObjectType.CASE,
        object_id=case.pk,
        force_id=case.force_id,
        case_id=case.pk,
        changed_fields=changed,
        detail=detail,
    )
    if detail is not None:
        # The victims agreed something else: they are told, as any update is.
        case_add_update(
            case=case,
            actor=actor,
            victim_text=_(
                "We have changed how often we will update you, to %(interval)s. "
                "You had asked for %(agreed)s. If this does not suit you, contact "
                "the officer dealing with your case."
            )
            % {
                "interval": interval_label(case.update_interval_days, in_sentence=True),
                "agreed": interval_label(
                    detail["update_interval_agreed"], in_sentence=True
                ),
            },
        )
    return changed


# What a push from a force's records system may set on a case (case_upsert).
CASE_UPSERT_FIELDS = frozenset(
    {"offence_category", "victim_description", "reported_on", "update_interval_days"}
)


@transaction.atomic
def case_upsert(
    *,
    force: Force,
    crime_reference: str,
    actor: Actor | None,
    details: dict[str, Any],
    victims: list[dict[str, Any]] | None = None,
) -> tuple[Case, bool]:
    """Create, or bring up to date, the force's case with this crime reference and
    its victims (matched on their records-system reference); return the case and
    whether it was created. Pushing the same thing twice changes nothing.

    Victims left out of a push stay on the case: taking a victim off a case stops
    their updates, so staff do that, never an omission in a push.
    """
    unknown = set(details) - CASE_UPSERT_FIELDS
    if unknown:
        raise ValidationError({field: [_("Unknown field.")] for field in unknown})
    reference_error = force.crime_reference_error(crime_reference)
    if reference_error:
        raise ValidationError({"crime_reference": [reference_error]})
    case = (
        Case.objects.select_for_update()
        .filter(
            force=force,
            crime_reference_normalised=normalise_crime_reference(crime_reference),
        )
        .first()
    )
    created = case is None
    if case is None:
        try:
            with transaction.atomic():
                case = case_create(
                    force=force, crime_reference=crime_reference, actor=actor, **details
                )
        except ValidationError:
            # Another request may have created this case since we looked: then this
            # push brings that case up to date instead, as if it had come second.
            case = (
                Case.objects.select_for_update()
                .filter(
                    force=force,
                    crime_reference_normalised=normalise_crime_reference(
                        crime_reference
                    ),
                )
                .first()
            )
            if case is None:
                raise
            created = False
    if not created:
        if case.update_interval_agreed_days is not None:
            # The victims agreed an interval online: a push does not undo it.
            details = {
                key: value
                for key, value in details.items()
                if key != "update_interval_days"
            }
        case_update(
            case=case,
            actor=actor,
            changes={"crime_reference": crime_reference.strip(), **details},
        )
    for index, fields in enumerate(victims or []):
        fields = dict(fields)
        try:
            victim, _created = victim_upsert(
                force=force,
                external_reference=fields.pop("external_reference", ""),
                actor=actor,
                fields=fields,
            )
            case_add_victim(case=case, victim=victim, actor=actor)
        except ValidationError as error:
            raise ValidationError(
                {
                    f"victims.{index}"
                    if field == NON_FIELD_ERRORS
                    else f"victims.{index}.{field}": messages
                    for field, messages in error.message_dict.items()
                }
            ) from None
    case.refresh_from_db()
    return case, created


def _last_victim_update(case: Case) -> datetime.datetime:
    latest = (
        case.timeline.filter(visible_to_victim=True)
        .order_by("-recorded_at")
        .values_list("recorded_at", flat=True)
        .first()
    )
    return latest or timezone.now()


def stage_change_errors(
    *, current: str, stage: str, outcome: str, closing_reason: str
) -> dict[str, list[str]]:
    """Return what is wrong with moving a case from `current` to `stage`, by field."""
    errors: dict[str, list[str]] = {}
    if stage not in Stage.values:
        errors["stage"] = [_("Choose a stage from the list.")]
    elif move_error := stage_move_error(current, stage):
        errors["stage"] = [str(move_error)]
    if stage == Stage.OUTCOME and not outcome:
        errors["outcome"] = [_("Say what the outcome was.")]
    if stage == Stage.CLOSED and not closing_reason:
        errors["closing_reason"] = [_("Say why the case is being closed.")]
    return errors


# A clock a few minutes fast on the sender's side is not "the future".
OCCURRED_AT_TOLERANCE = datetime.timedelta(minutes=5)


def occurred_at_errors(
    *, reported_on: datetime.date, occurred_at: datetime.datetime | None
) -> dict[str, list[str]]:
    """Return what is wrong with when something in a case is said to have happened:
    never in the future, never before the case was reported. The Code's deadline
    runs from this time, so an entry typed in late is still counted late."""
    if occurred_at is None:
        return {}
    if occurred_at > timezone.now() + OCCURRED_AT_TOLERANCE:
        return {"occurred_at": [_("This cannot be in the future.")]}
    if occurred_at.astimezone(LONDON).date() < reported_on:
        return {
            "occurred_at": [
                _("This cannot be before the case was reported, on %(date)s.")
                % {"date": date_format(reported_on, "j F Y")}
            ]
        }
    return {}


def update_errors(
    *, victim_text: str, staff_note: str, visible_to_victim: bool
) -> dict[str, list[str]]:
    """Return what is wrong with a timeline update before it is written, by field."""
    if visible_to_victim and not victim_text.strip():
        return {"victim_text": [_("Write what the victim will be told.")]}
    if not visible_to_victim and not (victim_text.strip() or staff_note.strip()):
        return {"staff_note": [_("Write what happened.")]}
    return {}


def _staff_language(force: Force | None) -> str:
    """What is written for staff is stored in the force's own language, whatever
    language the request that wrote it was in (README, Languages)."""
    return force.staff_language_code if force else settings.LANGUAGE_CODE


def stage_change_victim_text(*, stage: str, force: Force | None = None) -> str:
    """Return what victims are told of a change of stage when staff write nothing."""
    with translation.override(_staff_language(force)):
        return _("Your case has moved to a new stage: %(stage)s.") % {
            "stage": Stage(stage).label
        }


@transaction.atomic
def case_change_stage(
    *,
    case: Case,
    stage: str,
    actor: Actor | None,
    victim_text: str = "",
    staff_note: str = "",
    occurred_at: datetime.datetime | None = None,
    outcome: str = "",
    closing_reason: str = "",
    closing_explanation: str = "",
    recorded_at: datetime.datetime | None = None,
) -> TimelineEntry:
    """Move a case to a new stage, tell its victims, and set the Victims' Code
    deadline by which they must have been told."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    previous = case.stage
    errors = stage_change_errors(
        current=previous, stage=stage, outcome=outcome, closing_reason=closing_reason
    )
    if errors:
        raise ValidationError(errors)

    if errors := occurred_at_errors(
        reported_on=case.reported_on, occurred_at=occurred_at
    ):
        raise ValidationError(errors)
    now = recorded_at or timezone.now()
    occurred_at = occurred_at or now
    changed = ["stage"]
    case.stage = stage
    if stage == Stage.SUSPECT_ARRESTED and not case.suspect_interviewed:
        case.suspect_interviewed = True
        changed.append("suspect_interviewed")
    if stage == Stage.OUTCOME:
        case.outcome = outcome
        changed.append("outcome")
    if stage == Stage.CLOSED:
        case.closing_reason = closing_reason
        case.closing_explanation = closing_explanation
        case.closed_at = occurred_at
        changed += ["closing_reason", "closing_explanation", "closed_at"]
    elif previous == Stage.CLOSED and stage == REOPEN_STAGE:
        case.closing_reason = ""
        case.closed_at = None
        case.outcome = ""
        changed += ["closing_reason", "closed_at", "outcome"]
    case.next_update_due = _next_update_due(case, now)
    changed.append("next_update_due")
    case.full_clean(exclude=["force", "victims", "officer_in_charge"])
    case.save(update_fields=[*changed, "updated_at"])

    entry = _timeline_add(
        case=case,
        kind=EntryKind.STAGE_CHANGE,
        stage=stage,
        victim_text=victim_text
        or stage_change_victim_text(stage=stage, force=case.force),
        staff_note=staff_note,
        actor=actor,
        occurred_at=occurred_at,
        recorded_at=now,
        code_deadline=_code_deadline(case, occurred_at)
        if stage in CODE_NOTIFIABLE_STAGES
        else None,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CHANGE,
        object_type=ObjectType.CASE,
        object_id=case.pk,
        force_id=case.force_id,
        case_id=case.pk,
        changed_fields=changed,
        detail={"stage_from": previous, "stage_to": stage},
    )
    if entry.code_deadline is not None:
        CodeClock.objects.create(
            force_id=case.force_id,
            case=case,
            entry=entry,
            kind=CodeClockKind.RIGHT_6_EVENT,
            stage=stage,
            officer_id=case.officer_in_charge_id,
            occurred_at=entry.occurred_at,
            recorded_at=entry.recorded_at,
            deadline=entry.code_deadline,
        )
    notifications_create_for_entry(entry=entry)
    feedback_offers_open_for_entry(entry=entry)
    return entry


@transaction.atomic
def case_add_update(
    *,
    case: Case,
    actor: Actor | None,
    victim_text: str = "",
    staff_note: str = "",
    visible_to_victim: bool = True,
    occurred_at: datetime.datetime | None = None,
    recorded_at: datetime.datetime | None = None,
) -> TimelineEntry:
    """Add an update to the timeline; a visible one restarts the agreed interval."""
    errors = update_errors(
        victim_text=victim_text,
        staff_note=staff_note,
        visible_to_victim=visible_to_victim,
    )
    if errors:
        raise ValidationError(errors)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if errors := occurred_at_errors(
        reported_on=case.reported_on, occurred_at=occurred_at
    ):
        raise ValidationError(errors)
    now = recorded_at or timezone.now()
    entry = _timeline_add(
        case=case,
        kind=EntryKind.UPDATE,
        victim_text=victim_text.strip(),
        staff_note=staff_note.strip(),
        visible_to_victim=visible_to_victim,
        actor=actor,
        occurred_at=occurred_at or now,
        recorded_at=now,
    )
    if visible_to_victim:
        case.next_update_due = _next_update_due(case, entry.recorded_at)
        case.save(update_fields=["next_update_due", "updated_at"])
        notifications_create_for_entry(entry=entry)
        feedback_offers_open_for_entry(entry=entry)
    return entry


def may_correct_entries(*, user: User, case: Case) -> bool:
    """Return whether `user` may correct the case's timeline: a supervisor (or
    force administrator) of the case's own force."""
    return (
        user.is_active
        and user.force_id is not None
        and user.force_id == case.force_id
        and user.has_perm("cases.correct_timelineentry")
    )


def correction_victim_text(*, entry: TimelineEntry) -> str:
    """Return what victims are told of a correction when staff write nothing else."""
    with translation.override(_staff_language(entry.case.force)):
        return _(
            "The update on your timeline from %(date)s was recorded wrongly. "
            "Please disregard it. We are sorry for any worry this caused."
        ) % {"date": date_format(timezone.localtime(entry.occurred_at), "j F Y")}


def correction_errors(
    *, entry: TimelineEntry, victim_text: str, reason: str
) -> dict[str, list[str]]:
    """Return what is wrong with correcting `entry`, by field."""
    if entry.kind == EntryKind.CORRECTION:
        return {
            NON_FIELD_ERRORS: [
                _("A correction cannot be corrected; add an update to the case.")
            ]
        }
    if entry.corrected_at is not None:
        return {NON_FIELD_ERRORS: [_("This entry has already been corrected.")]}
    errors: dict[str, list[str]] = {}
    if entry.visible_to_victim and not victim_text.strip():
        errors["victim_text"] = [_("Write what the victims will be told.")]
    if not reason.strip():
        errors["reason"] = [_("Say, for staff, what was wrong with the entry.")]
    return errors


@transaction.atomic
def timeline_entry_correct(
    *, entry: TimelineEntry, actor: User, victim_text: str, reason: str
) -> TimelineEntry:
    """Correct a timeline entry recorded wrongly, as a supervisor; return the
    correction.

    Nothing is deleted or rewritten: the original stays on the timeline, marked as
    corrected, and a correction entry follows it, which the victims see (and are
    sent, if they saw the original). The original's Victims' Code deadline is
    withdrawn, so an event that never happened stops counting. The case's stage is
    not moved: a wrong stage is put right with a (confirmed) stage change."""
    entry = (
        TimelineEntry.objects.select_for_update()
        .select_related("case")
        .get(pk=entry.pk)
    )
    case = Case.objects.select_for_update().get(pk=entry.case_id)
    if not may_correct_entries(user=actor, case=case):
        raise PermissionDenied(_("Only a supervisor in the case's force may do this."))
    if errors := correction_errors(entry=entry, victim_text=victim_text, reason=reason):
        raise ValidationError(errors)
    now = timezone.now()
    correction = _timeline_add(
        case=case,
        kind=EntryKind.CORRECTION,
        victim_text=victim_text.strip() if entry.visible_to_victim else "",
        staff_note=reason.strip(),
        visible_to_victim=entry.visible_to_victim,
        actor=actor,
        occurred_at=now,
        recorded_at=now,
        corrects=entry,
    )
    entry.corrected_at = now
    entry.save(update_fields=["corrected_at"])
    audit_record(
        actor=actor,
        action=AuditAction.CHANGE,
        object_type=ObjectType.TIMELINE_ENTRY,
        object_id=entry.pk,
        force_id=case.force_id,
        case_id=case.pk,
        changed_fields=["corrected_at"],
        detail={"corrected_by": correction.pk},
    )
    for clock in CodeClock.objects.select_for_update().filter(
        entry=entry, withdrawn_at__isnull=True
    ):
        clock.withdrawn_at = now
        clock.save(update_fields=["withdrawn_at"])
        if clock.told_at is not None:
            code_compliance_months_recount(
                months={(clock.force_id, month_of(clock.occurred_at))}
            )
        audit_record(
            actor=actor,
            action=AuditAction.CHANGE,
            object_type=ObjectType.CODE_CLOCK,
            object_id=clock.pk,
            force_id=case.force_id,
            case_id=case.pk,
            changed_fields=["withdrawn_at"],
            detail={"entry": entry.pk, "corrected_by": correction.pk},
        )
    if correction.visible_to_victim:
        case.next_update_due = _next_update_due(case, now)
        case.save(update_fields=["next_update_due", "updated_at"])
        notifications_create_for_entry(entry=correction)
    return correction


def _code_deadline(case: Case, occurred_at: datetime.datetime) -> datetime.datetime:
    enhanced = case.victims.filter(enhanced_rights=True).exists()
    days = (
        CODE_DEADLINE_WORKING_DAYS_ENHANCED if enhanced else CODE_DEADLINE_WORKING_DAYS
    )
    return add_working_days(occurred_at, days)


def _timeline_add(
    *,
    case: Case,
    kind: str,
    actor: Actor | None,
    occurred_at: datetime.datetime,
    recorded_at: datetime.datetime,
    victim_text: str = "",
    staff_note: str = "",
    stage: str = "",
    visible_to_victim: bool = True,
    code_deadline: datetime.datetime | None = None,
    corrects: TimelineEntry | None = None,
) -> TimelineEntry:
    recorded_by, recorded_by_label = _recorded_by(actor)
    entry = TimelineEntry(
        case=case,
        kind=kind,
        stage=stage,
        victim_text=victim_text,
        staff_note=staff_note,
        visible_to_victim=visible_to_victim,
        occurred_at=occurred_at,
        recorded_at=recorded_at,
        recorded_by=recorded_by,
        recorded_by_label=recorded_by_label,
        code_deadline=code_deadline,
        corrects=corrects,
    )
    entry.full_clean(exclude=["case", "recorded_by", "corrects"])
    entry.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type=ObjectType.TIMELINE_ENTRY,
        object_id=entry.pk,
        force_id=case.force_id,
        case_id=case.pk,
        detail={
            "kind": kind,
            "visible_to_victim": visible_to_victim,
            **({"corrects": corrects.pk} if corrects is not None else {}),
        },
    )
    return entry


def update_agreement_choices(*, link: CaseVictim) -> tuple[list[int], list[str]]:
    """Return what this victim may agree for this case: the force's intervals (in
    weeks), and the channels the force allows that the victim also said are safe
    (never a channel staff have not recorded as safe)."""
    force = link.case.force
    weeks = sorted(force.update_interval_weeks_allowed)
    channels = [
        channel
        for channel in link.victim.safe_channels
        if channel in force.update_channels_allowed
    ]
    return weeks, channels


def update_agreement_error(*, link: CaseVictim) -> "StrOrPromise | None":
    """Return why this victim cannot agree updates for this case now, or None.
    A victim without portal access never gets this far: their session ends."""
    if link.case.is_closed:
        return UPDATE_AGREEMENT_ERRORS["closed"]
    return None


def update_agreement_errors(
    *, link: CaseVictim, interval_weeks: int | None, channels: list[str]
) -> dict[str, list[str]]:
    """Return what is wrong with these answers, by field."""
    if error := update_agreement_error(link=link):
        return {NON_FIELD_ERRORS: [str(error)]}
    weeks, offered = update_agreement_choices(link=link)
    errors: dict[str, list[str]] = {}
    if interval_weeks not in weeks:
        errors["interval_weeks"] = [str(UPDATE_AGREEMENT_ERRORS["interval"])]
    if any(channel not in offered for channel in channels):
        errors["channels"] = [str(UPDATE_AGREEMENT_ERRORS["channels"])]
    return errors


class UpdateAgreementRefused(ValidationError):
    """The victim may not agree updates now (too many changes today)."""


@transaction.atomic
def case_agree_updates(
    *,
    link: CaseVictim,
    interval_weeks: int,
    channels: list[str],
    agreed_at: datetime.datetime | None = None,
) -> Case:
    """Record how often (`interval_weeks`) and by which channels (`channels`; none
    means the portal only) a signed-in victim agreed to hear about their case, and
    make the case's next update due follow it.

    The victim's agreement wins over the interval staff set before: the case's
    interval becomes the shortest any of its victims agreed, counted from the
    last update they could see. Staff may change the interval afterwards (audited
    by case_update, and shown as differing from the agreement); a records
    system's push does not (case_upsert). Both the victim's record on the case
    and the case are audited, with the victim as actor.
    """
    if rate_limits_hit(
        limits=UPDATE_AGREEMENT_LIMITS, identifiers={"victim": str(link.victim_id)}
    ):
        raise UpdateAgreementRefused(
            UPDATE_AGREEMENT_ERRORS["rate_limited"], code="rate_limited"
        )
    link = (
        CaseVictim.objects.select_for_update()
        .select_related("victim", "case__force")
        .get(pk=link.pk)
    )
    case = Case.objects.select_for_update().get(pk=link.case_id)
    link.case = case
    if errors := update_agreement_errors(
        link=link, interval_weeks=interval_weeks, channels=channels
    ):
        raise ValidationError(errors)
    now = agreed_at or timezone.now()
    victim = link.victim
    link.agreed_interval_days = interval_weeks * 7
    link.agreed_channels = sorted(set(channels))
    link.agreed_at = now
    link.save(update_fields=["agreed_interval_days", "agreed_channels", "agreed_at"])
    audit_record(
        actor=victim,
        action=AuditAction.CHANGE,
        object_type=ObjectType.CASE_VICTIM,
        object_id=link.pk,
        force_id=case.force_id,
        case_id=case.pk,
        changed_fields=["agreed_interval_days", "agreed_channels", "agreed_at"],
        detail={
            "agreed_interval_days": link.agreed_interval_days,
            "agreed_channels": link.agreed_channels,
        },
    )
    agreed_days = min(
        days
        for days in CaseVictim.objects.filter(case=case).values_list(
            "agreed_interval_days", flat=True
        )
        if days is not None
    )
    previous_days = case.update_interval_days
    case.update_interval_days = agreed_days
    case.update_interval_agreed_days = agreed_days
    case.update_interval_agreed_at = now
    case.next_update_due = _next_update_due(case, _last_victim_update(case))
    case.save(
        update_fields=[
            "update_interval_days",
            "update_interval_agreed_days",
            "update_interval_agreed_at",
            "next_update_due",
            "updated_at",
        ]
    )
    audit_record(
        actor=victim,
        action=AuditAction.CHANGE,
        object_type=ObjectType.CASE,
        object_id=case.pk,
        force_id=case.force_id,
        case_id=case.pk,
        changed_fields=[
            "update_interval_days",
            "update_interval_agreed_days",
            "update_interval_agreed_at",
            "next_update_due",
        ],
        detail={
            "update_interval_from": previous_days,
            "update_interval_to": agreed_days,
            "agreed_by_victim": victim.pk,
        },
    )
    return case
