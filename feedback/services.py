"""Victim Voice: offering the survey, taking answers, and writing them out so that
no answer can be tied to the person who gave it.

1. A moment in a case (its first update, a charge or no-further-action decision,
   its closing) opens a wave for each victim on it: one FeedbackOffer row, holding
   no time; a victim who allows contact is invited in one message, through the
   outbox, a day later, if they have not answered by then. The case page offers a
   wave of its own, whose row is written only when answered or dismissed.
2. An answer marks the offer answered (no time) and goes into the pool encrypted,
   in one transaction; nothing else is written, audited, logged or sent.
3. `feedback_pool_flush` writes out, in one transaction and in a shuffled order,
   every group of at least FEEDBACK_POOL_BATCH_MIN answers that share all their
   coarse groups, as FeedbackResponse rows with new random ids and the month only,
   and deletes their pool rows. An answer thus lands among at least that many
   others that nothing in the database tells apart.
"""

import datetime
import logging
import secrets
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from audit.constants import AuditAction, ObjectType
from audit.services import audit_client_address, audit_record
from cases.constants import EntryKind, Stage
from cases.models import Case, TimelineEntry
from cases.working_days import LONDON
from feedback.constants import (
    MOMENT_WAVES,
    OFFENCE_GROUPS,
    SIGNED_OUT_TOKEN_SECONDS,
    WAVE_PRIORITY,
    OffenceGroup,
    OfferState,
    Question,
    Via,
    Wave,
    stage_group,
)
from feedback.models import (
    FeedbackCount,
    FeedbackOffer,
    FeedbackResponse,
    PendingAnswer,
    PendingInvitation,
)
from feedback.pool import pool_open, pool_seal
from notifications.constants import MessageKind
from notifications.models import Notification
from notifications.services import notifications_queue
from victims.models import CaseVictim
from victims.portal_cache import portal_cache_forget

logger = logging.getLogger(__name__)
# The coarse groups that must all match for answers to be written out together.
GROUP_FIELDS = ("force", "offence_group", "stage_group", "wave", "language", "via")


def wave_for_entry(*, entry: TimelineEntry) -> str | None:
    """Return the wave a timeline entry opens, if it is one of the key moments."""
    if not entry.visible_to_victim or entry.kind == EntryKind.CORRECTION:
        return None
    if entry.kind == EntryKind.STAGE_CHANGE and entry.stage == Stage.CHARGED:
        return Wave.DECISION
    if entry.kind == EntryKind.STAGE_CHANGE and entry.stage == Stage.CLOSED:
        case = entry.case
        if stage_group(case.stage, case.closing_reason) == "closed_nfa":
            return Wave.DECISION
        return Wave.CLOSURE
    if entry.kind in (EntryKind.UPDATE, EntryKind.STAGE_CHANGE):
        told_before = (
            TimelineEntry.objects.filter(
                case_id=entry.case_id,
                visible_to_victim=True,
                kind__in=[EntryKind.UPDATE, EntryKind.STAGE_CHANGE],
            )
            .exclude(pk=entry.pk)
            .exists()
        )
        return None if told_before else Wave.FIRST_UPDATE
    return None


@transaction.atomic
def feedback_offers_open_for_entry(*, entry: TimelineEntry) -> list[FeedbackOffer]:
    """Open the wave `entry` starts for every victim on its case who has not had
    it; those who allow contact are invited a day later (FEEDBACK_INVITATION_DELAY_
    HOURS), so that the invitation is never the update's message, and only if they
    have not answered or said no thanks by then."""
    wave = wave_for_entry(entry=entry)
    if wave is None:
        return []
    links = list(
        CaseVictim.objects.filter(case_id=entry.case_id)
        .select_related("victim")
        .order_by("victim_id")
    )
    had = set(
        FeedbackOffer.objects.filter(case_id=entry.case_id, wave=wave).values_list(
            "victim_id", flat=True
        )
    )
    offers = [
        FeedbackOffer(victim_id=link.victim_id, case_id=entry.case_id, wave=wave)
        for link in links
        if link.victim_id not in had and link.victim.portal_access_allowed
    ]
    FeedbackOffer.objects.bulk_create(offers)
    if wave in MOMENT_WAVES:
        due_at = timezone.now() + datetime.timedelta(
            hours=settings.FEEDBACK_INVITATION_DELAY_HOURS
        )
        contactable = {link.victim_id for link in links if link.victim.safe_channels}
        # bulk_create sets primary keys on PostgreSQL and SQLite alike.
        PendingInvitation.objects.bulk_create(
            PendingInvitation(offer=offer, due_at=due_at)
            for offer in offers
            if offer.victim_id in contactable
        )
    return offers


def feedback_invitations_send(*, now: datetime.datetime | None = None) -> int:
    """Queue, through the outbox, the invitations now due whose wave is still open
    (answered or dismissed already: none), one per victim on their first safe
    channel; return how many. Run by Celery beat."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            PendingInvitation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(due_at__lte=now)
            .select_related("offer__victim", "offer__case")
            .order_by("due_at", "pk")[:1000]
        )
        rows = [
            Notification(
                kind=MessageKind.FEEDBACK_INVITATION,
                force_id=item.offer.case.force_id,
                case_id=item.offer.case_id,
                victim=item.offer.victim,
                channel=item.offer.victim.safe_channels[0],
                feedback_wave=item.offer.wave,
            )
            for item in due
            if item.offer.state == OfferState.OFFERED
            and item.offer.victim.safe_channels
        ]
        PendingInvitation.objects.filter(pk__in=[item.pk for item in due]).delete()
        if rows:
            notifications_queue(rows=rows)
    return len(rows)


# The wave a page offers: no row is written until the victim answers or says no thanks.
PAGE_WAVES = frozenset({Wave.CASE_PAGE})


def feedback_wave_for_case_page(*, victim_id: int, case_id: int) -> str | None:
    """Return the wave the case page offers: the latest moment still open, else the
    case page's own wave until it is answered or dismissed. One query."""
    states = dict(
        FeedbackOffer.objects.filter(victim_id=victim_id, case_id=case_id).values_list(
            "wave", "state"
        )
    )
    states.setdefault(Wave.CASE_PAGE, OfferState.OFFERED)
    for wave in WAVE_PRIORITY:
        if states.get(wave) == OfferState.OFFERED:
            return wave
    return None


def feedback_wave_is_open(*, victim_id: int, case_id: int, wave: str) -> bool:
    """Return whether the victim may still answer `wave` about the case."""
    state = (
        FeedbackOffer.objects.filter(victim_id=victim_id, case_id=case_id, wave=wave)
        .values_list("state", flat=True)
        .first()
    )
    if state is None:
        return wave in PAGE_WAVES
    return state == OfferState.OFFERED


# Tokens made for the signed-out page are good for nothing else.
SIGNED_OUT_SALT = "feedback.signed_out"


def feedback_signed_out_token(*, victim_id: int, case_id: int) -> str | None:
    """Open the signed-out wave for the victim signing out (its offer row, holding
    no time, written once) and return a token for the signed-out page; None once
    that wave is answered or dismissed.

    Signing out leaves no session or cookie behind, so the page carries the
    survey in this token instead: signed, salted and stamped, so that it cannot be
    forged and lasts SIGNED_OUT_TOKEN_SECONDS. It names only the offer (a number
    that means nothing outside the database): no crime, stage or case detail, as
    the page may be seen by someone else. Answering closes the offer, so a token
    answers once."""
    offer, _created = FeedbackOffer.objects.get_or_create(
        victim_id=victim_id, case_id=case_id, wave=Wave.SIGNED_OUT
    )
    if offer.state != OfferState.OFFERED:
        return None
    return signing.TimestampSigner(salt=SIGNED_OUT_SALT).sign_object(
        {"offer": offer.pk}
    )


@dataclass(frozen=True)
class SignedOutOffer:
    victim_id: int
    case_id: int
    wave: str = Wave.SIGNED_OUT


def feedback_signed_out_offer(*, token: str) -> SignedOutOffer | None:
    """Return the victim and case a signed-out page's token was made for, if it is
    genuine and not yet SIGNED_OUT_TOKEN_SECONDS old; else None. Whether the wave
    is still open is the caller's question (feedback_wave_is_open)."""
    try:
        data = signing.TimestampSigner(salt=SIGNED_OUT_SALT).unsign_object(
            token, max_age=SIGNED_OUT_TOKEN_SECONDS
        )
        offer_id = int(data["offer"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    row = (
        FeedbackOffer.objects.filter(pk=offer_id, wave=Wave.SIGNED_OUT)
        .values_list("victim_id", "case_id")
        .first()
    )
    return SignedOutOffer(victim_id=row[0], case_id=row[1]) if row else None


class AnswerOutcome(StrEnum):
    ANSWERED = "answered"
    DISMISSED = "dismissed"
    ALREADY = "already"


def _close_offer(*, victim_id: int, case_id: int, wave: str, state: str) -> bool:
    """Mark the victim's open offer of `wave` answered or dismissed; return False
    if it was not open. A page's wave has its row written now."""
    updated = FeedbackOffer.objects.filter(
        victim_id=victim_id, case_id=case_id, wave=wave, state=OfferState.OFFERED
    ).update(state=state)
    if updated:
        # An update sends no signal: the cached case page shows the panel.
        portal_cache_forget(victim_ids=[victim_id])
        return True
    if wave not in PAGE_WAVES:
        return False
    try:
        with transaction.atomic():
            FeedbackOffer.objects.create(
                victim_id=victim_id, case_id=case_id, wave=wave, state=state
            )
    except IntegrityError:  # answered or dismissed already, perhaps just now
        return False
    return True


@dataclass(frozen=True)
class Answers:
    overall: int | None = None
    informed: int | None = None
    fairness: int | None = None
    contact: int | None = None
    improve: str = ""


@transaction.atomic
def feedback_answer(
    *,
    victim_id: int,
    case_id: int,
    wave: str,
    answers: Answers,
    via: str,
    language: str,
    case: Case | None = None,
) -> AnswerOutcome:
    """Take a victim's answers to an open wave: mark it answered and put the answers
    in the pool, sealed, in one transaction. Nothing is audited or logged and no
    message is sent, so that nothing records when this victim answered beside what
    they said. A second answer to the same wave is refused. `case`, if the caller
    has it loaded already, saves reading it again."""
    if not _close_offer(
        victim_id=victim_id, case_id=case_id, wave=wave, state=OfferState.ANSWERED
    ):
        return AnswerOutcome.ALREADY
    if case is None or case.pk != case_id:
        case = Case.objects.only(
            "force_id", "offence_category", "stage", "closing_reason"
        ).get(pk=case_id)
    payload = {
        "force": case.force_id,
        "offence_group": OFFENCE_GROUPS.get(case.offence_category, OffenceGroup.OTHER),
        "stage_group": stage_group(case.stage, case.closing_reason),
        "wave": wave,
        "language": language,
        "via": via if via in Via.values else Via.PORTAL,
        **{question: getattr(answers, question) for question in Question.values},
        "improve": answers.improve,
    }
    PendingAnswer.objects.create(sealed=pool_seal(payload))
    if settings.FEEDBACK_FLUSH_AFTER_ANSWER:
        transaction.on_commit(_flush_later, robust=True)
    return AnswerOutcome.ANSWERED


@transaction.atomic
def feedback_dismiss(*, victim_id: int, case_id: int, wave: str) -> AnswerOutcome:
    """Record "no thanks" for an open wave, so that it stops showing."""
    if not _close_offer(
        victim_id=victim_id, case_id=case_id, wave=wave, state=OfferState.DISMISSED
    ):
        return AnswerOutcome.ALREADY
    return AnswerOutcome.DISMISSED


def _flush_later() -> None:
    from feedback.tasks import feedback_pool_flush_task

    try:
        feedback_pool_flush_task.delay()
    except Exception as error:  # noqa: BLE001 - beat flushes the pool in any case
        # Names no one: the answer is already in the pool, and beat flushes it.
        logger.warning(
            "Could not flush the feedback pool now: %s", type(error).__name__
        )


def month_of(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(LONDON).date().replace(day=1)


def feedback_pool_flush(*, now: datetime.datetime | None = None) -> int:
    """Write out every group of at least FEEDBACK_POOL_BATCH_MIN pooled answers that
    share all their coarse groups, in one transaction and a shuffled order, with new
    random ids and this month; delete their pool rows. Return how many were written.

    Audited as one line naming only how many were written, by the system and with
    no address, even when a victim's request ran it."""
    now = now or timezone.now()
    month = month_of(now)
    shuffle = secrets.SystemRandom().shuffle
    with audit_client_address(None), transaction.atomic():
        pending = list(PendingAnswer.objects.select_for_update())
        groups: dict[tuple, list[tuple[PendingAnswer, dict]]] = defaultdict(list)
        for row in pending:
            payload = pool_open(row.sealed)
            groups[tuple(payload[name] for name in GROUP_FIELDS)].append((row, payload))
        ready = [
            item
            for items in groups.values()
            if len(items) >= settings.FEEDBACK_POOL_BATCH_MIN
            for item in items
        ]
        if not ready:
            return 0
        shuffle(ready)
        responses = [
            FeedbackResponse(
                force_id=payload["force"],
                month=month,
                offence_group=payload["offence_group"],
                stage_group=payload["stage_group"],
                wave=payload["wave"],
                language=payload["language"],
                via=payload["via"],
                improve=payload["improve"],
                **{question: payload[question] for question in Question.values},
            )
            for _row, payload in ready
        ]
        FeedbackResponse.objects.bulk_create(responses)
        _counts_add(responses)
        PendingAnswer.objects.filter(
            pk__in=[row.pk for row, _payload in ready]
        ).delete()
        audit_record(
            actor=None,
            action=AuditAction.CREATE,
            object_type=ObjectType.FEEDBACK_BATCH,
            detail={"responses": len(responses)},
        )
    return len(responses)


COUNT_GROUP = ("force_id", "month", *GROUP_FIELDS[1:])


def _counts_add(responses: list[FeedbackResponse]) -> None:
    """Add newly written responses to their groups' counts (in the caller's
    transaction, so the counts never disagree with the responses)."""
    added: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for response in responses:
        cell = added[tuple(getattr(response, name) for name in COUNT_GROUP)]
        cell["responses"] += 1
        cell["comments"] += bool(response.improve)
        for question in Question.values:
            answer = getattr(response, question)
            cell[f"{question}_n"] += answer is not None
            cell[f"{question}_positive"] += answer is not None and answer >= 4
    for key, increments in added.items():
        group = dict(zip(COUNT_GROUP, key, strict=True))
        updated = FeedbackCount.objects.filter(**group).update(
            **{name: F(name) + value for name, value in increments.items()}
        )
        if not updated:
            FeedbackCount.objects.create(**group, **increments)


def _count_annotations() -> dict:
    annotations = {
        "responses": Count("id"),
        "comments": Count("id", filter=~Q(improve="")),
    }
    for question in Question.values:
        annotations[f"{question}_n"] = Count(question)
        annotations[f"{question}_positive"] = Count(
            "id", filter=Q(**{f"{question}__gte": 4})
        )
    return annotations


@transaction.atomic
def feedback_counts_rebuild() -> int:
    """Count every group again from the responses (after a bulk load of made-up
    responses, for the demo or the benchmark); return how many groups."""
    FeedbackCount.objects.all().delete()
    rows = (
        FeedbackResponse.objects.values(*COUNT_GROUP)
        .annotate(**_count_annotations())
        .order_by()
    )
    cells = [FeedbackCount(**row) for row in rows]
    FeedbackCount.objects.bulk_create(cells, batch_size=2000)
    return len(cells)
