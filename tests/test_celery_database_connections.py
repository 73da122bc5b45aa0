"""A Celery worker keeps its database connection between tasks, as a web process
does between requests (DATABASE_CONN_MAX_AGE, health checks), instead of opening a
new PostgreSQL connection for every message (trackmycrime/celery.py).

The worker's own Django fix-up is installed here as a worker installs it, and the
task signals are sent as a worker sends them around each task.
"""

import pytest
from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_postrun, task_prerun, worker_process_init
from django.db import connection, transaction

from trackmycrime.celery import app as celery_app

# A worker's connection handling closes connections; on SQLite's in-memory test
# database that would end the database for every later test.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_fixup():
    fixup = DjangoWorkerFixup(celery_app).install()
    yield fixup
    task_prerun.disconnect(fixup.on_task_prerun)
    task_postrun.disconnect(fixup.on_task_postrun)
    worker_process_init.disconnect(fixup.on_worker_process_init)


@pytest.fixture
def task():
    from notifications.tasks import send_notification

    return send_notification


def _run_task_signals(task) -> None:
    task_prerun.send(sender=task, task_id="t", task=task, args=(1,), kwargs={})
    task_postrun.send(
        sender=task,
        task_id="t",
        task=task,
        args=(1,),
        kwargs={},
        retval="sent",
        state="SUCCESS",
    )


def _query() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone()[0]


def test_a_worker_keeps_its_database_connection_between_tasks(worker_fixup, task):
    _query()
    kept = connection.connection

    for _ in range(5):
        _run_task_signals(task)
        assert _query() == 1

    assert connection.connection is kept


def test_a_broken_connection_is_replaced_before_the_next_task(worker_fixup, task):
    _query()
    broken = connection.connection
    broken.close()  # as when PostgreSQL restarts under the worker
    connection.errors_occurred = True

    _run_task_signals(task)

    assert connection.connection is not broken
    assert _query() == 1


def test_a_connection_older_than_its_maximum_age_is_replaced(worker_fixup, task):
    _query()
    old = connection.connection
    connection.close_at = 0  # long past

    _run_task_signals(task)
    assert _query() == 1

    assert connection.connection is not old


def test_a_task_run_eagerly_leaves_the_requests_transaction_alone(worker_fixup, task):
    with transaction.atomic():
        _query()
        in_request = connection.connection
        task.push_request(is_eager=True)
        try:
            _run_task_signals(task)
        finally:
            task.pop_request()
        assert not connection.needs_rollback
        assert _query() == 1
        assert connection.connection is in_request
