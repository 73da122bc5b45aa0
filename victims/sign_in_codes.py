"""Sign-in codes: keyed hashes, matching the details typed to a victim, and minting
the code at the moment it is sent.

The notification worker calls `sign_in_code_mint` while it claims a code message, so
the code is made, and its hash stored, only once the details have matched and just
before the provider is called: no code waits anywhere, not even in the outbox.
"""

import secrets
from dataclasses import dataclass

from django.utils import timezone
from django.utils.crypto import salted_hmac

from audit.constants import AuditAction, ObjectType
from audit.services import Actor, audit_record
from cases.models import Case
from victims.constants import SIGN_IN_CODE_DIGITS, Channel, SignInOutcome
from victims.models import CaseVictim, SignInAttempt, Victim
from victims.selectors import portal_case_link, sign_in_matches


def keyed_hash(purpose: str, value: str) -> str:
    """Return a keyed hash of `value`: stable for look-ups and counters, useless to
    anyone without SECRET_KEY (a six-digit code hashed without a key is found by
    trying all million)."""
    return salted_hmac(
        f"victims.sign_in.{purpose}", value, algorithm="sha256"
    ).hexdigest()


def code_hash(attempt_id: int, code: str) -> str:
    return keyed_hash("code", f"{attempt_id}:{code}")


def contact_key(contact: str) -> str:
    return keyed_hash("contact", contact.strip().lower())


def channel_for_contact(contact: str) -> str:
    """The channel a typed contact names: an email address has an @."""
    return Channel.EMAIL if "@" in contact else Channel.SMS


def sign_in_outcome_audit(
    *,
    outcome: SignInOutcome,
    attempt: SignInAttempt | None,
    actor: Actor | None,
) -> None:
    """Record what became of a sign-in request or code: the one shape of every
    sign-in audit row, whoever writes it (the portal or the outbox worker)."""
    case = attempt.case if attempt is not None and attempt.case_id else None
    audit_record(
        actor=actor,
        action=AuditAction.SIGN_IN
        if outcome == SignInOutcome.SIGNED_IN
        else AuditAction.SIGN_IN_FAILED,
        object_type=ObjectType.SIGN_IN_ATTEMPT,
        object_id=attempt.pk if attempt is not None else "",
        force_id=case.force_id if case else None,
        case_id=case.pk if case else None,
        detail={"outcome": outcome.value},
    )


@dataclass(frozen=True)
class MintedCode:
    victim: Victim
    case: Case
    code: str


def _match(attempt: SignInAttempt) -> CaseVictim | None:
    """Return the victim's link to the case, if the details typed match a victim
    with portal access and name a channel they said is safe."""
    if not attempt.submitted_reference or not attempt.submitted_contact:
        return None
    for link in sign_in_matches(
        reference=attempt.submitted_reference, contact=attempt.submitted_contact
    ):
        if link.victim.may_contact_by(attempt.channel):
            return link
    return None


def still_matches(attempt: SignInAttempt) -> Victim | None:
    """For a matched attempt: the victim, if they still have access, are still on
    the case, and the contact typed is still their safe channel."""
    if attempt.victim_id is None or attempt.case_id is None:
        return None
    link = portal_case_link(victim_id=attempt.victim_id, case_id=attempt.case_id)
    if link is None or not link.victim.may_contact_by(attempt.channel):
        return None
    if contact_key(link.victim.address_for(attempt.channel)) != attempt.contact_key:
        return None
    return link.victim


def sign_in_code_mint(*, attempt_id: int) -> MintedCode | None:
    """Match the attempt (the first time) or check it still matches, then make a
    new code and store its hash; return it with the victim and case it is for, or
    None if nothing may be sent. Call inside a transaction: it locks the attempt for
    that transaction only, never across the call to a provider."""
    attempt = (
        SignInAttempt.objects.select_for_update(of=("self",))
        .select_related("case")
        .filter(pk=attempt_id)
        .first()
    )
    if attempt is None or attempt.has_ended or timezone.now() >= attempt.expires_at:
        return None
    victim: Victim | None
    if attempt.victim_id is None:
        link = _match(attempt)
        if link is not None:
            attempt.victim, attempt.case = link.victim, link.case
        victim = link.victim if link is not None else None
        # What was typed is needed only until now; keyed hashes remain for limits.
        attempt.submitted_reference = ""
        attempt.submitted_contact = ""
    else:
        victim = still_matches(attempt)
    if victim is None or attempt.case is None:
        attempt.code_hash = ""
        attempt.save()
        sign_in_outcome_audit(
            outcome=SignInOutcome.NO_MATCH, attempt=attempt, actor=None
        )
        return None
    code = f"{secrets.randbelow(10**SIGN_IN_CODE_DIGITS):0{SIGN_IN_CODE_DIGITS}d}"
    attempt.code_hash = code_hash(attempt.pk, code)
    attempt.save()
    return MintedCode(victim=victim, case=attempt.case, code=code)


def sign_in_code_withdraw(*, attempt_id: int) -> None:
    """End the code of an attempt whose message could not be sent, and say so in
    the audit trail."""
    attempt = SignInAttempt.objects.select_related("case").get(pk=attempt_id)
    attempt.code_hash = ""
    attempt.save(update_fields=["code_hash"])
    sign_in_outcome_audit(
        outcome=SignInOutcome.SEND_FAILED, attempt=attempt, actor=None
    )
