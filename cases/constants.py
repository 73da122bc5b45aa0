from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from trackmycrime.rate_limits import RateLimit

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Stage(models.TextChoices):
    """The stages of a case, labelled as a victim reads them (DOMAIN.md)."""

    REPORTED = "reported", _("Reported")
    UNDER_INVESTIGATION = "under_investigation", _("Under investigation")
    SUSPECT_IDENTIFIED = "suspect_identified", _("Suspect identified")
    SUSPECT_ARRESTED = "suspect_arrested", _("Suspect arrested or interviewed")
    SUSPECT_RELEASED = (
        "suspect_released",
        _("Suspect released on bail or under investigation"),
    )
    CHARGED = "charged", _("Charged")
    AWAITING_COURT = "awaiting_court", _("Awaiting court")
    AT_COURT = "at_court", _("At court")
    OUTCOME = "outcome", _("Outcome")
    CLOSED = "closed", _("Closed")


# A closed case only moves again by being reopened, into investigation; an outcome
# only leads to closing. Any other move is allowed: investigations go back and forth.
REOPEN_STAGE = Stage.UNDER_INVESTIGATION


def stage_move_error(current: str, new: str) -> "StrOrPromise | None":
    """Return why a case cannot move from `current` to `new`, or None if it can."""
    if current == new:
        return _("The case is already at this stage.")
    if current == Stage.CLOSED and new != REOPEN_STAGE:
        return _("A closed case can only be reopened, to 'Under investigation'.")
    if current == Stage.OUTCOME and new not in (Stage.CLOSED,):
        return _("A case with an outcome can only be closed.")
    return None


def stage_move_is_backward(current: str, new: str) -> bool:
    """Return whether moving from `current` to `new` goes back (or reopens a closed
    case): victims will read it on their timeline for good, so staff confirm it."""
    order = list(Stage.values)
    if current not in order or new not in order:
        return False
    return order.index(new) < order.index(current)


# Stages whose news the Victims' Code says a victim must be given within a deadline
# (Right 6): arrest or interview, release, charge, and a decision to close.
CODE_NOTIFIABLE_STAGES = frozenset(
    {
        Stage.SUSPECT_ARRESTED,
        Stage.SUSPECT_RELEASED,
        Stage.CHARGED,
        Stage.OUTCOME,
        Stage.CLOSED,
    }
)
CODE_DEADLINE_WORKING_DAYS = 5
CODE_DEADLINE_WORKING_DAYS_ENHANCED = 1


class CodeClockKind(models.TextChoices):
    """The Victims' Code deadlines the service measures. Other rights add theirs."""

    RIGHT_6_EVENT = "right_6_event", _("Right 6: told of a step in the investigation")
    # Met when staff record the step (rights.services), not from messages.
    REVIEW_ACKNOWLEDGED = "review_acknowledged", _("Right to Review: acknowledged")
    REVIEW_DECIDED = "review_decided", _("Right to Review: decided")
    PERSONAL_STATEMENT_CONTACT = (
        "personal_statement_contact",
        _("Right 7: victim contacted about a personal statement"),
    )
    SUPPORT_REFERRAL_MADE = (
        "support_referral_made",
        _("Right 4: referred to support"),
    )
    COMPLAINT_ANSWERED = (
        "complaint_answered",
        _("Right 12: complaint acknowledged or answered"),
    )


class Outcome(models.TextChoices):
    CONVICTED = "convicted", _("Convicted")
    ACQUITTED = "acquitted", _("Found not guilty")
    OUT_OF_COURT = "out_of_court", _("Resolved out of court")


class ClosingReason(models.TextChoices):
    NFA_EVIDENTIAL = (
        "nfa_evidential",
        _("No further action: there is not enough evidence to charge"),
    )
    NFA_PUBLIC_INTEREST = (
        "nfa_public_interest",
        _("No further action: a prosecution is not in the public interest"),
    )
    NO_SUSPECT = "no_suspect", _("No suspect could be identified")
    VICTIM_WITHDREW = (
        "victim_withdrew",
        _("You told us you did not want the investigation to continue"),
    )
    OUTCOME_REACHED = "outcome_reached", _("The case has reached its outcome")
    NOT_INVESTIGATED = "not_investigated", _("We decided not to investigate further")


# The Victims' Right to Review applies when police decide not to proceed after a
# suspect was interviewed under caution.
RIGHT_TO_REVIEW_REASONS = frozenset(
    {ClosingReason.NFA_EVIDENTIAL, ClosingReason.NFA_PUBLIC_INTEREST}
)


class OffenceCategory(models.TextChoices):
    BURGLARY = "burglary", _("Burglary")
    THEFT = "theft", _("Theft")
    VEHICLE = "vehicle", _("Vehicle crime")
    CRIMINAL_DAMAGE = "criminal_damage", _("Criminal damage")
    ASSAULT = "assault", _("Assault")
    DOMESTIC_ABUSE = "domestic_abuse", _("Domestic abuse")
    SEXUAL_OFFENCE = "sexual_offence", _("Sexual offence")
    HATE_CRIME = "hate_crime", _("Hate crime")
    FRAUD = "fraud", _("Fraud")
    ROBBERY = "robbery", _("Robbery")
    HARASSMENT = "harassment", _("Harassment or stalking")
    OTHER = "other", _("Other")


class EntryKind(models.TextChoices):
    CREATED = "created", _("Case recorded")
    STAGE_CHANGE = "stage_change", _("Stage changed")
    UPDATE = "update", _("Update")
    CORRECTION = "correction", _("Correction")


# What each stage means and what usually happens next, for the victim's case page.
STAGE_EXPLANATIONS: dict[str, tuple["StrOrPromise", "StrOrPromise"]] = {
    Stage.REPORTED: (
        _("We have recorded your report."),
        _("An officer will look at what you told us and decide how to investigate."),
    ),
    Stage.UNDER_INVESTIGATION: (
        _("Officers are investigating what happened."),
        _("They may gather evidence, speak to witnesses and look for a suspect."),
    ),
    Stage.SUSPECT_IDENTIFIED: (
        _("Officers have identified someone they believe may be responsible."),
        _("They will decide whether to arrest or interview that person."),
    ),
    Stage.SUSPECT_ARRESTED: (
        _("A suspect has been arrested or interviewed under caution."),
        _(
            "Police will decide whether to charge them, release them, or take no "
            "further action."
        ),
    ),
    Stage.SUSPECT_RELEASED: (
        _(
            "The suspect has been released on bail or while the investigation "
            "continues."
        ),
        _(
            "Officers continue to investigate. If bail conditions change, we will "
            "tell you."
        ),
    ),
    Stage.CHARGED: (
        _("The suspect has been charged with an offence."),
        _(
            "The case will go to court. The Witness Care Unit will contact you about "
            "dates."
        ),
    ),
    Stage.AWAITING_COURT: (
        _("The case is waiting for a court hearing."),
        _("You will be told the date of any hearing, and whether you need to attend."),
    ),
    Stage.AT_COURT: (
        _("The case is being heard in court."),
        _("You will be told the result of the hearing."),
    ),
    Stage.OUTCOME: (
        _("The case has an outcome."),
        _("You will be told what the outcome means and whether you can appeal."),
    ),
    Stage.CLOSED: (
        _("The case is closed."),
        _("If new information comes to light, the case can be reopened."),
    ),
}


# Right 6: how often and how a victim hears from the police, agreed online.
# Intervals are whole weeks, counted in calendar days from the last update the
# victims could see (as a staff-set interval is): "every 4 weeks" means 28 days,
# whether or not a bank holiday falls in them.
DEFAULT_UPDATE_INTERVAL_WEEKS = (2, 4, 8)
# Plenty to change one's mind; too few to churn the case's clock.
UPDATE_AGREEMENT_LIMITS = (
    RateLimit(counter="update_agreement", scope="victim", hits=10, seconds=24 * 3600),
)
UPDATE_AGREEMENT_ERRORS: "dict[str, StrOrPromise]" = {
    "closed": _(
        "Your case is closed, so there are no more updates planned. If it is "
        "reopened, we will tell you."
    ),
    "interval": _("Select how often you want to hear from us"),
    "channels": _("Select how you want to hear from us"),
    "channels_and_none": _(
        "Select how you want to hear from us, or that you do not want messages, "
        "not both"
    ),
    "rate_limited": _(
        "You have changed this a lot today, so you cannot change it again until "
        "tomorrow. If you need to change it sooner, contact the officer dealing "
        "with your case."
    ),
}
