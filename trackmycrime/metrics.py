"""What operators watch: Prometheus metrics at /metrics, and the workers' heartbeats.

Web requests are served by several gunicorn processes and messages are sent by
Celery's prefork children, often on other machines, so nothing is counted in a
process's memory (a scrape would see one process's share):

- gauges are worked out from the database and the cache at scrape time, one query
  for each family (`notifications.selectors`);
- counters (messages sent, second sends found, API answers) are kept in the shared
  cache (Redis in production) by whichever process counts, and read at scrape time.
  Redis keeps them across restarts of the processes; if Redis loses them, the
  counters start again from 0, which Prometheus's rate() reads as a reset.

So any one web process answers for the whole service, workers included. Labels
carry only fixed words (status, kind, channel, provider, HTTP status, a worker's
host name): never a crime reference, an address or anything typed by a person.
"""

import hmac
import http
import logging
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

# The classic text format, which every Prometheus version reads.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

logger = logging.getLogger(__name__)

# The counters kept in the cache, each with the one set of labels it may carry.
# A provider not named here (a test's, or one added later) counts as "other".
PROVIDERS = ("file", "console", "smtp", "notify", "other")
CHANNELS = ("email", "sms")
API_STATUSES = tuple(str(status.value) for status in http.HTTPStatus)
COUNTERS: dict[str, tuple[str, tuple[dict[str, str], ...]]] = {
    "notifications_sent": (
        "Messages to victims that left, by channel and provider (a message the "
        "provider holds twice for one row counts twice).",
        tuple(
            {"channel": channel, "provider": provider}
            for channel in CHANNELS
            for provider in PROVIDERS
        ),
    ),
    "notifications_duplicates": (
        "Second (or later) sends of one message, found by a look-up or a receipt; "
        "each has its own disclosure in the audit trail.",
        tuple(
            {"channel": channel, "provider": provider}
            for channel in CHANNELS
            for provider in PROVIDERS
        ),
    ),
    "api_responses": (
        "Answers to the API (/api/), by HTTP status.",
        tuple({"status": status} for status in API_STATUSES),
    ),
}
HEARTBEATS_KEY = "metrics:heartbeats"
HEARTBEAT_KEPT_SECONDS = 24 * 60 * 60


def _counter_key(name: str, labels: dict[str, str]) -> str:
    return "metrics:" + ":".join([name, *(labels[label] for label in sorted(labels))])


_KEYS = frozenset(
    _counter_key(name, labels)
    for name, (_help, label_sets) in COUNTERS.items()
    for labels in label_sets
)


def metrics_count(name: str, labels: dict[str, str], by: int = 1) -> None:
    """Add `by` to the counter `name` for these labels, in the shared cache. A
    counter is never worth a failed request or task: a cache that is away loses
    the count, and says so in the log."""
    if "provider" in labels and labels["provider"] not in PROVIDERS:
        labels = {**labels, "provider": "other"}
    key = _counter_key(name, labels)
    if key not in _KEYS:
        logger.warning("No counter %s for these labels", name)
        return
    try:
        try:
            cache.incr(key, by)
        except ValueError:  # the first count of this key
            if not cache.add(key, by, timeout=None):
                cache.incr(key, by)
    except Exception as error:
        logger.warning("Could not count %s (%s)", name, type(error).__name__)


def worker_heartbeat_record(*, name: str) -> None:
    """Record that the worker `name` is alive now (its own main process calls this
    every WORKER_HEARTBEAT_SECONDS)."""
    now = time.time()
    cache.set(f"{HEARTBEATS_KEY}:{name}", now, timeout=HEARTBEAT_KEPT_SECONDS)
    names = cache.get(HEARTBEATS_KEY) or []
    if name not in names:
        # Two workers starting at once may each miss the other here; the next
        # heartbeat puts a lost name back.
        cache.set(HEARTBEATS_KEY, [*names, name], timeout=None)


def worker_heartbeats() -> dict[str, float]:
    """Each worker's last heartbeat (a Unix time), for the workers seen in the last
    day."""
    names = cache.get(HEARTBEATS_KEY) or []
    seen = cache.get_many([f"{HEARTBEATS_KEY}:{name}" for name in names])
    return {
        name: float(seen[key])
        for name in names
        if (key := f"{HEARTBEATS_KEY}:{name}") in seen
    }


def newest_heartbeat_age() -> float | None:
    """Seconds since any worker last recorded a heartbeat; None if none has."""
    beats = worker_heartbeats()
    return time.time() - max(beats.values()) if beats else None


class ServiceCollector:
    """Every metric, read from the database and the cache at scrape time."""

    def collect(self) -> Iterator[Metric]:
        for family in (
            self._notifications,
            self._oldest_due,
            self._heartbeats,
            self._counters,
        ):
            try:
                yield from family()
            except Exception:
                # One family that cannot be read leaves the others to be scraped.
                logger.exception("metrics family %s failed", family.__name__)
                failed = GaugeMetricFamily(
                    "tmc_metrics_family_failed",
                    "1 where a family of metrics could not be read at this scrape.",
                    labels=["family"],
                )
                failed.add_metric([family.__name__.strip("_")], 1)
                yield failed

    def _notifications(self) -> Iterator[Metric]:
        from notifications.constants import MessageKind, NotificationStatus
        from notifications.selectors import notifications_unfinished_counts

        counts = notifications_unfinished_counts()
        waiting = GaugeMetricFamily(
            "tmc_notifications_unfinished",
            "Messages to victims not yet sent (pending) or being sent (sending), and "
            "failures nobody has dealt with yet, by status and kind.",
            labels=["status", "kind"],
        )
        for (status, kind), count in sorted(counts.items()):
            waiting.add_metric([status, kind], count)
        yield waiting
        codes = GaugeMetricFamily(
            "tmc_sign_in_codes_pending",
            "Sign-in codes asked for and not sent yet (pending or being sent).",
        )
        codes.add_metric(
            [],
            sum(
                counts.get((status, MessageKind.SIGN_IN_CODE), 0)
                for status in (NotificationStatus.PENDING, NotificationStatus.SENDING)
            ),
        )
        yield codes
        from notifications.selectors import notifications_recent_counts

        recent = GaugeMetricFamily(
            "tmc_notifications_last_day",
            "Messages to victims written in the last 24 hours, by what became of "
            "them (status).",
            labels=["status"],
        )
        for status, count in sorted(notifications_recent_counts().items()):
            recent.add_metric([status], count)
        yield recent

    def _oldest_due(self) -> Iterator[Metric]:
        from notifications.selectors import notifications_oldest_due

        family = GaugeMetricFamily(
            "tmc_notifications_oldest_due_age_seconds",
            "How long the message that has waited longest since it was due to go "
            "has waited, by kind (0 when none is waiting).",
            labels=["kind"],
        )
        now = timezone.now()
        for kind, due in sorted(notifications_oldest_due().items()):
            family.add_metric(
                [kind], max(0.0, (now - due).total_seconds()) if due else 0.0
            )
        yield family

    def _heartbeats(self) -> Iterator[Metric]:
        beats = worker_heartbeats()
        now = time.time()
        ages = GaugeMetricFamily(
            "tmc_worker_heartbeat_age_seconds",
            "Seconds since each Celery worker (by host name) last recorded a "
            "heartbeat; workers seen in the last day.",
            labels=["worker"],
        )
        for name, beat in sorted(beats.items()):
            ages.add_metric([name], max(0.0, now - beat))
        yield ages
        alive = GaugeMetricFamily(
            "tmc_workers_alive",
            "Workers whose last heartbeat is within READYZ_WORKER_SILENT_SECONDS.",
        )
        silent = settings.READYZ_WORKER_SILENT_SECONDS
        alive.add_metric([], sum(1 for beat in beats.values() if now - beat < silent))
        yield alive

    def _counters(self) -> Iterator[Metric]:
        keys = {
            _counter_key(name, labels): (name, labels)
            for name, (_help, label_sets) in COUNTERS.items()
            for labels in label_sets
        }
        values = cache.get_many(list(keys))
        for name, (help_text, label_sets) in COUNTERS.items():
            names = sorted(label_sets[0])
            family = CounterMetricFamily(f"tmc_{name}", help_text, labels=names)
            for labels in label_sets:
                value = values.get(_counter_key(name, labels))
                # A count that never happened is left out, not written as 0.
                if value or name != "api_responses":
                    family.add_metric([labels[n] for n in names], int(value or 0))
            yield family


def _authorised(request: HttpRequest) -> bool:
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.encode(), settings.METRICS_TOKEN.encode()
    )


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """The service's metrics in Prometheus's text format, for a scraper that sends
    `Authorization: Bearer <METRICS_TOKEN>`; not served at all without the setting."""
    if not settings.METRICS_TOKEN:
        return HttpResponse(status=404)
    if not _authorised(request):
        response = HttpResponse("Not authorised.\n", status=401)
        response["WWW-Authenticate"] = "Bearer"
        return response
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ServiceCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE)


class ApiResponseCountMiddleware:
    """Count every answer to the API by its HTTP status, whichever process gives
    it: the error rate is the 4xx and 5xx share of `tmc_api_responses_total`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/"):
            status = str(response.status_code)
            if status in API_STATUSES:
                metrics_count("api_responses", {"status": status})
        return response
