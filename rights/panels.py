"""What the case page's rights area shows a victim: their latest request of each
kind, read in one query, and which right is offered first.

The rights area sits outside the case page's cached part, so a request made or
dealt with shows at once."""

from dataclasses import dataclass

from django.utils import timezone

from rights.constants import RightKind
from rights.eligibility import request_refusal
from rights.models import RightRequest
from victims.models import CaseVictim


@dataclass(frozen=True)
class RightsArea:
    latest: dict[str, RightRequest]
    personal_statement_open: bool
    support_referral_first: bool

    @property
    def personal_statement(self) -> RightRequest | None:
        return self.latest.get(RightKind.PERSONAL_STATEMENT)

    @property
    def support_referral(self) -> RightRequest | None:
        return self.latest.get(RightKind.SUPPORT_REFERRAL)

    @property
    def shows_personal_statement(self) -> bool:
        """From charge until sentence, and afterwards while a request is shown."""
        return self.personal_statement_open or self.personal_statement is not None


def rights_area(*, link: CaseVictim) -> RightsArea:
    """Return the rights area of `link`'s case page (one query)."""
    latest: dict[str, RightRequest] = {}
    requests = (
        RightRequest.objects.filter(case_id=link.case_id, victim_id=link.victim_id)
        .select_related("support_service", "acknowledge_clock", "done_clock")
        .order_by("-made_at", "-id")
    )
    for request in requests:
        latest.setdefault(request.kind, request)
    return RightsArea(
        latest=latest,
        personal_statement_open=request_refusal(
            kind=RightKind.PERSONAL_STATEMENT, case=link.case, now=timezone.now()
        )
        is None,
        # Enhanced rights: support is offered first (Victims' Code, Right 4).
        support_referral_first=link.victim.enhanced_rights,
    )
