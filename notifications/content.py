"""What a message to a victim says.

By default nothing but "there is an update" and where to sign in: someone else may
read the victim's phone or inbox. Details (crime reference, what was reported, the
update itself) only go to a victim who asked for them on that channel.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from notifications.constants import MessageKind, MessageTemplate
from notifications.models import Notification
from notifications.providers import OutgoingMessage
from notifications.sms import SMS_MAX_FRAGMENTS, sms_fragments
from victims.constants import SIGN_IN_CODE_VALID_SECONDS, Channel

TEMPLATE_DIR = "notifications/messages"


def template_names(template: str, channel: str) -> tuple[str, str]:
    """Return the (subject, body) template files for a message; no subject for SMS."""
    if channel == Channel.EMAIL:
        return (
            f"{TEMPLATE_DIR}/{template}_email_subject.txt",
            f"{TEMPLATE_DIR}/{template}_email_body.txt",
        )
    return "", f"{TEMPLATE_DIR}/{template}_sms.txt"


def default_language() -> str:
    return translation.get_supported_language_variant(settings.LANGUAGE_CODE)


def message_language(preferred: str) -> str:
    """Return the language to write in: the victim's, once the service has it
    (settings.LANGUAGES), otherwise the default."""
    try:
        return translation.get_supported_language_variant(preferred)
    except LookupError:
        return default_language()


def sign_in_url() -> str:
    """Where every message points: the sign-in page itself."""
    return f"{settings.PORTAL_BASE_URL}/sign-in/"


def invitation_url(channel: str) -> str:
    """Where an invitation points: a page that only remembers the channel, then
    sign-in. Nothing in it names the victim, the case or the invitation."""
    return f"{settings.PORTAL_BASE_URL}/your-say/{channel}/"


def invitation_personalisation(
    *, template: str, sender: str, channel: str
) -> dict[str, str]:
    values = {"sign_in_url": invitation_url(channel)}
    if template != MessageTemplate.DISCREET_INVITATION:
        values["sender"] = sender
    return values


def update_personalisation(
    *,
    template: str,
    sender: str,
    crime_reference: str,
    description: str,
    update_text: str,
) -> dict[str, str]:
    """Return every value a message may show: for the plain update, who sent it and
    the sign-in address; for a discreet one, the address alone; so that no template
    can leak what it is never given."""
    values = {"sign_in_url": sign_in_url()}
    if template != MessageTemplate.DISCREET_UPDATE:
        values["sender"] = sender
    if template == MessageTemplate.UPDATE_DETAIL:
        values.update(
            crime_reference=crime_reference,
            description=description,
            update_text=update_text,
        )
    return values


def render_message(
    *, template: str, channel: str, personalisation: dict[str, str], language: str
) -> tuple[str, str]:
    """Return the (subject, body) of a message, in `language`."""
    subject_template, body_template = template_names(template, channel)
    with translation.override(language):
        subject = (
            render_to_string(subject_template, personalisation).strip()
            if subject_template
            else ""
        )
        body = render_to_string(body_template, personalisation).strip()
    return subject, body


def fit_sms_update_text(
    *, personalisation: dict[str, str], language: str
) -> dict[str, str]:
    """Return the personalisation of a detailed update text message with the update
    cut short, ending "...", where the whole would take more than SMS_MAX_FRAGMENTS:
    staff write updates of any length, and the message already asks the victim to
    sign in to see more. The longest text that fits is kept."""

    def fits(text: str) -> bool:
        _subject, body = render_message(
            template=MessageTemplate.UPDATE_DETAIL,
            channel=Channel.SMS,
            personalisation={**personalisation, "update_text": text},
            language=language,
        )
        return sms_fragments(body) <= SMS_MAX_FRAGMENTS

    def shortened(length: int) -> str:
        return text[:length].rstrip() + "..."

    text = personalisation["update_text"]
    if fits(text):
        return personalisation
    low, high = 0, len(text) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if fits(shortened(middle)):
            low = middle
        else:
            high = middle - 1
    return {**personalisation, "update_text": shortened(low)}


def message_for(notification: Notification, *, code: str = "") -> OutgoingMessage:
    """Return the message for an outbox row, from the victim's current choices; a
    sign-in code row needs the `code` minted as it was claimed."""
    victim = notification.victim
    assert victim is not None, "only a row for a known victim is sent"
    sender = notification.force.name if notification.force else ""
    if notification.kind == MessageKind.SIGN_IN_CODE:
        template = (
            MessageTemplate.DISCREET_SIGN_IN_CODE
            if victim.discreet_messages
            else MessageTemplate.SIGN_IN_CODE
        )
        personalisation = {
            "code": code,
            "minutes": str(SIGN_IN_CODE_VALID_SECONDS // 60),
            "sender": sender,
        }
    elif notification.kind == MessageKind.FEEDBACK_INVITATION:
        template = (
            MessageTemplate.DISCREET_INVITATION
            if victim.discreet_messages
            else MessageTemplate.INVITATION
        )
        personalisation = invitation_personalisation(
            template=template, sender=sender, channel=notification.channel
        )
    elif notification.kind == MessageKind.NEW_MESSAGE:
        # Never the text, whatever details the victim asked for: it stays in the
        # portal, behind sign-in.
        template = (
            MessageTemplate.DISCREET_NEW_MESSAGE
            if victim.discreet_messages
            else MessageTemplate.NEW_MESSAGE
        )
        personalisation = {"sign_in_url": sign_in_url()}
        if template == MessageTemplate.NEW_MESSAGE:
            personalisation["sender"] = sender
    elif notification.kind == MessageKind.REQUEST_UPDATE:
        # News of a request the victim made under the Code: the plain update,
        # never its details, which stay in the portal.
        template = (
            MessageTemplate.DISCREET_UPDATE
            if victim.discreet_messages
            else MessageTemplate.UPDATE
        )
        personalisation = update_personalisation(
            template=template,
            sender=sender,
            crime_reference="",
            description="",
            update_text="",
        )
    else:
        case, entry = notification.case, notification.entry
        assert case is not None and entry is not None, "an update tells of an entry"
        wants_detail = (
            victim.detail_by_email
            if notification.channel == Channel.EMAIL
            else victim.detail_by_sms
        )
        # Discreet wins over details: details would say what the message is about.
        if victim.discreet_messages:
            template = MessageTemplate.DISCREET_UPDATE
        elif wants_detail:
            template = MessageTemplate.UPDATE_DETAIL
        else:
            template = MessageTemplate.UPDATE
        personalisation = update_personalisation(
            template=template,
            sender=sender,
            crime_reference=case.crime_reference,
            description=case.victim_description,
            update_text=_update_text(notification)
            if template == MessageTemplate.UPDATE_DETAIL
            else "",
        )
    language = message_language(victim.preferred_language)
    if (
        template == MessageTemplate.UPDATE_DETAIL
        and notification.channel == Channel.SMS
    ):
        personalisation = fit_sms_update_text(
            personalisation=personalisation, language=language
        )
    subject, body = render_message(
        template=template,
        channel=notification.channel,
        personalisation=personalisation,
        language=language,
    )
    # Notify's own templates are in English and for updates; anything else is
    # sent as our text. A code is never handed to a template's personalisation.
    use_template = language == default_language() and template in (
        MessageTemplate.UPDATE,
        MessageTemplate.UPDATE_DETAIL,
    )
    return OutgoingMessage(
        channel=notification.channel,
        to=victim.address_for(notification.channel),
        subject=subject,
        body=body,
        reference=notification.reference,
        template=template if use_template else "",
        personalisation=personalisation if use_template else {},
    )


def _update_text(notification: Notification) -> str:
    """The victim's text of the entry, and of the changes told with it, oldest
    first."""
    assert notification.entry is not None
    texts = [notification.entry.victim_text]
    texts += [
        merged.entry.victim_text
        for merged in notification.merged.select_related("entry").order_by("pk")
        if merged.entry is not None
    ]
    return "\n\n".join(texts)


def mask_recipient(channel: str, to: str) -> str:
    """Return enough of an address or number to tell two apart, for the audit
    trail and the back office: j***@e***.com, +44*******456. The one way any
    address is masked."""
    if channel == Channel.EMAIL:
        local, _at, domain = to.partition("@")
        name, dot, tld = domain.rpartition(".")
        masked_domain = f"{name[:1]}***{dot}{tld}" if dot else f"{domain[:1]}***"
        return f"{local[:1]}***@{masked_domain}"
    if len(to) <= 6:
        return "*" * len(to)
    return f"{to[:3]}{'*' * (len(to) - 6)}{to[-3:]}"
