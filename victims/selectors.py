"""Reads for the victim portal, each one shaped so a page makes a fixed number of
queries however long the case's history grows."""

from django.db.models import QuerySet
from django.db.models.functions import Lower

from cases.models import SupportService, TimelineEntry
from victims.models import CaseVictim


def portal_case_link(*, victim_id: int, case_id: int) -> CaseVictim | None:
    """Return the victim's link to the case, with the victim, case, force and officer,
    if the victim is still on the case and may still use the portal."""
    return (
        CaseVictim.objects.select_related(
            "victim", "case__force", "case__officer_in_charge"
        )
        .filter(
            victim_id=victim_id,
            case_id=case_id,
            victim__portal_access_allowed=True,
        )
        .first()
    )


def sign_in_matches(*, reference: str, contact: str) -> QuerySet[CaseVictim]:
    """Return the links between a case with this normalised crime reference and a
    victim with portal access whose email address or mobile number is `contact`.

    Whether that contact is a channel the victim said is safe is for the caller.
    """
    links = CaseVictim.objects.select_related("victim", "case").filter(
        case__crime_reference_normalised=reference,
        victim__portal_access_allowed=True,
    )
    if "@" in contact:
        links = links.alias(email_lower=Lower("victim__email")).filter(
            email_lower=contact.lower()
        )
    else:
        links = links.filter(victim__mobile=contact)
    return links.order_by("case_id", "victim_id")


def victim_timeline(*, case_id: int) -> list[TimelineEntry]:
    """Return the updates a victim may see on the case, newest first."""
    return list(
        TimelineEntry.objects.filter(case_id=case_id, visible_to_victim=True)
        .only("id", "kind", "stage", "victim_text", "occurred_at", "corrected_at")
        .order_by("-occurred_at", "-id")
    )


def force_support_services(*, force_id: int) -> list[SupportService]:
    return list(SupportService.objects.filter(force_id=force_id))
