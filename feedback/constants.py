"""Victim Voice: the waves a survey is offered in, the standard questions and their
answer scales, and the coarse groups a response is counted in."""

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.constants import ClosingReason, OffenceCategory, Stage
from trackmycrime.rate_limits import RateLimit

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Wave(models.TextChoices):
    """When the survey is offered: at most once per case per wave per victim."""

    CASE_PAGE = "case_page", _("Case page")
    SIGNED_OUT = "signed_out", _("After signing out")
    FIRST_UPDATE = "first_update", _("After the first update")
    DECISION = "decision", _("After a charge or no-further-action decision")
    CLOSURE = "closure", _("After the case closed")


# Which wave the case page offers first when several are open: the latest moment.
WAVE_PRIORITY = (Wave.CLOSURE, Wave.DECISION, Wave.FIRST_UPDATE, Wave.CASE_PAGE)
# Waves that follow a moment in the case and may be offered in a message.
MOMENT_WAVES = frozenset({Wave.FIRST_UPDATE, Wave.DECISION, Wave.CLOSURE})


class OfferState(models.TextChoices):
    OFFERED = "offered", _("Offered")
    ANSWERED = "answered", _("Answered")
    DISMISSED = "dismissed", _("Dismissed")


class Via(models.TextChoices):
    """How the victim came to answer: the invitation's channel, or the portal."""

    PORTAL = "portal", _("Portal, no invitation")
    EMAIL = "email", _("Email invitation")
    SMS = "sms", _("Text message invitation")


class OffenceGroup(models.TextChoices):
    """Offence categories grouped coarsely, so that a rare offence does not single
    a response out."""

    VIOLENCE = "violence", _("Violence, abuse and harassment")
    PROPERTY = "property", _("Burglary, theft and damage")
    FRAUD = "fraud", _("Fraud")
    OTHER = "other", _("Other")


OFFENCE_GROUPS: dict[str, str] = {
    OffenceCategory.BURGLARY: OffenceGroup.PROPERTY,
    OffenceCategory.THEFT: OffenceGroup.PROPERTY,
    OffenceCategory.VEHICLE: OffenceGroup.PROPERTY,
    OffenceCategory.CRIMINAL_DAMAGE: OffenceGroup.PROPERTY,
    OffenceCategory.ROBBERY: OffenceGroup.VIOLENCE,
    OffenceCategory.ASSAULT: OffenceGroup.VIOLENCE,
    OffenceCategory.DOMESTIC_ABUSE: OffenceGroup.VIOLENCE,
    OffenceCategory.SEXUAL_OFFENCE: OffenceGroup.VIOLENCE,
    OffenceCategory.HATE_CRIME: OffenceGroup.VIOLENCE,
    OffenceCategory.HARASSMENT: OffenceGroup.VIOLENCE,
    OffenceCategory.FRAUD: OffenceGroup.FRAUD,
    OffenceCategory.OTHER: OffenceGroup.OTHER,
}


class StageGroup(models.TextChoices):
    """Where the case was when the victim answered, coarsely."""

    INVESTIGATING = "investigating", _("Being investigated")
    COURT = "court", _("Charged or at court")
    OUTCOME = "outcome", _("Outcome reached")
    CLOSED_NFA = "closed_nfa", _("Closed: no further action")
    CLOSED_OTHER = "closed_other", _("Closed: other reasons")


NFA_REASONS = frozenset(
    {
        ClosingReason.NFA_EVIDENTIAL,
        ClosingReason.NFA_PUBLIC_INTEREST,
        ClosingReason.NO_SUSPECT,
        ClosingReason.NOT_INVESTIGATED,
    }
)


def stage_group(stage: str, closing_reason: str) -> str:
    if stage in (Stage.CHARGED, Stage.AWAITING_COURT, Stage.AT_COURT):
        return StageGroup.COURT
    if stage == Stage.OUTCOME:
        return StageGroup.OUTCOME
    if stage == Stage.CLOSED:
        if closing_reason in NFA_REASONS:
            return StageGroup.CLOSED_NFA
        return StageGroup.CLOSED_OTHER
    return StageGroup.INVESTIGATING


# The answer scales, stored as 5 (best) to 1 (worst). 4 and 5 count as positive.
SATISFACTION_CHOICES: list[tuple[int, "StrOrPromise"]] = [
    (5, _("Very satisfied")),
    (4, _("Satisfied")),
    (3, _("Neither satisfied nor dissatisfied")),
    (2, _("Dissatisfied")),
    (1, _("Very dissatisfied")),
]
AGREEMENT_CHOICES: list[tuple[int, "StrOrPromise"]] = [
    (5, _("Strongly agree")),
    (4, _("Agree")),
    (3, _("Neither agree nor disagree")),
    (2, _("Disagree")),
    (1, _("Strongly disagree")),
]
POSITIVE_FROM = 4


class Question(models.TextChoices):
    """The standard wordings (GOV.UK's satisfaction question and the statements
    other police surveys use), so that the results compare with theirs."""

    OVERALL = "overall", _("Overall, how did you feel about the service you received?")
    INFORMED = "informed", _("I have been kept informed of the progress of my case")
    FAIRNESS = "fairness", _("I was treated with fairness and respect")
    CONTACT = "contact", _("It was easy to contact the police about my case")


IMPROVE_QUESTION = _("How could we improve this service?")
IMPROVE_MAX_LENGTH = 1200

# No table shows a figure counted from fewer responses than this (the pool's batch
# size is settings.FEEDBACK_POOL_BATCH_MIN).
SUPPRESS_BELOW = 10
EXPORT_ROUNDING = 5

# How long the signed-out page's offer of the survey lasts: the token it carries
# (feedback.services.feedback_signed_out_token) is refused after this.
SIGNED_OUT_TOKEN_SECONDS = 10 * 60

SUBMIT_LIMITS = (
    RateLimit(counter="feedback_submit", scope="ip", hits=20, seconds=60 * 60),
)
