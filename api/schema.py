"""Touches drf-spectacular cannot make by itself."""

import re

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from api import fields

RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    location=OpenApiParameter.HEADER,
    response=[429],
    required=True,
    description="Seconds to wait before sending again.",
)


def forbid_unknown_request_fields(result, generator, request, public):
    """Say in the schema what the API does: a request body with a field it does not
    know is refused (400), so request objects allow no additional properties."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    return result


def one_way_to_be_blank(result, generator, request, public):
    """drf-spectacular writes a field that may be blank as oneOf [its pattern, a
    string of length 0]; where the pattern itself allows a blank, a blank would match
    both, which oneOf forbids. Keep the pattern alone there."""
    for component in result.get("components", {}).get("schemas", {}).values():
        for field in component.get("properties", {}).values():
            branches = field.get("oneOf")
            if (
                branches
                and len(branches) == 2
                and branches[1] == {"type": "string", "maxLength": 0}
                and "pattern" in branches[0]
                and re.search(branches[0]["pattern"], "")
            ):
                del field["oneOf"]
                field.update(branches[0])
    return result


class PatternFieldExtension(OpenApiSerializerFieldExtension):
    """State in the schema the pattern each strict input field checks: no control
    characters, no blank where text is needed, dates and numbers as written."""

    target_class = "api.fields.StrictCharField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(
            self.target, direction, bypass_extensions=True
        )
        pattern = fields.schema_pattern(self.target)
        if pattern and direction == "request":
            schema["pattern"] = pattern
        return schema


class DateTimePatternExtension(PatternFieldExtension):
    target_class = "api.fields.StrictDateTimeField"


class DatePatternExtension(PatternFieldExtension):
    target_class = "api.fields.StrictDateField"


class PhonePatternExtension(PatternFieldExtension):
    target_class = "api.fields.StrictPhoneNumberField"
