"""Load a force with many cases into PostgreSQL quickly, with COPY.

Each case gets one victim and five timeline entries, as a realistic case would after
a few months; one case in ten has a conversation of ten messages between its victim
and the police, half of them ending in a victim's message still waiting. Rows are
written straight to the tables (no services, no audit rows): this is load for
measuring, not records anyone acts on.
"""

import datetime
import time

from django.db import connection, transaction
from django.utils import timezone

from cases.compliance import code_compliance_months_rebuild
from cases.constants import EntryKind, Stage
from cases.models import Case, Force

BENCH_FORCE_CODE = "bx"
STAGES = [stage.value for stage in Stage if stage not in (Stage.CLOSED, Stage.OUTCOME)]
TIMELINE_TEXTS = [
    "We recorded your report.",
    "An officer has been assigned to your case.",
    "We have asked nearby businesses for CCTV footage.",
    "We have spoken to a witness.",
    "The investigation is continuing; we will update you again soon.",
]


# One case in this many has a conversation, of this many messages.
CONVERSATION_EVERY = 10
CONVERSATION_MESSAGES = 10
MESSAGE_TEXTS = [
    "Hello. Has anyone looked at the doorbell camera next door yet?",
    "Hello. Yes, I collected the footage and I am going through it now.",
]


def bench_reference(number: int) -> str:
    return f"BX/{number:07d}/26"


def bench_email(number: int) -> str:
    return f"victim{number}@bench.example"


def bench_force() -> Force:
    force, _ = Force.objects.get_or_create(
        code=BENCH_FORCE_CODE,
        defaults={
            "name": "Benchmark Constabulary",
            "crime_reference_pattern": r"^BX\d{7}\d{2}$",
            "crime_reference_example": "BX/0000001/26",
            "contact_phone": "101",
            "contact_text": "Call 101 and quote your crime reference number.",
        },
    )
    return force


def _next_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608
        return cursor.fetchone()[0]


def _reset_sequence(table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
        )


def load_cases(count: int, *, officer_id: int | None = None) -> dict:
    """Add `count` cases (numbered after those already there) to the bench force.

    Return how many rows went into each table and how long it took.
    """
    if connection.vendor != "postgresql":
        raise RuntimeError("The bench data loader needs PostgreSQL (DATABASE_URL).")
    force = bench_force()
    started = time.perf_counter()
    first_number = Case.objects.filter(force=force).count() + 1
    now = timezone.now()
    today = timezone.localdate()
    with transaction.atomic():
        case_id = _next_id("cases_case")
        victim_id = _next_id("victims_victim")
        link_id = _next_id("victims_casevictim")
        entry_id = _next_id("cases_timelineentry")
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor, for COPY
            with raw.copy(
                "COPY cases_case (id, force_id, crime_reference, "
                "crime_reference_normalised, offence_category, victim_description, "
                "stage, outcome, closing_reason, closing_explanation, "
                "officer_in_charge_id, suspect_interviewed, summary_only, "
                "reported_on, closed_at, "
                "update_interval_days, next_update_due, created_at, updated_at) "
                "FROM STDIN"
            ) as copy:
                for offset in range(count):
                    number = first_number + offset
                    reference = bench_reference(number)
                    created = now - datetime.timedelta(minutes=number % 525_600)
                    copy.write_row(
                        (
                            case_id + offset, force.pk, reference,
                            reference.replace("/", ""), "burglary",
                            "Burglary at your home", STAGES[number % len(STAGES)],
                            "", "", "", officer_id, False, False,
                            today - datetime.timedelta(days=number % 365), None, 28,
                            created + datetime.timedelta(days=28), created, created,
                        )
                    )  # fmt: skip
            with raw.copy(
                "COPY victims_victim (id, force_id, external_reference, full_name, "
                "email, mobile, "
                "preferred_language, contact_preference, detail_by_email, "
                "detail_by_sms, discreet_messages, enhanced_rights, "
                "enhanced_rights_reason, portal_access_allowed, created_at, "
                "updated_at) FROM STDIN"
            ) as copy:
                for offset in range(count):
                    number = first_number + offset
                    copy.write_row(
                        (
                            victim_id + offset, force.pk, "", f"Bench Victim {number}",
                            bench_email(number), f"+4474{number % 100_000_000:08d}",
                            "en", "email", False, False, False, False, "", True,
                            now, now,
                        )
                    )  # fmt: skip
            with raw.copy(
                "COPY victims_casevictim (id, case_id, victim_id, created_at) "
                "FROM STDIN"
            ) as copy:
                for offset in range(count):
                    copy.write_row(
                        (link_id + offset, case_id + offset, victim_id + offset, now)
                    )
            with raw.copy(
                "COPY cases_timelineentry (id, case_id, kind, stage, victim_text, "
                "staff_note, visible_to_victim, occurred_at, recorded_at, "
                "recorded_by_id, recorded_by_label, code_deadline) FROM STDIN"
            ) as copy:
                for offset in range(count):
                    for step, text in enumerate(TIMELINE_TEXTS):
                        at = now - datetime.timedelta(days=30 - 6 * step)
                        copy.write_row(
                            (
                                entry_id + offset * 5 + step, case_id + offset,
                                EntryKind.CREATED if step == 0 else EntryKind.UPDATE,
                                "", text, "", True, at, at, officer_id,
                                "DC Bench", None,
                            )
                        )  # fmt: skip
            # A Victims' Code deadline for one case in five (its last entry taken
            # as the event): most told on time, some late, a few not yet told.
            clock_id = _next_id("cases_codeclock")
            with raw.copy(
                "COPY cases_codeclock (id, force_id, case_id, entry_id, kind, stage, "
                "officer_id, occurred_at, recorded_at, deadline, told_at, "
                "withdrawn_at) FROM STDIN"
            ) as copy:
                for offset in range(0, count, 5):
                    number = first_number + offset
                    at = now - datetime.timedelta(days=number % 360, hours=1)
                    deadline = at + datetime.timedelta(days=7)
                    told = (
                        None
                        if number % 20 == 0
                        else deadline + datetime.timedelta(days=2)
                        if number % 10 == 1
                        else at + datetime.timedelta(hours=2)
                    )
                    copy.write_row(
                        (
                            clock_id + offset // 5, force.pk, case_id + offset,
                            entry_id + offset * 5 + 4, "right_6_event", "charged",
                            officer_id, at, at, deadline, told, None,
                        )
                    )  # fmt: skip
            conversations = _load_conversations(
                raw,
                force_id=force.pk,
                first_number=first_number,
                count=count,
                case_id=case_id,
                victim_id=victim_id,
                now=now,
            )
        for table in (
            "cases_case",
            "victims_victim",
            "victims_casevictim",
            "cases_timelineentry",
            "cases_codeclock",
            "conversations_conversation",
            "conversations_message",
        ):
            _reset_sequence(table)
    # Rows written straight to the table: count their months as settling would.
    code_compliance_months_rebuild(force_id=force.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE cases_case; ANALYZE victims_victim; ANALYZE victims_casevictim; "
            "ANALYZE cases_timelineentry; ANALYZE cases_codeclock; "
            "ANALYZE cases_codecompliancemonth; ANALYZE conversations_conversation"
        )
        # As autovacuum does after a bulk insert (PostgreSQL 13 and later): it marks
        # the pages all-visible, so that the inbox counts from its index alone.
        cursor.execute("VACUUM ANALYZE conversations_message")
    return {
        "cases": count,
        "victims": count,
        "timeline_entries": count * 5,
        "conversations": conversations,
        "messages": conversations * CONVERSATION_MESSAGES,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _load_conversations(
    raw, *, force_id, first_number, count, case_id, victim_id, now
) -> int:
    """COPY a conversation of CONVERSATION_MESSAGES messages for every
    CONVERSATION_EVERY-th case: victim and police in turn, the police answering on
    time; in every other conversation the victim's last message still waits."""
    conversation_id = _next_id("conversations_conversation")
    message_id = _next_id("conversations_message")
    offsets = [
        offset
        for offset in range(count)
        if (first_number + offset) % CONVERSATION_EVERY == 0
    ]
    with raw.copy(
        "COPY conversations_conversation (id, force_id, case_id, victim_id, "
        "created_at, last_message_at, paused_at, paused_by_id, pause_reason) "
        "FROM STDIN"
    ) as copy:
        for index, offset in enumerate(offsets):
            copy.write_row(
                (
                    conversation_id + index, force_id, case_id + offset,
                    victim_id + offset, now, now, None, None, "",
                )
            )  # fmt: skip
    with raw.copy(
        "COPY conversations_message (id, conversation_id, force_id, case_id, "
        "author_kind, author_id, author_label, text, sent_at, reply_due_at, "
        "answered_at, answered_by_id, no_reply_reason, read_by_staff_at, "
        "read_by_victim_at, overdue_notified_at) FROM STDIN"
    ) as copy:
        for index, offset in enumerate(offsets):
            number = first_number + offset
            waiting = number % (2 * CONVERSATION_EVERY) == 0
            for step in range(CONVERSATION_MESSAGES):
                at = now - datetime.timedelta(
                    days=CONVERSATION_MESSAGES - step, minutes=number % 1000
                )
                # A waiting conversation starts with the police, so that it ends
                # with the victim's unanswered message.
                from_victim = step % 2 == (1 if waiting else 0)
                answered = (
                    at + datetime.timedelta(hours=4)
                    if from_victim
                    and not (waiting and step == CONVERSATION_MESSAGES - 1)
                    else None
                )
                copy.write_row(
                    (
                        message_id + index * CONVERSATION_MESSAGES + step,
                        conversation_id + index, force_id, case_id + offset,
                        "victim" if from_victim else "staff", None,
                        "" if from_victim else "DC Bench",
                        MESSAGE_TEXTS[0 if from_victim else 1], at,
                        at + datetime.timedelta(days=2) if from_victim else None,
                        answered, None, "", at if from_victim else None,
                        None if from_victim else at, None,
                    )
                )  # fmt: skip
    return len(offsets)
