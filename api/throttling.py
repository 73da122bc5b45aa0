import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from accounts.models import ApiClient

WINDOW_SECONDS = 60


class ApiClientRateThrottle(BaseThrottle):
    """At most API_REQUESTS_PER_MINUTE requests per client per clock minute.

    The count is one atomic increment in the shared cache (Redis in production), so
    every web worker sees the same count. REST framework's own throttles keep a list
    of times that each worker reads, changes and writes back, which loses requests
    when workers race.
    """

    def __init__(self):
        self.retry_after = 0.0

    def allow_request(self, request, view) -> bool:
        client = request.user
        if not isinstance(client, ApiClient):
            return True
        now = time.time()
        key = f"api-throttle:{client.pk}:{int(now // WINDOW_SECONDS)}"
        cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=WINDOW_SECONDS * 2)
            count = 1
        self.retry_after = WINDOW_SECONDS - (now % WINDOW_SECONDS)
        return count <= settings.API_REQUESTS_PER_MINUTE

    def wait(self) -> float:
        return self.retry_after
