"""The production path: the sign-in request only queues a message (with nothing but
the outbox row's id) on Redis, and a real Celery worker matches the details and
sends the code. Elsewhere the tests run tasks in-process; this one proves the real
thing, and that codes have a queue of their own."""

import time

import pytest
import redis
from django.conf import settings
from django.test import override_settings

from cases.services import case_add_update
from notifications.constants import MessageKind, NotificationStatus
from notifications.models import Notification
from tests.factories import CaseVictimFactory
from tests.portal import outbox_messages
from trackmycrime.testing import redis_url
from victims.constants import ContactPreference
from victims.models import SignInAttempt

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _wait_for_messages(outbox, count: int) -> None:
    deadline = time.monotonic() + 30
    while len(outbox_messages(outbox)) < count and time.monotonic() < deadline:
        time.sleep(0.1)


def test_a_celery_worker_sends_the_code_queued_through_redis(
    client, victim_on_case, outbox
):
    from celery.contrib.testing.worker import start_worker

    import notifications.tasks  # noqa: F401 - registers the task with the worker
    from trackmycrime.celery import app

    assert not app.conf.task_always_eager
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        response = client.post(
            "/sign-in/",
            {"crime_reference": "NS/00001/26", "contact": "victim@example.com"},
        )
        assert response.status_code == 303
        _wait_for_messages(outbox, 1)
    [message] = outbox_messages(outbox)
    assert message["to"] == "victim@example.com"
    attempt = SignInAttempt.objects.get()
    assert attempt.victim_id == victim_on_case.victim_id
    row = Notification.objects.get(sign_in_attempt=attempt)
    assert (row.kind, row.status) == (MessageKind.SIGN_IN_CODE, NotificationStatus.SENT)


# Text messages are held in quiet hours; this test is about the queues, so it must
# not depend on the hour it runs at.
@override_settings(NOTIFICATIONS_QUIET_HOURS=())
def test_a_code_is_queued_apart_from_a_backlog_of_updates(
    client, victim_on_case, officer, outbox
):
    from celery.contrib.testing.worker import start_worker

    import notifications.tasks  # noqa: F401
    from trackmycrime.celery import app

    broker = redis.Redis.from_url(redis_url())
    for _ in range(20):
        CaseVictimFactory(
            case=victim_on_case.case,
            victim__contact_preference=ContactPreference.EMAIL_AND_SMS,
        )
    case_add_update(case=victim_on_case.case, actor=officer, victim_text="Update")
    client.post(
        "/sign-in/",
        {"crime_reference": "NS/00001/26", "contact": "victim@example.com"},
    )
    # The update goes to the first victim and 20 others by email and text message:
    # 42 tasks wait on the default queue, and the code's task alone on its own,
    # which every worker also reads.
    assert broker.llen(settings.NOTIFICATIONS_UPDATE_QUEUE) == 42
    assert broker.llen(settings.NOTIFICATIONS_CODE_QUEUE) == 1
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        _wait_for_messages(outbox, 43)
    assert len(outbox_messages(outbox)) == 43
