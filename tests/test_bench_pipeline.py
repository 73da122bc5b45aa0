"""The message-pipeline benchmark (bench/pipeline.py) at a tiny size, so it cannot rot.

It runs the real thing: bench cases in the test database, updates through
case_add_update, this run's Redis, two real Celery worker processes (messages, then
no-op tasks) with production settings, and the GOV.UK Notify stand-in.
"""

import pytest
import redis
from django.db import connection

from audit.constants import AuditAction
from audit.models import AuditEvent
from bench.data import load_cases
from bench.pipeline import QUEUE, measure_pipeline
from bench.web import production_env
from notifications.constants import NotificationStatus
from notifications.models import Notification
from trackmycrime.testing import redis_url

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

MESSAGES = 20


@pytest.fixture
def broker():
    """This run's Redis database, emptied of any earlier test's messages."""
    url = redis_url()
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url, client
    client.flushdb()


def _production_env(redis_url: str) -> dict[str, str]:
    db = connection.settings_dict
    return production_env(
        DATABASE_URL=(
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/"
            f"{db['NAME']}"
        ),
        REDIS_URL=redis_url,
    )


def test_it_sends_every_message_exactly_once_and_reports_both_rates(broker, tmp_path):
    redis_url, client = broker
    load_cases(MESSAGES + 5)

    result = measure_pipeline(
        messages=MESSAGES, env=_production_env(redis_url), workdir=tmp_path
    )

    messages, noop = result["messages"], result["noop_tasks"]
    assert messages["count"] == messages["sent"] == MESSAGES
    assert messages["duplicates"] == 0
    assert messages["lost"] == 0
    assert noop["count"] == MESSAGES
    for batch in (messages, noop):
        assert batch["seconds"] > 0
        assert batch["per_second"] > 0
    assert result["ratio"] == pytest.approx(
        messages["per_second"] / noop["per_second"], abs=0.001
    )
    assert result["celery_worker_peak_rss_mb"] > 10
    assert result["worker"]["concurrency"] >= 1

    rows = Notification.objects.all()
    assert rows.count() == MESSAGES
    assert {row.status for row in rows} == {NotificationStatus.SENT}
    assert {row.provider for row in rows} == {"notify"}
    # One disclosure recorded per row: each went out once, through the real path.
    disclosed = AuditEvent.objects.filter(action=AuditAction.DISCLOSE)
    assert sorted(int(e.object_id) for e in disclosed) == sorted(r.pk for r in rows)
    # Nothing of the run is left queued, in flight or counted.
    assert client.llen(QUEUE) == 0
    assert client.hlen("unacked") == 0
    assert not list(client.scan_iter(match="tmc-bench:*"))


def test_it_refuses_a_broker_with_tasks_already_waiting(broker, tmp_path):
    redis_url, client = broker
    client.lpush(QUEUE, "someone else's task")

    with pytest.raises(RuntimeError, match="1 queued"):
        measure_pipeline(messages=1, env=_production_env(redis_url), workdir=tmp_path)
    assert client.llen(QUEUE) == 1
