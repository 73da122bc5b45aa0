"""Victims' sign-in to the portal: asking for a code, a new code, entering it, and
sessions ending; each step audited.

Every request takes the same path whether or not the details match anyone: it
records an attempt and queues a code message through the outbox (the one road for
every message to a victim). The worker matches the details and mints the code
(victims.sign_in_codes), so neither a response nor its timing depends on a match.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from audit.constants import ActorKind, AuditAction, AuditActor, ObjectType
from audit.services import Actor, audit_record
from cases.models import Case, normalise_crime_reference
from notifications.services import notifications_queue_sign_in_code
from trackmycrime.rate_limits import (
    rate_limits_hit,
    rate_limits_reached,
    rate_limits_reset,
)
from victims.constants import (
    SIGN_IN_CODE_MAX_RESENDS,
    SIGN_IN_CODE_VALID_SECONDS,
    SIGN_IN_REQUEST_LIMITS,
    SIGN_IN_WRONG_CODE_LIMITS,
    SignInOutcome,
    SignOutReason,
)
from victims.models import SignInAttempt
from victims.sign_in_codes import (
    channel_for_contact,
    code_hash,
    contact_key,
    keyed_hash,
    sign_in_outcome_audit,
    still_matches,
)


class PortalVisitor:
    """Someone using the victim portal who has not signed in (an audit actor)."""

    @property
    def audit_actor(self) -> AuditActor:
        return AuditActor(kind=ActorKind.ANONYMOUS, id="", label="portal visitor")


VISITOR = PortalVisitor()


@dataclass(frozen=True)
class VictimById:
    """A victim known only by id (the row may be gone by the time a session ends)."""

    victim_id: int

    @property
    def audit_actor(self) -> AuditActor:
        return AuditActor(
            kind=ActorKind.VICTIM,
            id=str(self.victim_id),
            label=f"victim {self.victim_id}",
        )


@dataclass(frozen=True)
class SignInStart:
    """What became of a request for a code: an attempt, or None when rate limited."""

    attempt: SignInAttempt | None


@dataclass(frozen=True)
class CodeCheck:
    outcome: SignInOutcome
    victim_id: int | None = None
    case_id: int | None = None


def _scope_identifiers(
    *, ip_address: str | None, reference_key: str, contact_key: str
) -> dict[str, str]:
    """The keys the sign-in limits count by: never the reference or the contact
    alone (victims.constants says why)."""
    return {
        "ip": keyed_hash("ip", ip_address or "unknown"),
        "reference_and_contact": keyed_hash(
            "reference_and_contact", f"{reference_key}:{contact_key}"
        ),
    }


def _attempt_locked(attempt_id: int) -> SignInAttempt | None:
    """Lock and return the attempt with its case, in one query whether or not it
    matched anyone, so that checking a code takes the same time either way."""
    return (
        SignInAttempt.objects.select_for_update(of=("self",))
        .select_related("case")
        .filter(pk=attempt_id)
        .first()
    )


def _audit_outcome(
    *,
    outcome: SignInOutcome,
    attempt: SignInAttempt | None,
    actor: Actor | None = VISITOR,
) -> None:
    sign_in_outcome_audit(outcome=outcome, attempt=attempt, actor=actor)


def sign_in_attempt_start(
    *, crime_reference: str, contact: str, ip_address: str | None
) -> SignInStart:
    """Record a request for a sign-in code and queue the code message.

    The request takes the same path whether or not it matches anyone: matching and
    sending happen in a worker after commit. Over a rate limit, nothing is sent and
    the attempt is None.
    """
    reference = normalise_crime_reference(crime_reference)
    reference_key = keyed_hash("reference", reference)
    typed_contact_key = contact_key(contact)
    identifiers = _scope_identifiers(
        ip_address=ip_address,
        reference_key=reference_key,
        contact_key=typed_contact_key,
    )
    if rate_limits_hit(limits=SIGN_IN_REQUEST_LIMITS, identifiers=identifiers):
        _audit_outcome(outcome=SignInOutcome.RATE_LIMITED, attempt=None)
        return SignInStart(attempt=None)
    with transaction.atomic():
        attempt = SignInAttempt.objects.create(
            submitted_reference=reference,
            submitted_contact=contact.strip(),
            reference_key=reference_key,
            contact_key=typed_contact_key,
            channel=channel_for_contact(contact),
            ip_address=ip_address,
            expires_at=timezone.now()
            + datetime.timedelta(seconds=SIGN_IN_CODE_VALID_SECONDS),
        )
        notifications_queue_sign_in_code(attempt=attempt)
    return SignInStart(attempt=attempt)


@transaction.atomic
def sign_in_code_resend(*, attempt_id: int, ip_address: str | None) -> SignInOutcome:
    """Send a new code for the attempt, ending the old one. Limited per attempt and by
    the request rate limits; the count of wrong codes carries over."""
    attempt = _attempt_locked(attempt_id)
    if attempt is None or attempt.has_ended:
        outcome = SignInOutcome.ENDED
    elif attempt.resend_count >= SIGN_IN_CODE_MAX_RESENDS:
        outcome = SignInOutcome.RESEND_LIMIT
    elif rate_limits_hit(
        limits=SIGN_IN_REQUEST_LIMITS,
        identifiers=_scope_identifiers(
            ip_address=ip_address,
            reference_key=attempt.reference_key,
            contact_key=attempt.contact_key,
        ),
    ):
        outcome = SignInOutcome.RATE_LIMITED
    else:
        outcome = SignInOutcome.RESENT
        attempt.resend_count += 1
        attempt.code_hash = ""
        attempt.expires_at = timezone.now() + datetime.timedelta(
            seconds=SIGN_IN_CODE_VALID_SECONDS
        )
        attempt.save(update_fields=["resend_count", "code_hash", "expires_at"])
        notifications_queue_sign_in_code(attempt=attempt)
    _audit_outcome(outcome=outcome, attempt=attempt)
    return outcome


# Compared against when an attempt has no code, so that every check does the same work.
_NO_CODE = "0" * 64


@transaction.atomic
def sign_in_code_check(
    *, attempt_id: int, code: str, ip_address: str | None
) -> CodeCheck:
    """Check a code entered for the attempt; on success the attempt is used up and
    the victim and case it was for are returned.

    Matched and unmatched attempts are checked the same way, so a code entered for
    details that matched nobody is simply wrong, as often as allowed. The lock taken
    here is never held by a send: the worker stores a code's hash and commits before
    it calls the provider.
    """
    attempt = _attempt_locked(attempt_id)
    if attempt is None or attempt.has_ended:
        _audit_outcome(outcome=SignInOutcome.ENDED, attempt=attempt)
        return CodeCheck(outcome=SignInOutcome.ENDED)
    identifiers = _scope_identifiers(
        ip_address=ip_address,
        reference_key=attempt.reference_key,
        contact_key=attempt.contact_key,
    )
    if rate_limits_reached(limits=SIGN_IN_WRONG_CODE_LIMITS, identifiers=identifiers):
        outcome = SignInOutcome.RATE_LIMITED
    elif timezone.now() >= attempt.expires_at:
        outcome = SignInOutcome.EXPIRED
    else:
        matches = constant_time_compare(
            attempt.code_hash or _NO_CODE, code_hash(attempt.pk, code)
        )
        if matches and attempt.code_hash and still_matches(attempt) is not None:
            attempt.used_at = timezone.now()
            attempt.save(update_fields=["used_at"])
            # Only the victim can get here (the code went to them alone), so their
            # own sign-ins never use up the limits on their reference and contact.
            rate_limits_reset(
                limits=SIGN_IN_REQUEST_LIMITS + SIGN_IN_WRONG_CODE_LIMITS,
                identifiers=identifiers,
                scope="reference_and_contact",
            )
            _audit_outcome(
                outcome=SignInOutcome.SIGNED_IN,
                attempt=attempt,
                actor=attempt.victim,
            )
            return CodeCheck(
                outcome=SignInOutcome.SIGNED_IN,
                victim_id=attempt.victim_id,
                case_id=attempt.case_id,
            )
        attempt.failure_count += 1
        attempt.save(update_fields=["failure_count"])
        rate_limits_hit(limits=SIGN_IN_WRONG_CODE_LIMITS, identifiers=identifiers)
        outcome = (
            SignInOutcome.TOO_MANY_WRONG
            if attempt.has_ended
            else SignInOutcome.WRONG_CODE
        )
    _audit_outcome(outcome=outcome, attempt=attempt)
    return CodeCheck(outcome=outcome)


def sign_in_attempts_delete_old(*, now: datetime.datetime | None = None) -> int:
    """Delete attempts older than RETENTION_SIGN_IN_RECORD_DAYS (with their code
    messages); return how many. They hold no codes, but nothing needs them once they
    cannot be used."""
    cutoff = (now or timezone.now()) - datetime.timedelta(
        days=settings.RETENTION_SIGN_IN_RECORD_DAYS
    )
    _total, by_model = SignInAttempt.objects.filter(created_at__lt=cutoff).delete()
    return by_model.get(SignInAttempt._meta.label, 0)


def victim_session_end(
    *, victim_id: int, case_id: int | None, reason: SignOutReason
) -> None:
    """Record that a victim's session ended, and why."""
    case = Case.objects.filter(pk=case_id).only("force_id").first() if case_id else None
    audit_record(
        actor=VictimById(victim_id),
        action=AuditAction.SIGN_OUT,
        object_type=ObjectType.VICTIM,
        object_id=victim_id,
        force_id=case.force_id if case else None,
        case_id=case_id,
        detail={"reason": reason.value},
    )
