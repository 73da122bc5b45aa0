"""Reads for the victim portal, each one shaped so a page makes a fixed number of
queries however long the case's history grows."""

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext

from audit.constants import ActorKind, AuditAction
from audit.models import AuditEvent
from cases.constants import Stage
from cases.intervals import interval_label
from cases.models import SupportService, TimelineEntry
from conversations.constants import AuthorKind
from notifications.constants import MessageKind, NotificationStatus
from victims.constants import Channel
from victims.models import CaseVictim

if TYPE_CHECKING:
    from conversations.models import Message


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


def victim_own_copy(
    *, link: CaseVictim, conversation: "list[Message] | None" = None
) -> dict:
    """Return what the portal holds about the signed-in victim and their case: their
    details and preferences, the updates they can see, the messages sent to them,
    their own conversation with the police (`conversation`, as their Messages page
    shows it; None while staff have paused it, when the copy, like the page, shows
    none of it) and their sign-ins. Never staff notes, other victims, other
    victims' conversations or other cases."""
    victim, case = link.victim, link.case
    about: dict[str, str] = {
        MessageKind.UPDATE: gettext("An update on your case"),
        MessageKind.SIGN_IN_CODE: gettext("A security code to sign in"),
        MessageKind.FEEDBACK_INVITATION: gettext(
            "An invitation to tell us how we are doing"
        ),
        MessageKind.NEW_MESSAGE: gettext("A new message for you"),
        MessageKind.REQUEST_UPDATE: gettext("News of a request you made"),
    }
    # Updates and codes alike are in the outbox; a change told with another message
    # (MERGED) is not a message of its own.
    messages = [
        {
            "channel": Channel(channel).label,
            "about": about[kind],
            "created_at": created_at,
            "sent_at": sent_at,
            "status": NotificationStatus(status).label,
        }
        for kind, channel, created_at, sent_at, status in victim.notifications.filter(
            case_id=case.pk
        )
        .exclude(status=NotificationStatus.MERGED)
        .order_by("-created_at", "-id")
        .values_list("kind", "channel", "created_at", "sent_at", "status")
    ]
    events = {
        AuditAction.SIGN_IN: gettext("Signed in"),
        AuditAction.SIGN_OUT: gettext("Signed out"),
    }
    sign_ins = [
        {"at": occurred_at, "event": events[action]}
        for occurred_at, action in AuditEvent.objects.filter(
            actor_kind=ActorKind.VICTIM,
            actor_id=str(victim.pk),
            case_id=case.pk,
            action__in=list(events),
        ).values_list("occurred_at", "action")
    ]
    return {
        "you": {
            "name": victim.full_name,
            "email": victim.email,
            "mobile": victim.mobile.as_national if victim.mobile else "",
            "language": victim.get_preferred_language_display(),
            "safe_ways_to_contact_you": victim.get_contact_preference_display(),
            "emails_say_what_the_update_is_about": victim.detail_by_email,
            "text_messages_say_what_the_update_is_about": victim.detail_by_sms,
            "enhanced_rights": victim.enhanced_rights,
        },
        "case": {
            "crime_reference": case.crime_reference,
            "description": case.victim_description,
            "police_force": case.force.name,
            "stage": Stage(case.stage).label,
            "reported_on": case.reported_on,
            "updates_agreed": {
                "how_often": interval_label(link.agreed_interval_days or 0),
                "how": [str(Channel(channel).label) for channel in link.agreed_channels]
                or [gettext("No messages: I will check this website")],
                "agreed_at": link.agreed_at,
            }
            if link.agreed_at and link.agreed_channels is not None
            else None,
        },
        "updates": [
            {"occurred_at": entry.occurred_at, "text": entry.victim_text}
            for entry in victim_timeline(case_id=case.pk)
        ],
        "messages": messages,
        "conversation": [
            {
                "from": _written_by(message, force_name=case.force.name),
                "sent_at": message.sent_at,
                "text": message.text,
            }
            for message in conversation or []
        ],
        "conversation_available": conversation is not None,
        "sign_ins": sign_ins,
    }


def _written_by(message: "Message", *, force_name: str) -> str:
    """Who wrote a message, as the victim's Messages page says it."""
    if message.author_kind == AuthorKind.VICTIM:
        return gettext("You")
    if message.author_kind == AuthorKind.STAFF:
        return message.author_label
    return force_name
