import datetime

from django.utils import timezone
from rest_framework.views import APIView


class ApiView(APIView):
    """An endpoint of the API. Times go out in UTC (2026-11-02T10:00:00Z), whatever
    the site's own time zone: unambiguous for another system, and valid RFC 3339
    even for old dates, where Europe/London's offset had seconds in it."""

    def dispatch(self, request, *args, **kwargs):
        with timezone.override(datetime.UTC):
            return super().dispatch(request, *args, **kwargs)
