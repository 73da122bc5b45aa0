"""The production path: the sign-in request only queues a task (with nothing but the
attempt's id) on Redis, and a real Celery worker matches the details and sends the
code. Elsewhere the tests run tasks in-process; this one proves the real thing."""

import time

import pytest
from django.core.cache import cache

from tests.portal import outbox_messages
from trackmycrime.testing import require_redis
from victims.models import SignInAttempt


@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_sends_the_code_queued_through_redis(
    client, victim_on_case, outbox
):
    require_redis()
    from celery.contrib.testing.worker import start_worker

    import victims.tasks  # noqa: F401 - registers the task with the worker
    from trackmycrime.celery import app

    assert not app.conf.task_always_eager
    cache.clear()
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        response = client.post(
            "/sign-in/",
            {"crime_reference": "NS/00001/26", "contact": "victim@example.com"},
        )
        assert response.status_code == 303
        deadline = time.monotonic() + 30
        while not outbox_messages(outbox) and time.monotonic() < deadline:
            time.sleep(0.1)
    [message] = outbox_messages(outbox)
    assert message["to"] == "victim@example.com"
    attempt = SignInAttempt.objects.get()
    assert attempt.victim_id == victim_on_case.victim_id
    assert not attempt.send_pending
    cache.clear()
