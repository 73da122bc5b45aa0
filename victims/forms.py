import re
from typing import cast

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from cases.constants import UPDATE_AGREEMENT_ERRORS
from cases.intervals import interval_label
from cases.models import normalise_crime_reference
from victims.constants import SIGN_IN_CODE_DIGITS, Channel

# Forces write references differently (NS/01234/26, 26-012345, ...); any that is only
# letters and digits once spaces, slashes and dashes are gone is worth looking up.
_REFERENCE = re.compile(r"[A-Z0-9]{4,40}")


class SignInForm(forms.Form):
    """A crime reference and the email address or mobile number given to the police.

    Only the format is checked here: whether they match anyone is never shown.
    """

    crime_reference = forms.CharField(
        label=_("Crime reference number"),
        max_length=60,
        help_text=_(
            "The police gave you this when you reported the crime, for example "
            "NS/01234/26. You can type it with or without spaces and slashes."
        ),
        error_messages={"required": _("Enter your crime reference number")},
    )
    contact = forms.CharField(
        label=_("Email address or mobile phone number"),
        max_length=254,
        help_text=_(
            "Use the one you gave the police. We will send a security code to it."
        ),
        error_messages={
            "required": _("Enter your email address or mobile phone number")
        },
    )

    def clean_crime_reference(self) -> str:
        reference = self.cleaned_data["crime_reference"]
        if not _REFERENCE.fullmatch(normalise_crime_reference(reference)):
            raise ValidationError(
                _(
                    "Enter your crime reference number using only letters, numbers, "
                    "spaces, slashes and dashes"
                )
            )
        return reference

    def clean_contact(self) -> str:
        """Return an email address in lower case, or a mobile number in
        international format (+44...)."""
        contact = self.cleaned_data["contact"].strip()
        if "@" in contact:
            try:
                validate_email(contact)
            except ValidationError:
                raise ValidationError(
                    _(
                        "Enter an email address in the correct format, like "
                        "name@example.com"
                    )
                ) from None
            return contact.lower()
        try:
            number = phonenumbers.parse(contact, "GB")
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_possible_number(number):
            raise ValidationError(
                _(
                    "Enter an email address, or a mobile phone number like "
                    "07700 900 982 or +44 7700 900 982"
                )
            )
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Security code"),
        max_length=20,
        strip=True,
        help_text=_("The code is 6 digits."),
        error_messages={"required": _("Enter the security code")},
    )

    def clean_code(self) -> str:
        code = re.sub(r"[\s-]", "", self.cleaned_data["code"])
        if not re.fullmatch(rf"\d{{{SIGN_IN_CODE_DIGITS}}}", code):
            raise ValidationError(
                _("Enter the security code, which is %(digits)s digits")
                % {"digits": SIGN_IN_CODE_DIGITS}
            )
        return code


# The "no messages" answer on the update channels question: the portal only.
NO_MESSAGES = "none"


class _Radios(forms.RadioSelect):
    """Radios whose field's id is its first option's, so that the error summary's
    link reaches an input (GOV.UK error summary guidance)."""

    def id_for_label(self, id_: str, index: str | None = "0") -> str:
        return f"{id_}_{index or '0'}" if id_ else ""


class _Checkboxes(forms.CheckboxSelectMultiple):
    def id_for_label(self, id_: str, index: str | None = "0") -> str:
        return f"{id_}_{index or '0'}" if id_ else ""


class UpdateAgreementForm(forms.Form):
    """How often and by which channels a victim agrees to hear about their case
    (Right 6), from the choices their force and their safe channels allow.
    Whether the answers may be recorded is the service's to say
    (cases.services.update_agreement_errors)."""

    interval_weeks = forms.TypedChoiceField(
        label=_("How often do you want to hear from us?"),
        coerce=int,
        widget=_Radios,
        error_messages={
            "required": UPDATE_AGREEMENT_ERRORS["interval"],
            "invalid_choice": UPDATE_AGREEMENT_ERRORS["interval"],
        },
    )
    channels = forms.MultipleChoiceField(
        label=_("How do you want to hear from us?"),
        required=False,
        widget=_Checkboxes,
        error_messages={"invalid_choice": UPDATE_AGREEMENT_ERRORS["channels"]},
    )

    def __init__(self, *args, weeks: list[int], channels: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["interval_weeks"]).choices = [
            (week, interval_label(week * 7)) for week in weeks
        ]
        self.offers_channels = bool(channels)
        cast(forms.ChoiceField, self.fields["channels"]).choices = [
            (channel, Channel(channel).label) for channel in channels
        ] + [(NO_MESSAGES, _("No messages: I will check this website"))]

    def clean_channels(self) -> list[str]:
        chosen = self.cleaned_data["channels"]
        if not self.offers_channels:
            return []
        if not chosen:
            raise ValidationError(UPDATE_AGREEMENT_ERRORS["channels"])
        if NO_MESSAGES in chosen and len(chosen) > 1:
            raise ValidationError(UPDATE_AGREEMENT_ERRORS["channels_and_none"])
        return [channel for channel in chosen if channel != NO_MESSAGES]
