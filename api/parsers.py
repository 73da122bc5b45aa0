import io

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from api.errors import RequestTooLarge
from api.json_depth import json_depth_exceeds


class TooDeeplyNested(ParseError):
    default_detail = _(
        "The JSON body is nested too deeply: no more than %(limit)s levels of "
        "arrays and objects inside one another."
    )
    default_code = "too_deep"

    def __init__(self, limit: int):
        super().__init__(self.default_detail % {"limit": limit})


class LimitedJSONParser(JSONParser):
    """JSON, refused with 413 above API_MAX_BODY_BYTES before it is read into memory,
    and with 400 when nested deeper than API_MAX_JSON_DEPTH before it is parsed.

    REST framework reads the request stream itself, so Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE never applies to API bodies.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0) if request else 0
        except ValueError:
            declared = 0
        if declared > limit:
            raise RequestTooLarge()
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise RequestTooLarge()
        if json_depth_exceeds(body, settings.API_MAX_JSON_DEPTH):
            raise TooDeeplyNested(settings.API_MAX_JSON_DEPTH)
        return super().parse(io.BytesIO(body), media_type, parser_context)
