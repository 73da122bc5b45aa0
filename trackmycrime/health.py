"""Health checks for operators: liveness touches no dependency; readiness does, and
also fails when messages to victims have stopped going out: no worker heard from
for READYZ_WORKER_SILENT_SECONDS, or a message due to go has waited
READYZ_OLDEST_DUE_SECONDS."""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {
        "database": _check_database,
        "cache": _check_cache,
        "workers": _check_workers,
        "backlog": _check_backlog,
    }
    results = {}
    for name, check in checks.items():
        try:
            results[name] = check() or "ok"
        except NotReady as failing:
            logger.warning("readiness check %s failed: %s", name, failing)
            results[name] = "failing"
        except Exception:
            logger.exception("readiness check failed", extra={"check": name})
            results[name] = "failing"
    healthy = "failing" not in results.values()
    return JsonResponse(
        {"status": "ok" if healthy else "failing", "checks": results},
        status=200 if healthy else 503,
    )


class NotReady(Exception):
    """A check that answered, with bad news."""


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    cache.set("readyz", "1", timeout=5)
    if cache.get("readyz") != "1":
        raise RuntimeError("cache did not return what was stored")


def _check_workers() -> str | None:
    """Some worker recorded a heartbeat recently. On the embedded default tasks run
    in the web process, and there is no worker to hear from."""
    from trackmycrime.celery import app
    from trackmycrime.metrics import newest_heartbeat_age

    if app.conf.task_always_eager:
        return "in-process"
    age = newest_heartbeat_age()
    if age is None or age > settings.READYZ_WORKER_SILENT_SECONDS:
        raise NotReady(
            "no worker heard from" if age is None else f"last heartbeat {age:.0f}s ago"
        )
    return None


def _check_backlog() -> None:
    """No message due to go has waited too long."""
    from django.utils import timezone

    from notifications.selectors import notifications_oldest_due

    now = timezone.now()
    for kind, due in notifications_oldest_due().items():
        if due and (now - due).total_seconds() > settings.READYZ_OLDEST_DUE_SECONDS:
            raise NotReady(f"a {kind} message has waited since {due.isoformat()}")
