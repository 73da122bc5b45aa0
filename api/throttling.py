import time

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from accounts.models import ApiClient
from trackmycrime.outages import CACHE_ERRORS
from trackmycrime.rate_limits import cache_away, window_count

WINDOW_SECONDS = 60


class ApiClientRateThrottle(BaseThrottle):
    """At most API_REQUESTS_PER_MINUTE requests per client per clock minute.

    The count is the service's one rate limiter (trackmycrime.rate_limits), an
    atomic increment in the shared cache, here in windows aligned to the clock so
    that Retry-After is known. REST framework's own throttles keep a list of times
    that each worker reads, changes and writes back, which loses requests when
    workers race.

    While the cache is away the throttle fails open: a force's records system is a
    known, authenticated client, the limit guards capacity rather than any secret,
    and refusing its writes would hold back what victims are told.
    """

    def __init__(self):
        self.retry_after = 0.0

    def allow_request(self, request, view) -> bool:
        client = request.user
        if not isinstance(client, ApiClient):
            return True
        now = time.time()
        key = f"rate:api:{client.pk}:{int(now // WINDOW_SECONDS)}"
        try:
            count = window_count(key, WINDOW_SECONDS * 2)
        except CACHE_ERRORS as error:
            cache_away(error, skipped="API throttle not counted")
            return True
        self.retry_after = WINDOW_SECONDS - (now % WINDOW_SECONDS)
        return count <= settings.API_REQUESTS_PER_MINUTE

    def wait(self) -> float:
        return self.retry_after
