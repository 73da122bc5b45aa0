"""Page views written to the audit trail in batches, off the request path.

A signed-in victim's page view is pushed onto a Redis list before the response goes
(one RPUSH, about 0.1 ms); the flush (Celery beat, every AUDIT_VIEWS_FLUSH_SECONDS)
writes them to the trail in batches of AUDIT_VIEWS_FLUSH_BATCH. Nothing is lost and
nothing is written twice:

1. Each view carries its own key (`view_key`, unique in the table): writing a batch
   again after a crash skips the rows already in.
2. One flush at a time holds a lock with a lease; a batch leaves the list only after
   its rows are committed, and only while its flush still holds the lock. A worker
   killed mid-batch leaves the batch at the head of the list, and the next flush,
   once the lease has run out, writes what is missing of it.
3. If Redis does not take the push, the view is written in the request, as before.

Without Redis (the embedded default) views are written in the request.
"""

import datetime
import json
import logging
import secrets
import uuid
from functools import cache

import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.constants import AuditAction
from audit.models import AuditEvent

logger = logging.getLogger(__name__)

QUEUE_KEY = "tmc:audit:views"
LOCK_KEY = "tmc:audit:views:lock"
# Trim the batch off the list only while this flush still holds the lock: a flush
# that stalled past its lease must not trim what another flush is writing.
_TRIM_IF_HELD = """
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('LTRIM', KEYS[1], tonumber(ARGV[2]), -1)
  return 1
end
return 0
"""


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT_SECONDS,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT_SECONDS,
    )


def views_batched() -> bool:
    return bool(settings.REDIS_URL) and settings.AUDIT_VIEWS_BATCHED


def view_push(events: list[AuditEvent]) -> bool:
    """Queue page-view rows for the flush; return False if Redis did not take them
    (the caller then writes them itself)."""
    items = [
        json.dumps(
            {
                "view_key": str(uuid.uuid4()),
                "occurred_at": event.occurred_at.isoformat(),
                "actor_kind": event.actor_kind,
                "actor_id": event.actor_id,
                "actor_label": event.actor_label,
                "object_type": event.object_type,
                "object_id": event.object_id,
                "force_id": event.force_id,
                "case_id": event.case_id,
                "detail": event.detail,
                "ip_address": event.ip_address,
            },
            separators=(",", ":"),
        )
        for event in events
    ]
    try:
        _redis().rpush(QUEUE_KEY, *items)
    except redis.RedisError:
        logger.warning("audit views: Redis refused a push; writing it now")
        return False
    return True


def _event(item: bytes | str) -> AuditEvent:
    data = json.loads(item)
    return AuditEvent(
        view_key=uuid.UUID(data["view_key"]),
        occurred_at=datetime.datetime.fromisoformat(data["occurred_at"]),
        actor_kind=data["actor_kind"],
        actor_id=data["actor_id"],
        actor_label=data["actor_label"],
        action=AuditAction.VIEW,
        object_type=data["object_type"],
        object_id=data["object_id"],
        force_id=data["force_id"],
        case_id=data["case_id"],
        detail=data["detail"],
        ip_address=data["ip_address"],
    )


def views_flush(*, batch: int | None = None, max_batches: int = 1000) -> int:
    """Write queued page views to the trail, a batch per commit, until the list is
    empty; return how many batches were written. Another flush running: 0."""
    batch = batch or settings.AUDIT_VIEWS_FLUSH_BATCH
    client = _redis()
    token = secrets.token_hex(16)
    lease = settings.AUDIT_VIEWS_FLUSH_LEASE_SECONDS
    if not client.set(LOCK_KEY, token, nx=True, ex=lease):
        return 0
    trim = client.register_script(_TRIM_IF_HELD)
    written = 0
    try:
        for _ in range(max_batches):
            items = client.lrange(QUEUE_KEY, 0, batch - 1)
            if not items:
                break
            # Keep the lease while this flush works; a long flush renews it.
            client.set(LOCK_KEY, token, xx=True, ex=lease)
            with transaction.atomic():
                AuditEvent.objects.bulk_create(
                    [_event(item) for item in items], ignore_conflicts=True
                )
            if not trim(keys=[QUEUE_KEY, LOCK_KEY], args=[token, len(items)]):
                break  # the lease ran out: the next flush writes the rest
            written += 1
    finally:
        client.eval(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then "
            "return redis.call('DEL', KEYS[1]) end return 0",
            1,
            LOCK_KEY,
            token,
        )
    return written


def views_waiting() -> tuple[int, datetime.timedelta | None]:
    """Return how many views wait unwritten, and how long the oldest has waited."""
    client = _redis()
    count = client.llen(QUEUE_KEY)
    head = client.lindex(QUEUE_KEY, 0)
    if not head:
        return count, None
    oldest = datetime.datetime.fromisoformat(json.loads(head)["occurred_at"])
    return count, timezone.now() - oldest
