from typing import Any

from rest_framework import serializers

from api.fields import (
    BlankAsNullCharField,
    BlankAsNullChoiceField,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictEmailField,
    StrictPhoneNumberField,
    StrictSerializer,
)
from victims.constants import ContactPreference, EnhancedRightsReason, Language
from victims.models import Victim


class VictimSerializer(serializers.ModelSerializer):
    """A victim on a case, as the force's records system reads it back."""

    external_reference = BlankAsNullCharField(
        help_text="The victim's id in the force's records system, if it gave one."
    )
    email = BlankAsNullCharField()
    mobile = BlankAsNullCharField(help_text="In international format, e.g. +447...")
    enhanced_rights_reason = BlankAsNullChoiceField(
        choices=EnhancedRightsReason.choices
    )

    class Meta:
        model = Victim
        fields = [
            "external_reference",
            "full_name",
            "email",
            "mobile",
            "preferred_language",
            "contact_preference",
            "detail_by_email",
            "detail_by_sms",
            "enhanced_rights",
            "enhanced_rights_reason",
            "portal_access_allowed",
        ]
        read_only_fields = fields


class VictimUpsertSerializer(StrictSerializer):
    """A victim as the force's records system pushes them. Fields left out keep
    their value (or the default, for a new victim)."""

    external_reference = StrictCharField(
        max_length=64,
        help_text="The victim's id in the records system: the same id on a later "
        "push updates this victim rather than adding another.",
    )
    full_name = StrictCharField(max_length=150)
    email = StrictEmailField(
        max_length=254, required=False, allow_blank=True, allow_null=True
    )
    mobile = StrictPhoneNumberField(
        region="GB",
        max_length=32,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="A UK number, or international with +.",
    )
    preferred_language = StrictChoiceField(choices=Language.choices, required=False)
    contact_preference = StrictChoiceField(
        choices=ContactPreference.choices,
        required=False,
        help_text="The channels the victim said are safe; none means no contact. "
        "Once a victim is at none, a push leaves it there: staff change it.",
    )
    detail_by_email = StrictBooleanField(required=False)
    detail_by_sms = StrictBooleanField(required=False)
    enhanced_rights = StrictBooleanField(required=False)
    enhanced_rights_reason = StrictChoiceField(
        choices=EnhancedRightsReason.choices,
        required=False,
        allow_blank=True,
        allow_null=True,
    )
    portal_access_allowed = StrictBooleanField(
        required=False,
        help_text="false stops the victim signing in to the portal (safeguarding). "
        "Once access is off, true from a push is ignored: staff turn it back on.",
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        # null and "" both mean "none"; the model keeps an empty string.
        return {key: "" if value is None else value for key, value in data.items()}
