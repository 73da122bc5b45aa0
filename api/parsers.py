import io

from django.conf import settings
from rest_framework.parsers import JSONParser

from api.errors import RequestTooLarge


class LimitedJSONParser(JSONParser):
    """JSON, refused with 413 above API_MAX_BODY_BYTES before it is read into memory.

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
        return super().parse(io.BytesIO(body), media_type, parser_context)
