"""Demo data for a newcomer: one force, its staff, and a dozen cases at every stage.

Running it again changes nothing: each record is looked up before it is made.
"""

import contextlib
import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.constants import StaffGroup
from accounts.models import User
from accounts.services import staff_create, staff_second_factor_issue
from cases.constants import ClosingReason, OffenceCategory, Outcome, Stage
from cases.models import Case, Force, SupportService, normalise_crime_reference
from cases.services import (
    case_add_update,
    case_agree_updates,
    case_change_stage,
    case_create,
)
from conversations.services import message_send_by_staff, message_send_by_victim
from victims.constants import ContactPreference, EnhancedRightsReason
from victims.membership import case_add_victim
from victims.models import Victim
from victims.services import victim_create

DEMO_PASSWORD = "demo-password-local-only"  # noqa: S105 - printed for local use only

STAFF = [
    ("demo.admin", "Alex", "Morgan", "Inspector", StaffGroup.FORCE_ADMINISTRATOR),
    ("demo.supervisor", "Priya", "Shah", "Detective Sergeant", StaffGroup.SUPERVISOR),
    ("demo.officer", "Sam", "Okafor", "Detective Constable", StaffGroup.OFFICER),
    ("demo.officer2", "Jo", "Evans", "Police Constable", StaffGroup.OFFICER),
]

# (reference, category, description, victim (name, email, mobile, preference,
#  enhanced reason), stages to move through, officer)
CASES = [
    (
        "NS/10001/26",
        OffenceCategory.BURGLARY,
        "Burglary at your home",
        (
            "Aisha Khan",
            "aisha.khan@example.com",
            "+447400123301",
            ContactPreference.EMAIL_AND_SMS,
            "",
        ),
        [],
        "demo.officer",
    ),
    (
        "NS/10002/26",
        OffenceCategory.VEHICLE,
        "Theft of your car",
        ("Tom Hughes", "tom.hughes@example.com", "", ContactPreference.EMAIL, ""),
        [Stage.UNDER_INVESTIGATION],
        "demo.officer",
    ),
    (
        "NS/10003/26",
        OffenceCategory.ASSAULT,
        "Assault outside a pub",
        (
            "Marek Nowak",
            "marek.nowak@example.com",
            "+447400123303",
            ContactPreference.SMS,
            "",
        ),
        [Stage.UNDER_INVESTIGATION, Stage.SUSPECT_IDENTIFIED],
        "demo.officer2",
    ),
    (
        "NS/10004/26",
        OffenceCategory.DOMESTIC_ABUSE,
        "Report of domestic abuse",
        (
            "Chloe Bennett",
            "chloe.bennett@example.com",
            "",
            ContactPreference.EMAIL,
            EnhancedRightsReason.SERIOUS_CRIME,
        ),
        [Stage.UNDER_INVESTIGATION, Stage.SUSPECT_ARRESTED],
        "demo.officer",
    ),
    (
        "NS/10005/26",
        OffenceCategory.ROBBERY,
        "Robbery of your phone",
        (
            "Daniel Price",
            "daniel.price@example.com",
            "+447400123305",
            ContactPreference.EMAIL_AND_SMS,
            "",
        ),
        [Stage.UNDER_INVESTIGATION, Stage.SUSPECT_ARRESTED, Stage.SUSPECT_RELEASED],
        "demo.officer2",
    ),
    (
        "NS/10006/26",
        OffenceCategory.HATE_CRIME,
        "Hate crime on a bus",
        (
            "Yusuf Ali",
            "yusuf.ali@example.com",
            "+447400123306",
            ContactPreference.EMAIL_AND_SMS,
            EnhancedRightsReason.SERIOUS_CRIME,
        ),
        [Stage.UNDER_INVESTIGATION, Stage.SUSPECT_ARRESTED, Stage.CHARGED],
        "demo.officer",
    ),
    (
        "NS/10007/26",
        OffenceCategory.THEFT,
        "Theft from a shop you work in",
        ("Grace Taylor", "grace.taylor@example.com", "", ContactPreference.EMAIL, ""),
        [
            Stage.UNDER_INVESTIGATION,
            Stage.SUSPECT_ARRESTED,
            Stage.CHARGED,
            Stage.AWAITING_COURT,
        ],
        "demo.officer2",
    ),
    (
        "NS/10008/26",
        OffenceCategory.HARASSMENT,
        "Harassment by a neighbour",
        (
            "Oliver Smith",
            "oliver.smith@example.com",
            "+447400123308",
            ContactPreference.SMS,
            EnhancedRightsReason.PERSISTENTLY_TARGETED,
        ),
        [
            Stage.UNDER_INVESTIGATION,
            Stage.SUSPECT_ARRESTED,
            Stage.CHARGED,
            Stage.AWAITING_COURT,
            Stage.AT_COURT,
        ],
        "demo.officer",
    ),
    (
        "NS/10009/26",
        OffenceCategory.FRAUD,
        "Online shopping fraud",
        ("Ewa Kowalska", "ewa.kowalska@example.com", "", ContactPreference.EMAIL, ""),
        [
            Stage.UNDER_INVESTIGATION,
            Stage.SUSPECT_ARRESTED,
            Stage.CHARGED,
            Stage.AWAITING_COURT,
            Stage.AT_COURT,
            Stage.OUTCOME,
        ],
        "demo.officer2",
    ),
    (
        "NS/10010/26",
        OffenceCategory.CRIMINAL_DAMAGE,
        "Damage to your front door",
        ("Harry Wilson", "harry.wilson@example.com", "", ContactPreference.EMAIL, ""),
        [Stage.UNDER_INVESTIGATION, Stage.CLOSED],
        "demo.officer",
    ),
    (
        "NS/10011/26",
        OffenceCategory.ASSAULT,
        "Assault at a train station",
        (
            "Fatima Begum",
            "fatima.begum@example.com",
            "+447400123311",
            ContactPreference.EMAIL_AND_SMS,
            "",
        ),
        [Stage.UNDER_INVESTIGATION, Stage.SUSPECT_ARRESTED, Stage.CLOSED],
        "demo.officer2",
    ),
    (
        "NS/10012/26",
        OffenceCategory.SEXUAL_OFFENCE,
        "Report of a sexual offence",
        (
            "Rachel Green",
            "",
            "",
            ContactPreference.NONE,
            EnhancedRightsReason.SERIOUS_CRIME,
        ),
        [Stage.UNDER_INVESTIGATION],
        "demo.officer",
    ),
]

# A case whose agreed updates are late, and two events recorded after the Victims'
# Code deadline, so the overdue filter and the compliance figures show something.
UPDATE_INTERVALS = {"NS/10003/26": 7}
# Right 6: victims who agreed online how often and how they hear (weeks, channels).
AGREED_UPDATES = {"NS/10002/26": (2, ["email"])}
LATE_RECORDING = {
    ("NS/10005/26", Stage.SUSPECT_RELEASED): datetime.timedelta(days=8),
    ("NS/10006/26", Stage.CHARGED): datetime.timedelta(days=3),
}
CLOSING_EXPLANATION = (
    "There is not enough evidence for a realistic prospect of conviction."
)

STAGE_MESSAGES = {
    Stage.UNDER_INVESTIGATION: "An officer has been assigned and is looking at the "
    "evidence, including any CCTV.",
    Stage.SUSPECT_IDENTIFIED: "We have identified someone we would like to speak to.",
    Stage.SUSPECT_ARRESTED: "A suspect was arrested and interviewed today.",
    Stage.SUSPECT_RELEASED: "The suspect was released on bail with conditions not "
    "to contact you while we continue to investigate.",
    Stage.CHARGED: "The suspect has been charged. The Witness Care Unit will contact "
    "you.",
    Stage.AWAITING_COURT: "The first court hearing is being arranged.",
    Stage.AT_COURT: "The trial has started at the magistrates' court.",
    Stage.OUTCOME: "The defendant was found guilty.",
    Stage.CLOSED: "We have closed the case.",
}


class Command(BaseCommand):
    help = "Create demo data (a force, staff and a dozen cases) for local use."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even with DEBUG off (never on a live service).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError(
                "seed_demo creates accounts with a published password; it runs only "
                "with DEBUG=true (or --allow-production on a throwaway copy)."
            )
        with transaction.atomic():
            force = self._force()
            staff = {row[0]: self._staff(force, *row) for row in STAFF}
            created = sum(self._case(force, staff, *row) for row in CASES)
            feedback = self._feedback(force)
        lines = [
            f"Demo data ready ({created} new cases, {len(CASES)} in all; "
            f"{feedback} demo feedback responses).",
            "",
            "Back office: http://127.0.0.1:8000/admin/",
            f"Password for every demo account: {DEMO_PASSWORD}",
            "Second factor: enter a backup code (each works once) in 'OTP Token'.",
        ]
        for username, user in staff.items():
            _uri, codes = staff_second_factor_issue(user)
            lines.append(f"  {username:<16} backup code {codes[0]}")
        lines += ["", *self._victim_sign_in_help()]
        self.stdout.write("\n".join(lines))

    def _feedback(self, force: Force) -> int:
        """Made-up Victim Voice responses, once, so that the dashboard and
        /how-we-are-doing/ have figures; then publish them."""
        from feedback.analysis import feedback_snapshots_refresh
        from feedback.demo import demo_responses
        from feedback.models import FeedbackResponse
        from feedback.services import feedback_counts_rebuild

        if not FeedbackResponse.objects.filter(force=force).exists():
            FeedbackResponse.objects.bulk_create(
                demo_responses(force_id=force.pk, count=600, seed=force.pk)
            )
            feedback_counts_rebuild()
        feedback_snapshots_refresh()
        return FeedbackResponse.objects.filter(force=force).count()

    def _victim_sign_in_help(self) -> list[str]:
        """How to sign in to the victim portal as the first demo case's victim."""
        reference, _category, _description, victim, *_rest = CASES[0]
        _name, email, mobile, *_ = victim
        if settings.NOTIFICATIONS_EMAIL_PROVIDER == "file":
            outbox = Path(settings.NOTIFICATIONS_OUTBOX_DIR)
            with contextlib.suppress(ValueError):
                outbox = outbox.relative_to(settings.BASE_DIR)
            where = f"as the newest .json file in {outbox}/"
        else:
            where = f"by the {settings.NOTIFICATIONS_EMAIL_PROVIDER} email provider"
        return [
            "Victim portal: http://127.0.0.1:8000/",
            f"Sign in as a demo victim with crime reference {reference} and "
            f"{email} (or {mobile}).",
            f"The security code arrives {where}.",
        ]

    def _force(self) -> Force:
        force, created = Force.objects.get_or_create(
            code="ns",
            defaults={
                "name": "Northshire Police",
                "crime_reference_pattern": r"^NS\d{5}\d{2}$",
                "crime_reference_example": "NS/01234/26",
                "contact_phone": "101",
                "contact_url": "https://www.northshire.police.example/contact",
                "contact_text": "Call 101, or 999 in an emergency. Quote your crime "
                "reference number.",
            },
        )
        if created:
            SupportService.objects.create(
                force=force,
                name="Northshire Victim Care",
                description="Free, confidential support for anyone affected by crime "
                "in Northshire, whether or not you reported it.",
                phone="0800 000 0000",
                url="https://www.northshire-victim-care.example/",
            )
        return force

    def _staff(self, force, username, first_name, last_name, rank, group) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user, _password = staff_create(
                username=username,
                force=force,
                group=group,
                password=DEMO_PASSWORD,
                first_name=first_name,
                last_name=last_name,
                rank=rank,
            )
        return user

    def _case(
        self,
        force,
        staff,
        reference,
        category,
        description,
        victim_data,
        stages,
        officer,
    ) -> bool:
        """Replay a case's history through the services at the times it happened, so
        timelines, audit rows and Victims' Code deadlines are as they would be."""
        if Case.objects.filter(
            force=force, crime_reference_normalised=normalise_crime_reference(reference)
        ).exists():
            return False
        actor = staff[officer]
        name, email, mobile, preference, enhanced_reason = victim_data
        reported = timezone.now() - datetime.timedelta(days=10 + 9 * len(stages))
        case = case_create(
            force=force,
            crime_reference=reference,
            offence_category=category,
            victim_description=description,
            officer_in_charge=actor,
            reported_on=timezone.localdate(reported),
            update_interval_days=UPDATE_INTERVALS.get(reference, 28),
            actor=actor,
            recorded_at=reported,
        )
        victim = Victim.objects.filter(force=force, full_name=name).first()
        if victim is None:
            victim = victim_create(
                force=force,
                actor=actor,
                full_name=name,
                email=email,
                mobile=mobile,
                contact_preference=preference,
                enhanced_rights=bool(enhanced_reason),
                enhanced_rights_reason=enhanced_reason,
            )
        link = case_add_victim(case=case, victim=victim, actor=actor)
        for step, stage in enumerate(stages):
            happened = reported + datetime.timedelta(days=9 * (step + 1))
            delay = LATE_RECORDING.get((reference, stage), datetime.timedelta(hours=3))
            case_change_stage(
                case=case,
                stage=stage,
                actor=actor,
                victim_text=STAGE_MESSAGES[stage],
                occurred_at=happened,
                recorded_at=happened + delay,
                outcome=Outcome.CONVICTED if stage == Stage.OUTCOME else "",
                closing_reason=_closing_reason(stage, stages),
                closing_explanation=CLOSING_EXPLANATION
                if stage == Stage.CLOSED
                else "",
            )
        if stages and stages[-1] == Stage.UNDER_INVESTIGATION:
            case_add_update(
                case=case,
                actor=actor,
                victim_text="We have asked nearby businesses for CCTV footage.",
            )
        _demo_conversation(case, link, actor)
        if reference in AGREED_UPDATES:
            weeks, channels = AGREED_UPDATES[reference]
            case_agree_updates(link=link, interval_weeks=weeks, channels=channels)
        return True


# Messages between a case's victim and its officer: (days ago, from the victim?,
# text). The last case's question is left waiting past the reply time, so that the
# inbox, "My work" and the compliance page show an overdue message.
CONVERSATIONS = {
    "NS/10001/26": [
        (6, True, "Hello. Has anyone looked at the doorbell camera next door yet?"),
        (
            5,
            False,
            "Hello Aisha. Yes, I collected the footage yesterday and I am going "
            "through it now. I will let you know what it shows.",
        ),
        (1, True, "Thank you. Do you need anything else from me?"),
    ],
    "NS/10002/26": [
        (
            8,
            True,
            "My car had a tracker fitted. Can I send you the company's details?",
        ),
    ],
}


def _demo_conversation(case: Case, link, officer: User) -> None:
    for days_ago, from_victim, text in CONVERSATIONS.get(case.crime_reference, []):
        at = timezone.now() - datetime.timedelta(days=days_ago)
        if from_victim:
            message_send_by_victim(link=link, text=text, sent_at=at)
        else:
            message_send_by_staff(
                case=case,
                victim_id=link.victim_id,
                text=text,
                actor=officer,
                officer=officer,
                sent_at=at,
            )


def _closing_reason(stage: str, stages: list[str]) -> str:
    if stage != Stage.CLOSED:
        return ""
    if Stage.SUSPECT_ARRESTED in stages:
        return ClosingReason.NFA_EVIDENTIAL
    return ClosingReason.NO_SUSPECT
