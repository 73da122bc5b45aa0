"""The question pages of two requests a victim makes in the portal: a Victim
Personal Statement (Right 7) and a referral to support (Right 4). One question a
page, as the GOV.UK question pages pattern says; the answers wait in the session
until the victim sends them from the check-answers page.

What is allowed (the choices, the lengths, the consent) is checked here for the
page and again by the service when the request is written, from the same rules
(rights.eligibility)."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django import forms
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from cases.models import SupportService
from victims.constants import NATIONAL_SUPPORT_SERVICES, NationalSupportService

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

AVAILABILITY_MAX_LENGTH = 500


class Radios(forms.RadioSelect):
    """Radios whose question's id is the first radio's, so that the error summary
    links to it (GOV.UK); Django's own points nowhere."""

    def id_for_label(self, id_: str, index: str | None = None) -> str:
        return id_


STATEMENT_CHOICES = (
    ("make", _("Make a Victim Personal Statement")),
    ("add", _("Add to a statement I have already made")),
)
READING_CHOICES = (
    ("read_myself", _("I would like to read it aloud in court myself")),
    ("read_for_me", _("I would like someone to read it aloud for me")),
    ("not_read", _("I do not want it read aloud")),
)


class StatementForm(forms.Form):
    statement = forms.ChoiceField(
        label=_("What would you like to do?"),
        choices=STATEMENT_CHOICES,
        widget=Radios,
        error_messages={
            "required": _("Select whether you want to make a statement or add to one"),
            "invalid_choice": _(
                "Select whether you want to make a statement or add to one"
            ),
        },
    )


class ReadingForm(forms.Form):
    reading = forms.ChoiceField(
        label=_("Would you like your statement read aloud in court?"),
        help_text=_(
            "If the suspect is found guilty, the court reads your statement before "
            "deciding the sentence. The court decides whether it can be read aloud, "
            "and by whom."
        ),
        choices=READING_CHOICES,
        widget=Radios,
        error_messages={
            "required": _("Select whether you would like your statement read aloud"),
            "invalid_choice": _(
                "Select whether you would like your statement read aloud"
            ),
        },
    )


class AvailabilityForm(forms.Form):
    availability = forms.CharField(
        label=_("When are you free to be contacted?"),
        help_text=_(
            "For example, weekday mornings, or after 6pm. We will only contact you "
            "in the ways you told us are safe."
        ),
        # Longer than the limit, so that an over-long answer gets our own error.
        max_length=AVAILABILITY_MAX_LENGTH * 4,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Enter when you are free to be contacted")},
    )

    def clean_availability(self) -> str:
        text = self.cleaned_data["availability"].strip()
        if len(text) > AVAILABILITY_MAX_LENGTH:
            raise forms.ValidationError(
                _("When you are free must be %(limit)s characters or fewer")
                % {"limit": AVAILABILITY_MAX_LENGTH}
            )
        return text


@dataclass(frozen=True)
class SupportChoice:
    """A service a victim may ask to be referred to: one of the force's local
    services, or a national one."""

    value: str
    name: str
    description: "StrOrPromise"
    local: SupportService | None = None


def national_value(service: NationalSupportService) -> str:
    return f"national:{slugify(service.name)}"


def support_choices(*, services: list[SupportService]) -> list[SupportChoice]:
    """Return the force's local services first, then the national ones."""
    return [
        SupportChoice(f"local:{s.pk}", s.name, s.description, local=s) for s in services
    ] + [
        SupportChoice(national_value(s), s.name, s.description)
        for s in NATIONAL_SUPPORT_SERVICES
    ]


class ServiceForm(forms.Form):
    service = forms.ChoiceField(
        label=_("Which service would you like us to refer you to?"),
        widget=Radios,
        error_messages={
            "required": _("Select the service you would like to be referred to"),
            "invalid_choice": _("Select a service from the list"),
        },
    )

    def __init__(self, *args, choices: list[SupportChoice], **kwargs):
        super().__init__(*args, **kwargs)
        self.support_choices = choices
        field = self.fields["service"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(c.value, c.name) for c in choices]


class ConsentForm(forms.Form):
    consent = forms.BooleanField(
        label=_("I agree to the police sharing these details with the service"),
        error_messages={
            "required": _(
                "Tick the box to agree to us sharing your details with the service"
            )
        },
    )


def staff_answers(details: dict, kind: str) -> list[tuple["StrOrPromise", str]]:
    """Return a request's answers as staff read them: labelled for a personal
    statement or a referral, as stored for any other kind."""
    if kind == "personal_statement":
        return [
            (
                _("Asked to"),
                str(dict(STATEMENT_CHOICES).get(details.get("statement", ""), "")),
            ),
            (
                _("Reading it aloud"),
                str(dict(READING_CHOICES).get(details.get("reading", ""), "")),
            ),
            (_("Free to be contacted"), details.get("availability", "")),
        ]
    if kind == "support_referral":
        consent = details.get("consent") is True
        return [
            (_("Service"), details.get("service_name", "")),
            (
                _("Consent to share"),
                str(
                    _("Given, for: %(shared)s")
                    % {"shared": "; ".join(details.get("shared", []))}
                )
                if consent
                else str(_("Not given")),
            ),
        ]
    return [(key, str(value)) for key, value in details.items()]
