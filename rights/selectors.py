import datetime
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case
from rights.constants import RequestOutcome, RightKind
from rights.eligibility import ReviewWindow, request_refusal, review_window
from rights.models import RightRequest


@dataclass(frozen=True)
class Step:
    """One step of a request, as the victim reads it on their case page."""

    title: str
    occurred_at: datetime.datetime
    text: str = ""


@dataclass
class RightsPage:
    """What the case page's rights panels show a signed-in victim."""

    latest: dict[str, RightRequest] = field(default_factory=dict)
    steps: dict[str, list[Step]] = field(default_factory=dict)
    refusals: dict[str, str | None] = field(default_factory=dict)
    review: ReviewWindow | None = None


def rights_for_case_page(*, case: Case, victim_id: int) -> RightsPage:
    """Return the victim's latest request of each kind on the case, why each kind
    cannot be asked for now, and the review window. Two queries, three with a
    review window."""
    now = timezone.now()
    page = RightsPage()
    for request in (
        RightRequest.objects.filter(case_id=case.pk, victim_id=victim_id)
        # The panels show the deadlines and the chosen service.
        .select_related("acknowledge_clock", "done_clock", "support_service")
        .order_by("made_at", "id")
    ):
        page.latest[request.kind] = request
    for kind, request in page.latest.items():
        page.steps[kind] = request_steps(request)
    page.review = review_window(case)
    for kind in RightKind.values:
        page.refusals[kind] = request_refusal(kind=kind, case=case, now=now)
    return page


def request_steps(request: RightRequest) -> list[Step]:
    """Return what has happened to the request, newest first, in the victim's
    words: never who in the force dealt with it."""
    steps = [Step(_("We received your request"), request.made_at)]
    if request.acknowledged_at and request.acknowledged_at != request.done_at:
        steps.append(
            Step(
                _("We acknowledged your request"),
                request.acknowledged_at,
                _("Someone is now dealing with it."),
            )
        )
    if request.done_at:
        steps.append(
            Step(_outcome_title(request.outcome), request.done_at, request.outcome_note)
        )
    return steps[::-1]


def _outcome_title(outcome: str) -> str:
    titles: dict[str, str] = {
        RequestOutcome.UPHELD: _("The review found the decision was right"),
        RequestOutcome.OVERTURNED: _(
            "The review found the decision was wrong: the investigation is reopened"
        ),
        RequestOutcome.STATEMENT_TAKEN: _("Your statement was taken"),
        RequestOutcome.REFERRED: _("We referred you for support"),
        RequestOutcome.ANSWERED: _("We answered your complaint"),
    }
    return titles.get(outcome, _("We dealt with your request"))
