"""Every write to a victim's Victims' Code request goes through here: the victim
pages, the back office and the API alike.

1. `request_make` checks the victim may ask (rights.eligibility), has no open
   request of the kind, and is within the rate limit; then writes the request and
   its Code deadlines (cases.CodeClock, kinds in rights.constants.CLOCK_RULES) in
   one transaction. Nothing is half-written: a refusal (RequestRefused) writes
   nothing.
2. A deadline is met when staff record its step (`request_acknowledge`,
   `request_record_outcome`): its `told_at` is that moment, and the month's
   compliance figures are counted again in the same transaction.
3. Every step is audited (the request's status history is the audit trail), and
   the victim is told on their safe channels with the usual safe wording ("there
   is an update, sign in"); what the request says stays in the portal.
"""

import datetime
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.constants import AuditAction, ObjectType
from audit.services import Actor, audit_record
from cases.compliance import code_compliance_months_recount, month_of
from cases.constants import REOPEN_STAGE, Stage
from cases.models import Case, CodeClock, SupportService
from cases.services import case_change_stage
from cases.working_days import add_working_days
from notifications.constants import MessageKind
from notifications.services import notifications_queue_new_message
from rights.constants import (
    CLOCK_RULES,
    OPEN_STATUSES,
    OUTCOMES_BY_KIND,
    REFUSALS,
    TEXT_MAX_LENGTH,
    VICTIM_REQUEST_LIMITS,
    ReplyChannel,
    RequestOutcome,
    RequestStatus,
    RightKind,
)
from rights.eligibility import (
    request_refusal,
    review_decision_makers,
    victim_refusal,
)
from rights.models import RightRequest
from trackmycrime.rate_limits import rate_limits_hit, rate_limits_reached
from victims.models import CaseVictim, Victim

# Control characters other than the newline, and bidirectional overrides.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Kinds whose request is the victim's own words.
TEXT_KINDS = frozenset({RightKind.REVIEW, RightKind.COMPLAINT})


class RequestRefused(ValidationError):
    """A request or step that was not written, and why: `code` is a key of
    rights.constants.REFUSALS or a staff-side code, `field` the answer at fault."""

    def __init__(self, message, code: str, field: str | None = None):
        super().__init__(message, code=code)
        self.field = field


def _refused(code: str, field: str | None = None) -> RequestRefused:
    return RequestRefused(REFUSALS[code], code=code, field=field)


def request_text_clean(text: str, *, required: bool = True) -> str:
    """Return the victim's text as it is kept, or raise RequestRefused."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if required and not text:
        raise _refused("empty", field="text")
    if len(text) > TEXT_MAX_LENGTH:
        raise _refused("too_long", field="text")
    if _CONTROL.search(text):
        raise RequestRefused(
            _("Your answer contains characters we cannot accept. Remove them."),
            code="control",
            field="text",
        )
    return text


def reply_channels_for(victim: Victim) -> list[str]:
    """Return the ways a victim may ask to hear back: the portal always, and only
    the channels they said are safe (a phone call needs their mobile to be)."""
    safe = victim.safe_channels
    channels = [ReplyChannel.PORTAL.value]
    channels += [c for c in (ReplyChannel.EMAIL, ReplyChannel.SMS) if c in safe]
    if ReplyChannel.SMS in safe:
        channels.append(ReplyChannel.PHONE.value)
    return channels


def victim_rate_limited(*, victim_id: int) -> bool:
    return rate_limits_reached(
        limits=VICTIM_REQUEST_LIMITS, identifiers={"victim": str(victim_id)}
    )


def _audit(
    *,
    actor: Actor | None,
    request: RightRequest,
    action: AuditAction = AuditAction.CHANGE,
    changed: tuple[str, ...] = (),
    **detail: Any,
) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type=ObjectType.RIGHT_REQUEST,
        object_id=request.pk,
        force_id=request.force_id,
        case_id=request.case_id,
        changed_fields=changed,
        detail={
            "victim_id": request.victim_id,
            "kind": request.kind,
            "status": request.status,
            **detail,
        },
    )


def _tell_victim(request: RightRequest) -> None:
    """Queue "there is an update, sign in" to the victim on their safe channels."""
    notifications_queue_new_message(
        force_id=request.force_id,
        case_id=request.case_id,
        victim_id=request.victim_id,
        kind=MessageKind.REQUEST_UPDATE,
    )


def _clock_days(case: Case, kind: str, days: int) -> int:
    if kind == RightKind.PERSONAL_STATEMENT:
        return case.force.vps_contact_working_days
    return days


@transaction.atomic
def request_make(
    *,
    victim: Victim,
    case: Case,
    kind: str,
    form_data: dict[str, Any],
    recorded_at: datetime.datetime | None = None,
) -> RightRequest:
    """Write a victim's request of `kind` on their case, with its Code deadlines,
    and tell them it arrived. `form_data` holds the kind's answers as its form
    cleaned them: `text`, `reply_channel`, `details`, `support_service`.

    Refused (RequestRefused, nothing written) if the answers are not allowed, the
    victim may not ask this now (outside the window, or not for this case), has an
    open request of this kind already, or has made too many requests recently.
    """
    if kind not in RightKind.values:
        raise _refused("not_eligible")
    now = recorded_at or timezone.now()
    text = request_text_clean(form_data.get("text", ""), required=kind in TEXT_KINDS)
    reply_channel = form_data.get("reply_channel") or ReplyChannel.PORTAL
    if reply_channel not in reply_channels_for(victim):
        raise _refused("reply_channel", field="reply_channel")
    support_service = form_data.get("support_service")
    if isinstance(support_service, SupportService) and (
        support_service.force_id != case.force_id
    ):
        raise _refused("not_eligible", field="support_service")
    # The link, locked: two requests at once from the same victim queue here.
    if not (
        CaseVictim.objects.select_for_update()
        .filter(case_id=case.pk, victim_id=victim.pk)
        .exists()
    ):
        raise _refused("not_eligible")
    case = Case.objects.select_related("force").get(pk=case.pk)
    if refusal := request_refusal(kind=kind, case=case, now=now) or victim_refusal(
        kind=kind, victim=victim
    ):
        raise _refused(refusal)
    if RightRequest.objects.filter(
        case=case, victim=victim, kind=kind, status__in=OPEN_STATUSES
    ).exists():
        raise _refused("duplicate")
    if rate_limits_hit(
        limits=VICTIM_REQUEST_LIMITS, identifiers={"victim": str(victim.pk)}
    ):
        raise _refused("rate_limited")
    try:
        with transaction.atomic():
            request = RightRequest.objects.create(
                force_id=case.force_id,
                case=case,
                victim=victim,
                kind=kind,
                made_at=now,
                text=text,
                reply_channel=reply_channel,
                details=form_data.get("details") or {},
                support_service=support_service
                if isinstance(support_service, SupportService)
                else None,
            )
    except IntegrityError:  # a request made at the same moment got there first
        raise _refused("duplicate") from None
    for rule in CLOCK_RULES[kind]:
        clock = CodeClock.objects.create(
            force_id=case.force_id,
            case=case,
            kind=rule.kind,
            officer_id=case.officer_in_charge_id,
            occurred_at=now,
            recorded_at=now,
            deadline=add_working_days(now, _clock_days(case, kind, rule.working_days)),
        )
        if rule.step == RequestStatus.ACKNOWLEDGED:
            request.acknowledge_clock = clock
        else:
            request.done_clock = clock
    request.save(update_fields=["acknowledge_clock", "done_clock"])
    _audit(actor=victim, request=request, action=AuditAction.CREATE)
    _tell_victim(request)
    return request


def _locked(request: RightRequest) -> RightRequest:
    return (
        RightRequest.objects.select_for_update(of=("self",))
        .select_related("case__force", "acknowledge_clock", "done_clock")
        .get(pk=request.pk)
    )


def _meet(clocks: list[CodeClock | None], moment: datetime.datetime) -> None:
    """Mark these deadlines met at `moment`, and count their months again."""
    met = [c for c in clocks if c is not None and c.told_at is None]
    for clock in met:
        clock.told_at = moment
        clock.save(update_fields=["told_at"])
    if met:
        code_compliance_months_recount(
            months={(c.force_id, month_of(c.occurred_at)) for c in met}
        )


@transaction.atomic
def request_acknowledge(
    *,
    request: RightRequest,
    actor: Actor,
    acknowledged_at: datetime.datetime | None = None,
) -> RightRequest:
    """Record that the force acknowledged the request (for a personal statement:
    contacted the victim), meeting its first deadline; the victim is told."""
    request = _locked(request)
    if request.status != RequestStatus.RECEIVED:
        raise RequestRefused(
            _("This request has been acknowledged already."), code="not_received"
        )
    now = acknowledged_at or timezone.now()
    request.status = RequestStatus.ACKNOWLEDGED
    request.acknowledged_at = now
    request.save(update_fields=["status", "acknowledged_at"])
    _meet([request.acknowledge_clock], now)
    _audit(actor=actor, request=request, changed=("status", "acknowledged_at"))
    _tell_victim(request)
    return request


@transaction.atomic
def request_assign(
    *, request: RightRequest, reviewer: User, actor: Actor
) -> RightRequest:
    """Give the request to a member of staff to deal with. A review never goes to
    whoever made the decision under review, nor to the officer in charge."""
    request = _locked(request)
    if not request.is_open:
        raise RequestRefused(
            _("This request has been dealt with already."), code="not_open"
        )
    if reviewer.force_id != request.force_id or not reviewer.is_active:
        raise RequestRefused(
            _("Choose an active member of staff from this force."),
            code="not_in_force",
            field="assigned_to",
        )
    if request.kind == RightKind.REVIEW and reviewer.pk in review_decision_makers(
        request.case
    ):
        raise RequestRefused(
            _(
                "%(name)s made the decision or is in charge of the case, so cannot "
                "review it. Choose someone independent of the case."
            )
            % {"name": reviewer.display_name},
            code="decision_maker",
            field="assigned_to",
        )
    request.assigned_to = reviewer
    request.save(update_fields=["assigned_to"])
    # The deadlines still running are now the reviewer's, in the figures by officer.
    running = [
        c
        for c in (request.acknowledge_clock, request.done_clock)
        if c is not None and c.told_at is None
    ]
    CodeClock.objects.filter(pk__in=[c.pk for c in running]).update(officer=reviewer)
    _audit(actor=actor, request=request, changed=("assigned_to",))
    return request


@transaction.atomic
def request_record_outcome(
    *,
    request: RightRequest,
    actor: Actor,
    outcome: str,
    note: str = "",
    done_at: datetime.datetime | None = None,
    support_service: SupportService | None = None,
) -> RightRequest:
    """Record how the request ended, meeting its deadlines, and tell the victim.

    A review is decided by the reviewer it was assigned to; overturned, the case is
    reopened for investigation and the victims see that on the timeline.
    """
    request = _locked(request)
    if not request.is_open:
        raise RequestRefused(
            _("This request has been dealt with already."), code="not_open"
        )
    if outcome not in OUTCOMES_BY_KIND[request.kind]:
        raise RequestRefused(
            _("Choose an outcome for this kind of request."),
            code="outcome",
            field="outcome",
        )
    note = request_text_clean(note, required=False)
    if done_at is not None and not request.made_at <= done_at <= timezone.now():
        raise RequestRefused(
            _("The date must be between when the request was made and today."),
            code="done_at",
            field="done_at",
        )
    if request.kind == RightKind.REVIEW:
        if request.assigned_to_id is None:
            raise RequestRefused(
                _("Assign a reviewer before recording the decision."),
                code="no_reviewer",
            )
        if isinstance(actor, User) and actor.pk in review_decision_makers(request.case):
            raise RequestRefused(
                _(
                    "You made the decision or are in charge of the case, so cannot "
                    "review it."
                ),
                code="decision_maker",
            )
    now = done_at or timezone.now()
    request.status = RequestStatus.DONE
    request.outcome = outcome
    request.outcome_note = note
    request.done_at = now
    request.acknowledged_at = request.acknowledged_at or now
    fields = ["status", "outcome", "outcome_note", "done_at", "acknowledged_at"]
    if support_service is not None:
        request.support_service = support_service
        fields.append("support_service")
    request.save(update_fields=fields)
    _meet([request.acknowledge_clock, request.done_clock], now)
    _audit(actor=actor, request=request, changed=tuple(fields), outcome=outcome)
    if outcome == RequestOutcome.OVERTURNED and request.case.stage == Stage.CLOSED:
        case_change_stage(
            case=request.case,
            stage=REOPEN_STAGE,
            actor=actor,
            victim_text=_(
                "The decision to close your case has been reviewed, and the review "
                "found it should be looked at again. The investigation has been "
                "reopened."
            ),
            staff_note=_("Reopened after a Victims' Right to Review."),
        )
    _tell_victim(request)
    return request
