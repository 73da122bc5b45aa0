"""What a message to a victim says.

By default nothing but "there is an update" and where to sign in: someone else may
read the victim's phone or inbox. Details (crime reference, what was reported, the
update itself) only go to a victim who asked for them on that channel.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from notifications.constants import Channel, MessageTemplate
from notifications.models import Notification
from notifications.providers import OutgoingMessage

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


def update_personalisation(
    *, template: str, crime_reference: str, description: str, update_text: str
) -> dict[str, str]:
    """Return every value a message may show: for the plain update, the sign-in
    address alone, so that no template can leak what it is never given."""
    values = {"sign_in_url": settings.PORTAL_BASE_URL}
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


def recipient(notification: Notification) -> str:
    victim = notification.victim
    if notification.channel == Channel.EMAIL:
        return victim.email
    return victim.mobile.as_e164 if victim.mobile else ""


def message_for(notification: Notification) -> OutgoingMessage:
    """Return the message for an outbox row, from the victim's current choices."""
    victim = notification.victim
    wants_detail = (
        victim.detail_by_email
        if notification.channel == Channel.EMAIL
        else victim.detail_by_sms
    )
    template = MessageTemplate.UPDATE_DETAIL if wants_detail else MessageTemplate.UPDATE
    personalisation = update_personalisation(
        template=template,
        crime_reference=notification.case.crime_reference,
        description=notification.case.victim_description,
        update_text=notification.entry.victim_text,
    )
    language = message_language(victim.preferred_language)
    subject, body = render_message(
        template=template,
        channel=notification.channel,
        personalisation=personalisation,
        language=language,
    )
    return OutgoingMessage(
        channel=notification.channel,
        to=recipient(notification),
        subject=subject,
        body=body,
        reference=notification.reference,
        # Notify's own templates are in English; other languages send our text.
        template=template if language == default_language() else "",
        personalisation=personalisation,
    )


def mask_recipient(channel: str, to: str) -> str:
    """Return enough of an address or number to tell two apart, for the audit
    trail: j***@e***.com, +44*******456."""
    if channel == Channel.EMAIL:
        local, _at, domain = to.partition("@")
        name, dot, tld = domain.rpartition(".")
        masked_domain = f"{name[:1]}***{dot}{tld}" if dot else f"{domain[:1]}***"
        return f"{local[:1]}***@{masked_domain}"
    if len(to) <= 6:
        return "*" * len(to)
    return f"{to[:3]}{'*' * (len(to) - 6)}{to[-3:]}"
