from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from trackmycrime.rate_limits import RateLimit

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Channel(models.TextChoices):
    """The ways a message can reach a victim."""

    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")


class ContactPreference(models.TextChoices):
    """The channels a victim said are safe. 'No contact' means none at all."""

    EMAIL_AND_SMS = "email_and_sms", _("Email and text message")
    EMAIL = "email", _("Email only")
    SMS = "sms", _("Text message only")
    NONE = "none", _("No contact")


# Offences after which a victim with enhanced rights gets discreet messages unless
# staff say otherwise: someone reading their phone may be the person who harmed them.
DISCREET_BY_DEFAULT_OFFENCES = frozenset(
    {"domestic_abuse", "harassment", "sexual_offence"}
)

SAFE_CHANNELS: dict[str, frozenset[str]] = {
    ContactPreference.EMAIL_AND_SMS: frozenset({Channel.EMAIL, Channel.SMS}),
    ContactPreference.EMAIL: frozenset({Channel.EMAIL}),
    ContactPreference.SMS: frozenset({Channel.SMS}),
    ContactPreference.NONE: frozenset(),
}


class EnhancedRightsReason(models.TextChoices):
    """Why a victim is owed enhanced rights under the Victims' Code."""

    SERIOUS_CRIME = (
        "serious_crime",
        _(
            "Victim of the most serious crime (e.g. domestic abuse, hate crime, "
            "sexual offence, terrorism, trafficking, attempted murder)"
        ),
    )
    BEREAVED = "bereaved", _("Bereaved relative")
    PERSISTENTLY_TARGETED = "persistently_targeted", _("Persistently targeted")
    VULNERABLE = "vulnerable", _("Vulnerable")
    INTIMIDATED = "intimidated", _("Intimidated")


class Language(models.TextChoices):
    """Languages a victim may ask to be written to in (Right 1): the portal's
    (settings.PORTAL_LANGUAGES_AVAILABLE), stored by their language code, English
    as "en"."""

    ENGLISH = "en", "English"
    WELSH = "cy", "Cymraeg (Welsh)"
    POLISH = "pl", "Polski (Polish)"
    ROMANIAN = "ro", "Română (Romanian)"
    SPANISH = "es", "Español (Spanish)"
    PORTUGUESE = "pt", "Português (Portuguese)"
    BENGALI = "bn", "বাংলা (Bengali)"
    TURKISH = "tr", "Türkçe (Turkish)"
    ARABIC = "ar", "العربية (Arabic)"
    URDU = "ur", "اردو (Urdu)"


def offered_languages() -> list[tuple[str, str]]:
    """Return the preferred-language choices staff may record: English and the
    languages the portal offers (settings.PORTAL_LANGUAGES), so that a victim is
    never promised a language the service cannot write in."""
    return [
        (value, label)
        for value, label in Language.choices
        if value == Language.ENGLISH or value in settings.PORTAL_LANGUAGES
    ]


def language_for_record(language_code: str) -> str:
    """Return how a victim's record stores a page language: "en" for English."""
    return Language.ENGLISH if language_code.startswith("en") else language_code


# Sign-in codes (DOMAIN.md): at least 6 digits from a secure random generator, valid at
# most 10 minutes, ended by a few wrong entries; resends are limited and never reset
# the failure count.
SIGN_IN_CODE_DIGITS = 6
SIGN_IN_CODE_VALID_SECONDS = 10 * 60
SIGN_IN_CODE_MAX_FAILURES = 5
SIGN_IN_CODE_MAX_RESENDS = 3


class SignInOutcome(models.TextChoices):
    """What happened to one request or one code entry; recorded in the audit trail."""

    NO_MATCH = "no_match", _("No victim with portal access matched")
    SEND_FAILED = "send_failed", _("The code could not be sent")
    RATE_LIMITED = "rate_limited", _("Too many attempts")
    WRONG_CODE = "wrong_code", _("Wrong code")
    TOO_MANY_WRONG = "too_many_wrong", _("Too many wrong codes")
    EXPIRED = "expired", _("Code expired")
    ENDED = "ended", _("Code already used or ended")
    RESEND_LIMIT = "resend_limit", _("Too many new codes asked for")
    RESENT = "resent", _("New code asked for")
    SIGNED_IN = "signed_in", _("Signed in")


class SignOutReason(models.TextChoices):
    SIGNED_OUT = "signed_out", _("Signed out")
    EXITED = "exited", _("Used Exit this page")
    IDLE = "idle", _("No activity for too long")
    EXPIRED = "expired", _("Signed in for too long")
    ACCESS_ENDED = "access_ended", _("Portal access turned off or case link removed")


# Rate limits, counted in the shared cache (Redis in production). Each limit is a fixed
# window: once over it, that key is refused until its window ends (the cool-off), so
# nobody can lock a victim out for good.
#
# No limit is keyed on the crime reference alone, nor on the contact alone: an abuser
# often knows the reference (or the phone number), and a limit they can spend from any
# number of addresses would be a switch to cut the victim off. A code can only ever
# work for the reference and contact together (it goes to nobody else), so limiting
# that pair bounds guessing as tightly as a limit on the reference would, and spending
# it needs both details. Someone who has both can delay the victim by one short window
# (at most 15 minutes), never a day. The address limit bounds how much one address can
# try (and how many messages it can cause); it cannot stop a victim elsewhere.
# "requests" counts sign-in requests and new codes; "wrong_codes" counts wrong codes
# entered, which are guesses. See the README's threat model for the figures.
#
# While the cache is away (README, "Failure modes"), the request limits fail closed:
# the outage page, and no attempt and no code, which could not be sent anyway (the
# broker is the same Redis). The wrong-code limit fails open, so that a victim who
# already has a code can still use it: guessing stays bounded by each attempt's own
# SIGN_IN_CODE_MAX_FAILURES in the database, and no new attempt can be made.
SIGN_IN_REQUEST_LIMITS = (
    RateLimit("requests", "ip", 30, 15 * 60),
    RateLimit("requests", "reference_and_contact", 5, 15 * 60),
)
# 5 wrong codes per 10 minutes for the pair: one attempt's worth. At most 720 guesses
# a day at a million codes (0.07% a day), each batch sent to the victim as a code
# they did not ask for.
SIGN_IN_WRONG_CODE_LIMITS = (
    RateLimit("wrong_codes", "reference_and_contact", 5, 10 * 60, fails_open=True),
)


# What the sign-in pages say. The same words whatever the details matched.
RATE_LIMITED_ERROR = _(
    "You have tried to sign in too many times. Wait 15 minutes, then try again. If "
    "you need to speak to the police now, call 101, or 999 in an emergency."
)
CODE_ERRORS = {
    SignInOutcome.WRONG_CODE: _(
        "The security code is not right. Check it and try again, or ask for a new code"
    ),
    SignInOutcome.EXPIRED: _(
        "The security code has expired. Ask for a new code, below"
    ),
    SignInOutcome.RATE_LIMITED: RATE_LIMITED_ERROR,
}


# The Victims' Code (2020) rights, in plain words for the "your rights" page.
VICTIMS_CODE_RIGHTS = (
    _(
        "To be able to understand and to be understood, with help such as an "
        "interpreter if you need it."
    ),
    _("To have the details of the crime recorded without unjustified delay."),
    _("To be given information when you report the crime."),
    _(
        "To be referred to services that support victims, and to have support "
        "suited to your needs."
    ),
    _("To be given information about compensation."),
    _(
        "To be told about the investigation and any prosecution, including when a "
        "suspect is arrested, charged, released, or when the case is closed."
    ),
    _("To make a Victim Personal Statement, saying how the crime has affected you."),
    _(
        "To be given information about the trial, and about your role if you are a "
        "witness."
    ),
    _("To be told the outcome of the case and about any appeal."),
    _("To be paid expenses for going to court, and to have your property returned."),
    _("To be given information about the offender after a conviction."),
    _("To make a complaint if you think these rights have not been met."),
)


@dataclass(frozen=True)
class NationalSupportService:
    name: str
    description: "StrOrPromise"
    phone: str
    url: str


NATIONAL_SUPPORT_SERVICES = (
    NationalSupportService(
        name="Victim Support",
        description=_(
            "Free, confidential support for anyone affected by crime in England and "
            "Wales, whether or not it was reported."
        ),
        phone="08 08 16 89 111",
        url="https://www.victimsupport.org.uk/",
    ),
    NationalSupportService(
        name="National Domestic Abuse Helpline",
        description=_("Free, confidential advice, 24 hours a day."),
        phone="0808 2000 247",
        url="https://www.nationaldahelpline.org.uk/",
    ),
    NationalSupportService(
        name="Rape Crisis 24/7 Support Line",
        description=_(
            "For anyone aged 16 or over affected by rape, sexual assault or abuse."
        ),
        phone="0808 500 2222",
        url="https://rapecrisis.org.uk/",
    ),
    NationalSupportService(
        name="Samaritans",
        description=_("Someone to talk to, any time, about whatever you are facing."),
        phone="116 123",
        url="https://www.samaritans.org/",
    ),
)
