"""Touches drf-spectacular cannot make by itself."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

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
