"""What a victim can ask for under the Victims' Code, and the clock each request
starts (DOMAIN.md, "Every clock a case can carry")."""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.constants import CodeClockKind
from trackmycrime.languages import lazy_filled
from trackmycrime.rate_limits import RateLimit

# The victim's own words, for a review or a complaint.
TEXT_MAX_LENGTH = 5000
# Months a victim has to ask for a review: from being told of the decision, and
# (summary-only offences) from the incident too.
REVIEW_MONTHS_FROM_TOLD = 3
REVIEW_MONTHS_FROM_INCIDENT_SUMMARY_ONLY = 6
# Requests one victim may make: plenty for every right, too few to flood a force.
VICTIM_REQUEST_LIMITS = (
    RateLimit(counter="victim_right_request", scope="victim", hits=5, seconds=3600),
    RateLimit(
        counter="victim_right_request", scope="victim", hits=20, seconds=24 * 3600
    ),
)


class RightKind(models.TextChoices):
    REVIEW = "review", _("Review of a decision not to take the case further")
    PERSONAL_STATEMENT = "personal_statement", _("Victim Personal Statement")
    SUPPORT_REFERRAL = "support_referral", _("Referral to a support service")
    COMPLAINT = "complaint", _("Complaint about the service")


class RequestStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    DONE = "done", _("Dealt with")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# A request still waiting for the police: one of each kind per victim and case.
OPEN_STATUSES = (RequestStatus.RECEIVED, RequestStatus.ACKNOWLEDGED)


class RequestOutcome(models.TextChoices):
    """How a request ended, per kind (OUTCOMES_BY_KIND)."""

    UPHELD = "upheld", _("The decision was upheld")
    OVERTURNED = "overturned", _("The decision was overturned")
    STATEMENT_TAKEN = "statement_taken", _("Statement taken")
    REFERRED = "referred", _("Referred")
    ANSWERED = "answered", _("Answered")


OUTCOMES_BY_KIND: dict[str, tuple[str, ...]] = {
    RightKind.REVIEW: (RequestOutcome.UPHELD, RequestOutcome.OVERTURNED),
    RightKind.PERSONAL_STATEMENT: (RequestOutcome.STATEMENT_TAKEN,),
    RightKind.SUPPORT_REFERRAL: (RequestOutcome.REFERRED,),
    RightKind.COMPLAINT: (RequestOutcome.ANSWERED,),
}


class ReplyChannel(models.TextChoices):
    """How the victim wants to hear back: the portal, or one of their channels."""

    PORTAL = "portal", _("In this service only")
    EMAIL = "email", _("By email")
    SMS = "sms", _("By text message")
    PHONE = "phone", _("By phone")


@dataclass(frozen=True)
class ClockRule:
    """A Code deadline a request starts: `kind` is met when the request is
    acknowledged (or dealt with, which acknowledges it too) or only when it is
    dealt with, within `working_days` of the request."""

    kind: str
    step: str  # RequestStatus.ACKNOWLEDGED or RequestStatus.DONE
    working_days: int


CLOCK_RULES: dict[str, tuple[ClockRule, ...]] = {
    RightKind.REVIEW: (
        ClockRule(CodeClockKind.REVIEW_ACKNOWLEDGED, RequestStatus.ACKNOWLEDGED, 10),
        ClockRule(CodeClockKind.REVIEW_DECIDED, RequestStatus.DONE, 30),
    ),
    # The working days are the force's setting (Force.vps_contact_working_days).
    RightKind.PERSONAL_STATEMENT: (
        ClockRule(
            CodeClockKind.PERSONAL_STATEMENT_CONTACT, RequestStatus.ACKNOWLEDGED, 5
        ),
    ),
    RightKind.SUPPORT_REFERRAL: (
        ClockRule(CodeClockKind.SUPPORT_REFERRAL_MADE, RequestStatus.DONE, 2),
    ),
    RightKind.COMPLAINT: (
        ClockRule(CodeClockKind.COMPLAINT_ANSWERED, RequestStatus.ACKNOWLEDGED, 10),
    ),
}

# Why a request cannot be made, in words for the victim (eligibility and services).
REFUSALS = {
    "not_eligible": _("You cannot make this request for this case."),
    "window_closed": _("The time to ask for a review of this decision has passed."),
    "not_yet_charged": _(
        "You can ask to make a Victim Personal Statement once someone has been "
        "charged. We will tell you when that happens."
    ),
    "sentenced": _(
        "It is too late to make or add to a Victim Personal Statement here, "
        "because the case has reached its outcome. If you have something to tell "
        "the court, contact the officer in charge of your case."
    ),
    "no_safe_contact": _(
        "You told us there is no safe way to contact you, so we cannot pass your "
        "details to a service to contact you. You can contact a service yourself: "
        "their details are on the page about your rights and support."
    ),
    "duplicate": _(
        "You have already made this request. We will tell you when there is news."
    ),
    "too_long": lazy_filled(
        _("Your answer must be %(limit)s characters or fewer."), limit=TEXT_MAX_LENGTH
    ),
    "empty": _("Enter your answer."),
    "reply_channel": _("Choose how you would like to hear back from us."),
    "rate_limited": _(
        "You have made a lot of requests recently, so you cannot make another one "
        "yet. Try again later. If you need to speak to someone sooner, contact us. "
        "In an emergency, call 999."
    ),
}
