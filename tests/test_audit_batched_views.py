"""A signed-in victim's page views reach the audit trail in batches, off the request
path: queued on Redis before the response, written by the flush, never lost when a
worker dies mid-batch and never written twice. Without Redis they are written in the
request."""

import os
import signal
import subprocess
import sys
import time

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from audit import batched
from audit.constants import ObjectType
from audit.models import AuditEvent
from audit.services import Audited, audit_view
from tests.portal import sign_in
from trackmycrime.testing import redis_url

REFERENCE = "NS/00001/26"
EMAIL = "victim@example.com"

# Run in a process of its own: flush in batches of 100, and die by SIGKILL in the
# second batch, before its commit or just after it (before the batch leaves Redis).
KILLED_FLUSH = """
import os, signal, sys
import django
django.setup()
from django.db import transaction
from audit import batched
from audit.models import AuditEvent

real = AuditEvent.objects.bulk_create
calls = []

def bulk_create(objs, **kwargs):
    rows = real(objs, **kwargs)
    calls.append(len(rows))
    if len(calls) == 2:
        if sys.argv[1] == "before_commit":
            os.kill(os.getpid(), signal.SIGKILL)
        transaction.on_commit(lambda: os.kill(os.getpid(), signal.SIGKILL))
    return rows

AuditEvent.objects.bulk_create = bulk_create
batched.views_flush(batch=100)
sys.exit(3)
"""


def _queued() -> int:
    return redis.Redis.from_url(redis_url()).llen(batched.QUEUE_KEY)


def _database_url() -> str:
    database = settings.DATABASES["default"]
    return (
        f"postgres://{database['USER']}:{database['PASSWORD']}@{database['HOST']}:"
        f"{database['PORT']}/{database['NAME']}"
    )


@pytest.mark.redis
@pytest.mark.usefixtures("portal")
def test_a_case_page_view_is_queued_before_the_response_then_flushed(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    sign_in(client, django_capture_on_commit_callbacks, portal, REFERENCE, EMAIL)
    viewed_at = timezone.now()
    assert client.get("/case/").status_code == 200
    assert _queued() == 1
    assert not AuditEvent.objects.filter(action="view").exists()
    assert batched.views_flush() == 1
    view = AuditEvent.objects.get(action="view")
    assert (view.actor_kind, view.actor_id) == ("victim", str(victim_on_case.victim_id))
    assert (view.object_type, view.case_id) == ("case", victim_on_case.case_id)
    assert view.detail == {"page": "case"}
    # The time of the view, not of the flush.
    assert abs((view.occurred_at - viewed_at).total_seconds()) < 5
    assert _queued() == 0


@pytest.mark.redis
@pytest.mark.usefixtures("portal")
def test_a_view_redis_refuses_is_written_in_the_request(
    client, django_capture_on_commit_callbacks, portal, victim_on_case, monkeypatch
):
    sign_in(client, django_capture_on_commit_callbacks, portal, REFERENCE, EMAIL)

    class Refusing:
        def rpush(self, *args):
            raise redis.ConnectionError("Redis is away")

    monkeypatch.setattr(batched, "_redis", Refusing)
    assert client.get("/case/").status_code == 200
    assert AuditEvent.objects.filter(action="view", object_type="case").count() == 1


def test_without_redis_views_are_written_in_the_request(settings, case):
    settings.REDIS_URL = ""
    audit_view(
        actor=None,
        object_type=ObjectType.CASE,
        objects=[Audited(object_id=case.pk, case_id=case.pk)],
        batched=True,
    )
    assert AuditEvent.objects.filter(action="view", case_id=case.pk).count() == 1


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("when", ["before_commit", "after_commit"])
def test_a_flush_killed_mid_batch_loses_no_view_and_writes_none_twice(when):
    views = 350
    audit_view(
        actor=None,
        object_type=ObjectType.CASE,
        objects=[Audited(object_id=number, case_id=number) for number in range(views)],
        batched=True,
    )
    assert _queued() == views
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "trackmycrime.settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url(),
        "AUDIT_VIEWS_FLUSH_LEASE_SECONDS": "5",
    }
    killed = subprocess.run(  # noqa: S603
        [sys.executable, "-c", KILLED_FLUSH, when],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-2000:]
    written = 200 if when == "after_commit" else 100
    assert AuditEvent.objects.filter(action="view").count() == written
    # The killed batch is still queued: it left Redis only after a commit that its
    # flush lived to confirm.
    assert _queued() == views - 100
    # The killed flush's lease runs out; the next flush takes over.
    deadline = time.monotonic() + 30
    while batched.views_flush(batch=100) == 0 and time.monotonic() < deadline:
        time.sleep(0.5)
    rows = AuditEvent.objects.filter(action="view")
    assert rows.count() == views
    assert rows.values("view_key").distinct().count() == views
    assert sorted(int(pk) for pk in rows.values_list("object_id", flat=True)) == list(
        range(views)
    )
    assert _queued() == 0


@pytest.mark.redis
def test_one_flush_at_a_time(db):
    client = redis.Redis.from_url(redis_url())
    client.set(batched.LOCK_KEY, "another flush", ex=30)
    audit_view(
        actor=None,
        object_type=ObjectType.CASE,
        objects=[Audited(object_id=1, case_id=1)],
        batched=True,
    )
    assert batched.views_flush() == 0
    assert _queued() == 1
    client.delete(batched.LOCK_KEY)
    assert batched.views_flush() == 1
    assert _queued() == 0
