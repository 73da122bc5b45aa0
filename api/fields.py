"""Input fields that accept only the JSON type the schema promises.

REST framework is lenient by default ("12" for 12, 1 or "yes" for true, 12 for "12");
for an integration contract that is fuzzed against its schema, a wrong type is an error
the caller should hear about.
"""

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    """Refuse fields it does not know, by name, rather than ignore them."""

    # A better message for a field someone may expect to be here, by name.
    unknown_field_messages: dict[str, str] = {}

    def to_internal_value(self, data: Any) -> Any:
        unknown = (
            sorted(set(data) - set(self.fields)) if isinstance(data, Mapping) else []
        )
        errors: dict[str, Any] = {}
        value = None
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            detail = error.detail
            errors = (
                dict(detail)
                if isinstance(detail, dict)
                else {"non_field_errors": detail}
            )
        for name in unknown:
            errors[str(name)] = [
                self.unknown_field_messages.get(
                    name, _("This field is not part of the API.")
                )
            ]
        if errors:
            raise serializers.ValidationError(errors)
        return value


# Line breaks and tabs are text; every other control character is not, and would
# otherwise reach victims' pages and messages (or be trimmed before the length check).
_ALLOWED_CONTROL_CHARACTERS = {"\n", "\r", "\t"}


class StrictCharField(serializers.CharField):
    default_error_messages = {
        "control_character": "Remove the control character ({code}) from this text."
    }

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        for character in data:
            if (
                unicodedata.category(character) == "Cc"
                and character not in _ALLOWED_CONTROL_CHARACTERS
            ):
                self.fail("control_character", code=f"U+{ord(character):04X}")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictPhoneNumberField(PhoneNumberField):
    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class BlankAsNullChoiceField(serializers.ChoiceField):
    """Output a choice, or null where the model keeps an empty string."""

    def __init__(self, **kwargs: Any):
        super().__init__(allow_null=True, read_only=True, **kwargs)

    def to_representation(self, value: Any) -> Any:
        return None if value in ("", None) else super().to_representation(value)


class BlankAsNullCharField(serializers.CharField):
    """Output a string, or null where the model keeps an empty string."""

    def __init__(self, **kwargs: Any):
        super().__init__(allow_null=True, read_only=True, **kwargs)

    def to_representation(self, value: Any) -> Any:
        return None if value in ("", None) else str(value)


class StrictDateTimeField(serializers.DateTimeField):
    """An RFC 3339 date-time with its offset, as the schema says (2026-11-02T10:00Z);
    not a bare date, a number, or a time with no zone."""

    _RFC3339 = re.compile(
        r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:\d{2})"
    )

    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str) or not self._RFC3339.fullmatch(value):
            self.fail("invalid", format="YYYY-MM-DDThh:mm:ssZ or with +hh:mm")
        return super().to_internal_value(value)


class StrictDateField(serializers.DateField):
    """A date as YYYY-MM-DD, and nothing Python would also read as one (20261102)."""

    _DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str) or not self._DATE.fullmatch(value):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class QueryIntegerField(serializers.IntegerField):
    """A whole number in a query string: digits only (not 5.0, not +5)."""

    def to_internal_value(self, data: Any) -> int:
        if not isinstance(data, str) or not re.fullmatch(r"[0-9]{1,9}", data):
            self.fail("invalid")
        return super().to_internal_value(data)
