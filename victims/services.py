"""Changes to victims and to who is a victim on which case, and victims' sign-in to
the portal; each one audited."""

import dataclasses
import datetime
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from audit.constants import ActorKind, AuditAction
from audit.services import Actor, audit_record
from cases.models import Case, Force, normalise_crime_reference
from notifications.constants import Channel
from notifications.providers import (
    OutgoingMessage,
    PermanentProviderError,
    provider_for,
)
from victims.constants import (
    SIGN_IN_ATTEMPT_KEEP_SECONDS,
    SIGN_IN_CODE_DIGITS,
    SIGN_IN_CODE_MAX_RESENDS,
    SIGN_IN_CODE_VALID_SECONDS,
    SIGN_IN_REQUEST_LIMITS,
    SIGN_IN_WRONG_CODE_LIMITS,
    ContactPreference,
    RateLimit,
    SignInOutcome,
    SignOutReason,
)
from victims.models import CaseVictim, SignInAttempt, Victim
from victims.selectors import portal_case_link, sign_in_matches

VICTIM_EDITABLE_FIELDS = frozenset(
    {
        "external_reference",
        "full_name",
        "email",
        "mobile",
        "preferred_language",
        "contact_preference",
        "detail_by_email",
        "detail_by_sms",
        "enhanced_rights",
        "enhanced_rights_reason",
        "portal_access_allowed",
    }
)


def _normalise(changes: dict[str, Any]) -> dict[str, Any]:
    if "email" in changes:
        changes["email"] = (changes["email"] or "").strip().lower()
    if "mobile" in changes and changes["mobile"] is None:
        changes["mobile"] = ""
    return changes


@transaction.atomic
def victim_create(*, force: Force, actor: Actor | None, **fields: Any) -> Victim:
    unknown = set(fields) - VICTIM_EDITABLE_FIELDS
    if unknown:
        raise ValidationError({field: [_("Unknown field.")] for field in unknown})
    victim = Victim(force=force, **_normalise(fields))
    victim.full_clean(exclude=["force"])
    victim.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="victim",
        object_id=victim.pk,
        force_id=force.pk,
    )
    return victim


@transaction.atomic
def victim_update(
    *, victim: Victim, actor: Actor | None, changes: dict[str, Any]
) -> list[str]:
    """Change a victim's details; return the names (never values) of what changed."""
    unknown = set(changes) - VICTIM_EDITABLE_FIELDS
    if unknown:
        raise ValidationError(
            {field: [_("This field cannot be changed here.")] for field in unknown}
        )
    victim = Victim.objects.select_for_update().get(pk=victim.pk)
    changes = _normalise(dict(changes))
    changed = [
        field for field, value in changes.items() if getattr(victim, field) != value
    ]
    if not changed:
        return []
    for field in changed:
        setattr(victim, field, changes[field])
    victim.full_clean(exclude=["force"])
    victim.save(update_fields=[*changed, "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.CHANGE,
        object_type="victim",
        object_id=victim.pk,
        force_id=victim.force_id,
        changed_fields=changed,
    )
    return changed


@transaction.atomic
def case_add_victim(*, case: Case, victim: Victim, actor: Actor | None) -> CaseVictim:
    if victim.force_id != case.force_id:
        raise ValidationError(
            {"victim": [_("Choose a victim from this case's force.")]}
        )
    link, created = CaseVictim.objects.get_or_create(case=case, victim=victim)
    if created:
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            object_type="case_victim",
            object_id=link.pk,
            force_id=case.force_id,
            case_id=case.pk,
            detail={"victim_id": victim.pk},
        )
    return link


@transaction.atomic
def case_remove_victim(*, link: CaseVictim, actor: Actor | None) -> None:
    case = link.case
    audit_record(
        actor=actor,
        action=AuditAction.CHANGE,
        object_type="case_victim",
        object_id=link.pk,
        force_id=case.force_id,
        case_id=case.pk,
        detail={"victim_id": link.victim_id, "removed": True},
    )
    link.delete()


# The victim portal: sign-in codes, rate limits, sessions ending, pages viewed.


class PortalVisitor:
    """Someone using the victim portal who has not signed in (an audit actor)."""

    @property
    def audit_actor(self) -> tuple[str, str, str]:
        return (ActorKind.ANONYMOUS, "", "portal visitor")


VISITOR = PortalVisitor()


@dataclass(frozen=True)
class SignInStart:
    """What became of a request for a code: an attempt, or None when rate limited."""

    attempt: SignInAttempt | None


@dataclass(frozen=True)
class CodeCheck:
    outcome: SignInOutcome
    victim_id: int | None = None
    case_id: int | None = None


def _keyed_hash(purpose: str, value: str) -> str:
    """Return a keyed hash of `value`: stable for look-ups and counters, useless to
    anyone without SECRET_KEY (a six-digit code hashed without a key is found by
    trying all million)."""
    return salted_hmac(
        f"victims.sign_in.{purpose}", value, algorithm="sha256"
    ).hexdigest()


def _code_hash(attempt_id: int, code: str) -> str:
    return _keyed_hash("code", f"{attempt_id}:{code}")


def _contact_key(contact: str) -> str:
    return _keyed_hash("contact", contact.strip().lower())


def _rate_limit_cache_key(limit: RateLimit, identifier: str) -> str:
    return f"victims:sign-in:{limit.counter}:{limit.scope}:{limit.seconds}:{identifier}"


def _scope_identifiers(
    *, ip_address: str | None, reference_key: str, contact_key: str
) -> dict[str, str]:
    return {
        "ip": _keyed_hash("ip", ip_address or "unknown"),
        "reference": reference_key,
        "contact": contact_key,
        "reference_and_contact": _keyed_hash(
            "reference_and_contact", f"{reference_key}:{contact_key}"
        ),
    }


def rate_limit_count(
    *, limits: tuple[RateLimit, ...], identifiers: dict[str, str]
) -> bool:
    """Count one hit against every limit; return True if any is now over its limit.

    Fixed windows in the shared cache: the first hit starts the window (`add` sets the
    expiry), `incr` is atomic on Redis and locked in local memory, and later hits never
    extend the window, so the cool-off ends when the window does.
    """
    over = False
    for limit in limits:
        key = _rate_limit_cache_key(limit, identifiers[limit.scope])
        cache.add(key, 0, timeout=limit.seconds)
        try:
            hits = cache.incr(key)
        except ValueError:  # the window ended between add and incr
            cache.set(key, 1, timeout=limit.seconds)
            hits = 1
        over = over or hits > limit.hits
    return over


def rate_limit_reached(
    *, limits: tuple[RateLimit, ...], identifiers: dict[str, str]
) -> bool:
    """Return True if any limit has already been used up, without counting a hit."""
    keys = {
        _rate_limit_cache_key(limit, identifiers[limit.scope]): limit.hits
        for limit in limits
    }
    counts = cache.get_many(list(keys))
    return any(counts.get(key, 0) >= hits for key, hits in keys.items())


def _attempt_locked(attempt_id: int) -> SignInAttempt | None:
    """Lock and return the attempt with its case, in one query whether or not it
    matched anyone, so that checking a code takes the same time either way."""
    return (
        SignInAttempt.objects.select_for_update(of=("self",))
        .select_related("case")
        .filter(pk=attempt_id)
        .first()
    )


def _enqueue_code(attempt_id: int) -> None:
    from victims import tasks

    transaction.on_commit(lambda: tasks.sign_in_code_send.delay(attempt_id))


def _audit_outcome(
    *,
    outcome: SignInOutcome,
    attempt: SignInAttempt | None,
    ip_address: str | None,
    actor: Actor | None = VISITOR,
) -> None:
    case = attempt.case if attempt is not None and attempt.case_id else None
    audit_record(
        actor=actor,
        action=AuditAction.SIGN_IN
        if outcome == SignInOutcome.SIGNED_IN
        else AuditAction.SIGN_IN_FAILED,
        object_type="sign_in_attempt",
        object_id=attempt.pk if attempt is not None else "",
        force_id=case.force_id if case else None,
        case_id=case.pk if case else None,
        detail={"outcome": outcome.value},
        ip_address=ip_address,
    )


def sign_in_attempt_start(
    *, crime_reference: str, contact: str, ip_address: str | None
) -> SignInStart:
    """Record a request for a sign-in code and send the code in the background.

    The request takes the same path whether or not it matches anyone: the matching
    and sending happen in a task after commit, so neither the response nor its timing
    depends on them. Over a rate limit, nothing is sent and the attempt is None.
    """
    reference = normalise_crime_reference(crime_reference)
    reference_key = _keyed_hash("reference", reference)
    contact_key = _contact_key(contact)
    identifiers = _scope_identifiers(
        ip_address=ip_address, reference_key=reference_key, contact_key=contact_key
    )
    if rate_limit_count(limits=SIGN_IN_REQUEST_LIMITS, identifiers=identifiers):
        _audit_outcome(
            outcome=SignInOutcome.RATE_LIMITED, attempt=None, ip_address=ip_address
        )
        return SignInStart(attempt=None)
    with transaction.atomic():
        attempt = SignInAttempt.objects.create(
            submitted_reference=reference,
            submitted_contact=contact.strip(),
            reference_key=reference_key,
            contact_key=contact_key,
            ip_address=ip_address,
            expires_at=timezone.now()
            + datetime.timedelta(seconds=SIGN_IN_CODE_VALID_SECONDS),
        )
        _enqueue_code(attempt.pk)
    return SignInStart(attempt=attempt)


def _match(attempt: SignInAttempt) -> tuple[CaseVictim, str] | None:
    """Return the victim's link to the case and the channel to send on, if the details
    typed match a victim with portal access and name a channel they said is safe."""
    contact = attempt.submitted_contact
    if not attempt.submitted_reference or not contact:
        return None
    channel = Channel.EMAIL if "@" in contact else Channel.SMS
    for link in sign_in_matches(reference=attempt.submitted_reference, contact=contact):
        if _channel_is_safe(link.victim, channel):
            return link, channel
    return None


def _channel_is_safe(victim: Victim, channel: str) -> bool:
    return victim.email_is_safe if channel == Channel.EMAIL else victim.sms_is_safe


def _recipient(victim: Victim, channel: str) -> str:
    return victim.email if channel == Channel.EMAIL else str(victim.mobile)


def _still_matches(attempt: SignInAttempt) -> Victim | None:
    """For a new code on a matched attempt: the victim, if they still have access, are
    still on the case, and the contact typed is still their safe channel."""
    link = portal_case_link(victim_id=attempt.victim_id, case_id=attempt.case_id)
    if link is None or not _channel_is_safe(link.victim, attempt.channel):
        return None
    if _contact_key(_recipient(link.victim, attempt.channel)) != attempt.contact_key:
        return None
    return link.victim


def mask_recipient(recipient: str) -> str:
    """Return an email address or phone number with most of it hidden, for the audit
    trail: enough to tell two apart, not enough to use."""
    if "@" in recipient:
        local, _at, domain = recipient.partition("@")
        name, dot, tld = domain.rpartition(".")
        return f"{local[:1]}***@{name[:1]}***{dot}{tld}"
    return "*" * max(len(recipient) - 3, 0) + recipient[-3:]


def _code_message(code: str, channel: str) -> OutgoingMessage:
    # Nothing here says what the code is for beyond this service: no crime reference,
    # no names, no case details (DOMAIN.md, safety).
    minutes = SIGN_IN_CODE_VALID_SECONDS // 60
    body = _(
        "%(code)s is your Track My Crime security code. It expires in %(minutes)s "
        "minutes. Do not give this code to anyone. If you did not ask for it, you "
        "can ignore this message."
    ) % {"code": code, "minutes": minutes}
    return OutgoingMessage(
        channel=channel,
        to="",
        body=body,
        subject=_("Your security code") if channel == Channel.EMAIL else "",
    )


def sign_in_code_send(*, attempt_id: int) -> None:
    """Match a pending attempt and, if it matches, send a new code on the victim's
    safe channel. Runs in a task; security codes are never held for quiet hours.

    A transient provider error propagates (the task retries, and the attempt stays
    pending); anything else ends the attempt's sending.
    """
    with transaction.atomic():
        attempt = (
            SignInAttempt.objects.select_for_update()
            .filter(pk=attempt_id, send_pending=True)
            .first()
        )
        if attempt is None:
            return
        attempt.send_pending = False
        victim = None
        if attempt.victim_id is None:
            match = _match(attempt)
            if match is not None:
                link, channel = match
                attempt.victim, attempt.case, attempt.channel = (
                    link.victim,
                    link.case,
                    channel,
                )
                victim = link.victim
            attempt.submitted_reference = ""
            attempt.submitted_contact = ""
        else:
            victim = _still_matches(attempt)
        if victim is None:
            attempt.code_hash = ""
            attempt.save()
            _audit_outcome(
                outcome=SignInOutcome.NO_MATCH,
                attempt=attempt,
                ip_address=attempt.ip_address,
                actor=None,
            )
            return
        code = f"{secrets.randbelow(10**SIGN_IN_CODE_DIGITS):0{SIGN_IN_CODE_DIGITS}d}"
        attempt.code_hash = _code_hash(attempt.pk, code)
        attempt.save()
        recipient = _recipient(victim, attempt.channel)
        message = _code_message(code, attempt.channel)
        try:
            provider_id = provider_for(attempt.channel).send(
                dataclasses.replace(
                    message, to=recipient, reference=f"sign-in-{attempt.pk}"
                )
            )
        except PermanentProviderError:
            attempt.code_hash = ""
            attempt.save(update_fields=["code_hash"])
            _audit_outcome(
                outcome=SignInOutcome.SEND_FAILED,
                attempt=attempt,
                ip_address=attempt.ip_address,
                actor=None,
            )
            return
        audit_record(
            actor=None,
            action=AuditAction.DISCLOSE,
            object_type="sign_in_code",
            object_id=attempt.pk,
            force_id=attempt.case.force_id,
            case_id=attempt.case_id,
            detail={
                "victim_id": victim.pk,
                "channel": attempt.channel,
                "recipient": mask_recipient(recipient),
                "provider_id": provider_id,
            },
        )


@transaction.atomic
def sign_in_code_resend(*, attempt_id: int, ip_address: str | None) -> SignInOutcome:
    """Send a new code for the attempt, ending the old one. Limited per attempt and by
    the request rate limits; the count of wrong codes carries over."""
    attempt = _attempt_locked(attempt_id)
    if attempt is None or attempt.has_ended:
        outcome = SignInOutcome.ENDED
    elif attempt.resend_count >= SIGN_IN_CODE_MAX_RESENDS:
        outcome = SignInOutcome.RESEND_LIMIT
    elif rate_limit_count(
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
        attempt.send_pending = True
        attempt.expires_at = timezone.now() + datetime.timedelta(
            seconds=SIGN_IN_CODE_VALID_SECONDS
        )
        attempt.save(
            update_fields=["resend_count", "code_hash", "send_pending", "expires_at"]
        )
        _enqueue_code(attempt.pk)
    _audit_outcome(outcome=outcome, attempt=attempt, ip_address=ip_address)
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
    details that matched nobody is simply wrong, as often as allowed.
    """
    attempt = _attempt_locked(attempt_id)
    if attempt is None or attempt.has_ended:
        _audit_outcome(
            outcome=SignInOutcome.ENDED, attempt=attempt, ip_address=ip_address
        )
        return CodeCheck(outcome=SignInOutcome.ENDED)
    identifiers = _scope_identifiers(
        ip_address=ip_address,
        reference_key=attempt.reference_key,
        contact_key=attempt.contact_key,
    )
    if rate_limit_reached(limits=SIGN_IN_WRONG_CODE_LIMITS, identifiers=identifiers):
        outcome = SignInOutcome.RATE_LIMITED
    elif timezone.now() >= attempt.expires_at:
        outcome = SignInOutcome.EXPIRED
    else:
        matches = constant_time_compare(
            attempt.code_hash or _NO_CODE, _code_hash(attempt.pk, code)
        )
        if matches and attempt.code_hash and _still_matches(attempt) is not None:
            attempt.used_at = timezone.now()
            attempt.save(update_fields=["used_at"])
            _audit_outcome(
                outcome=SignInOutcome.SIGNED_IN,
                attempt=attempt,
                ip_address=ip_address,
                actor=attempt.victim,
            )
            return CodeCheck(
                outcome=SignInOutcome.SIGNED_IN,
                victim_id=attempt.victim_id,
                case_id=attempt.case_id,
            )
        attempt.failure_count += 1
        attempt.save(update_fields=["failure_count"])
        rate_limit_count(limits=SIGN_IN_WRONG_CODE_LIMITS, identifiers=identifiers)
        outcome = (
            SignInOutcome.TOO_MANY_WRONG
            if attempt.has_ended
            else SignInOutcome.WRONG_CODE
        )
    _audit_outcome(outcome=outcome, attempt=attempt, ip_address=ip_address)
    return CodeCheck(outcome=outcome)


def sign_in_attempts_delete_old() -> int:
    """Delete attempts older than a day; return how many. They hold no codes, but
    nothing needs them once they can no longer be used."""
    cutoff = timezone.now() - datetime.timedelta(seconds=SIGN_IN_ATTEMPT_KEEP_SECONDS)
    deleted, _by_model = SignInAttempt.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def victim_session_end(
    *,
    victim_id: int,
    case_id: int | None,
    reason: SignOutReason,
    ip_address: str | None,
) -> None:
    """Record that a victim's session ended, and why."""
    case = Case.objects.filter(pk=case_id).only("force_id").first()
    audit_record(
        actor=_VictimActor(victim_id),
        action=AuditAction.SIGN_OUT,
        object_type="victim",
        object_id=victim_id,
        force_id=case.force_id if case else None,
        case_id=case_id,
        detail={"reason": reason.value},
        ip_address=ip_address,
    )


def victim_page_view_record(
    *,
    victim: Victim,
    case: Case,
    subject: Case | Victim,
    page: str,
    ip_address: str | None,
) -> None:
    """Record that a signed-in victim looked at a portal page showing `subject`: their
    case, or their own details."""
    audit_record(
        actor=victim,
        action=AuditAction.VIEW,
        object_type="case" if isinstance(subject, Case) else "victim",
        object_id=subject.pk,
        force_id=case.force_id,
        case_id=case.pk,
        detail={"page": page},
        ip_address=ip_address,
    )


@dataclass(frozen=True)
class _VictimActor:
    """A victim known only by id (the row may be gone by the time a session ends)."""

    victim_id: int

    @property
    def audit_actor(self) -> tuple[str, str, str]:
        return (ActorKind.VICTIM, str(self.victim_id), f"victim {self.victim_id}")


@transaction.atomic
def victim_upsert(
    *,
    force: Force,
    external_reference: str,
    actor: Actor | None,
    fields: dict[str, Any],
) -> tuple[Victim, bool]:
    """Create the force's victim with this records-system reference, or change the
    one there is to `fields`; return the victim and whether it was created.

    Giving the same fields again changes nothing and audits nothing. A push never
    undoes a safeguarding decision: it can turn portal access off but not back on,
    and it does not move a victim out of "no contact"; staff do both.
    """
    external_reference = external_reference.strip()
    if not external_reference:
        raise ValidationError(
            {"external_reference": [_("Give the victim's id in the records system.")]}
        )
    if "external_reference" in fields:
        raise ValidationError(
            {"external_reference": [_("The reference is the key; it is not changed.")]}
        )
    victim = (
        Victim.objects.select_for_update()
        .filter(force=force, external_reference=external_reference)
        .first()
    )
    if victim is None:
        victim = victim_create(
            force=force, actor=actor, external_reference=external_reference, **fields
        )
        return victim, True
    fields = dict(fields)
    if not victim.portal_access_allowed and fields.get("portal_access_allowed"):
        del fields["portal_access_allowed"]
    if victim.contact_preference == ContactPreference.NONE:
        fields.pop("contact_preference", None)
    victim_update(victim=victim, actor=actor, changes=fields)
    return victim, False
