"""The baseline for the message-pipeline benchmark (bench/pipeline.py).

A benchmark worker imports this module with `--include bench.tasks`; the service's
own workers never do. The no-op task does as little as a task can while still being
counted: one Redis INCR, and the task that completes the batch notes the time. The
worker notes the time it became ready, so that start-up is left out of both timings.
"""

import os
import time

import redis
from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

# The run's keys, in the broker's Redis database; bench/pipeline.py deletes them.
KEY_PREFIX = "tmc-bench:{run}:"
READY_KEY = KEY_PREFIX + "ready-at"
COUNT_KEY = KEY_PREFIX + "noop-count"
DONE_KEY = KEY_PREFIX + "noop-done-at"
# Set in the benchmark worker's environment: which run's keys to write.
RUN_ENV = "TMC_BENCH_RUN"

_clients: dict[int, redis.Redis] = {}


def _redis() -> redis.Redis:
    # One client per process: prefork children must not share the parent's sockets.
    pid = os.getpid()
    if pid not in _clients:
        _clients[pid] = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT_SECONDS,
            socket_timeout=settings.REDIS_SOCKET_TIMEOUT_SECONDS,
        )
    return _clients[pid]


@shared_task(name="bench.noop", ignore_result=True)
def noop(run: str, total: int) -> None:
    """Count this task; the last of `total` records when the batch finished."""
    client = _redis()
    if client.incr(COUNT_KEY.format(run=run)) == total:
        client.set(DONE_KEY.format(run=run), repr(time.time()), ex=24 * 60 * 60)


@worker_ready.connect
def record_ready(**kwargs) -> None:
    """Note when the worker said "ready." (the same moment it logs it)."""
    run = os.environ.get(RUN_ENV)
    if run:
        _redis().set(READY_KEY.format(run=run), repr(time.time()), ex=24 * 60 * 60)
