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
# Lone surrogates (from JSON's \ud800 escapes) are not text either, and no database
# can store them; a schema's pattern cannot name them, but no JSON encoder makes them.
_ALLOWED_CONTROL_CHARACTERS = {"\n", "\r", "\t"}
_REFUSED_CATEGORIES = {"Cc", "Cs"}

# The same rules for the schema, as patterns that ECMA-262 and Python read alike.
_NOT_TEXT = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# What str.strip() trims, less the control characters refused anyway (spelled out:
# the two languages' \s differ).
_SPACE = r"\t\n\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
TEXT_PATTERN = rf"^[^{_NOT_TEXT}]*$"


def text_pattern_with_more_than(characters: str = "") -> str:
    """A pattern for text with at least one character that is not white space nor
    one of `characters` (as a regular expression class's contents)."""
    return rf"^[^{_NOT_TEXT}]*[^{_SPACE}{characters}{_NOT_TEXT}][^{_NOT_TEXT}]*$"


# Text that is more than white space: REST framework trims it, and a blank is refused.
NON_BLANK_TEXT_PATTERN = text_pattern_with_more_than()


def _matches(pattern: str, value: str) -> bool:
    """Whether all of `value` matches `pattern` as the schema means it: a final $
    ends the text, where Python's would also allow a line break after it."""
    return re.fullmatch(pattern.removeprefix("^").removesuffix("$"), value) is not None


class StrictCharField(serializers.CharField):
    """Text with no control characters, no longer than max_length as sent (before
    white space is trimmed), as the schema's pattern and maxLength say."""

    default_error_messages = {
        "control_character": "Remove the control character ({code}) from this text."
    }

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        for character in data:
            if (
                unicodedata.category(character) in _REFUSED_CATEGORIES
                and character not in _ALLOWED_CONTROL_CHARACTERS
            ):
                self.fail("control_character", code=f"U+{ord(character):04X}")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)

    def schema_pattern(self) -> str:
        return TEXT_PATTERN if self.allow_blank else NON_BLANK_TEXT_PATTERN


class PatternCharField(StrictCharField):
    """Text that must also match `pattern`, as sent; the schema states the pattern."""

    def __init__(self, *, pattern: str, pattern_message: str, **kwargs: Any):
        self.pattern = pattern
        self.pattern_message = pattern_message
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if not _matches(self.pattern, data):
            raise serializers.ValidationError(self.pattern_message)
        return value

    def schema_pattern(self) -> str:
        return self.pattern


class StrictEmailField(serializers.EmailField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


# A number in international format (E.164, +447400123456) or a UK one (07400
# 123456), with single spaces between digits at most; empty for none.
PHONE_PATTERN = r"^(|\+[1-9]( ?[0-9]){6,14}|0( ?[0-9]){9,10})$"


class StrictPhoneNumberField(PhoneNumberField):
    """A phone number in the form PHONE_PATTERN states; whether the number exists
    (a real range, the right length for its country) only the parser can tell."""

    default_error_messages = {
        "format": _(
            "Enter the number in international format, like +447400123456, or as "
            "a UK number, like 07400 123456."
        )
    }

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid")
        if not _matches(PHONE_PATTERN, data):
            self.fail("format")
        return super().to_internal_value(data)

    def schema_pattern(self) -> str:
        return PHONE_PATTERN


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


# A date in the years 1900 to 2999: nothing in a case is older, and a year 1 or
# 9999 date cannot be moved to UTC. The calendar (no 31 June) is the format's rule.
_DATE = r"(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
DATE_PATTERN = rf"^{_DATE}$"
# RFC 3339, as the schema's format says: with seconds and an offset, to the
# microsecond at most (2026-11-02T10:00:00Z, 2026-11-02T10:00:00.5+01:00).
DATE_TIME_PATTERN = (
    rf"^{_DATE}[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{{1,6}})?"
    r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)


class StrictDateTimeField(serializers.DateTimeField):
    """An RFC 3339 date-time with its offset, as the schema's pattern says
    (2026-11-02T10:00:00Z); not a bare date, a number, or a time with no zone."""

    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str) or not _matches(DATE_TIME_PATTERN, value):
            self.fail("invalid", format="YYYY-MM-DDThh:mm:ssZ or with +hh:mm")
        # RFC 3339 lets T and Z be written small; Python's parser does not.
        return super().to_internal_value(value.upper())

    def schema_pattern(self) -> str:
        return DATE_TIME_PATTERN


class StrictDateField(serializers.DateField):
    """A date as YYYY-MM-DD, and nothing Python would also read as one (20261102)."""

    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str) or not _matches(DATE_PATTERN, value):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)

    def schema_pattern(self) -> str:
        return DATE_PATTERN


def schema_pattern(field: serializers.Field) -> str | None:
    """The pattern the schema states for an input field of this module."""
    method = getattr(field, "schema_pattern", None)
    return method() if method else None


class QueryIntegerField(serializers.IntegerField):
    """A whole number in a query string: digits only (not 5.0, not +5)."""

    def to_internal_value(self, data: Any) -> int:
        if not isinstance(data, str) or not re.fullmatch(r"[0-9]{1,9}", data):
            self.fail("invalid")
        return super().to_internal_value(data)
