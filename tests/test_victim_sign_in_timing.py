"""The time a sign-in step takes never shows whether the details matched a victim.

Measured on the production path: requests only queue the code message, and a real
Celery worker process (as docker-compose runs it, reading Redis) matches the details
and calls the provider. A worker in a thread of the test process would share its
interpreter lock with the requests being timed, and so show up in their times.
With a provider stand-in that takes 150 ms to answer, as a real one does, a matched
sign-in's code message keeps the worker busy while the visitor goes on entering a
code; none of their requests may wait for it. In the embedded default (no REDIS_URL)
tasks run inside the request that queued them, so a send is part of the request by
design: these tests need Redis, and PostgreSQL, which a worker process can share
with the test (the in-memory SQLite test database cannot be shared).
"""

import multiprocessing
import os
import statistics
import time
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client

from notifications.constants import NotificationStatus
from notifications.models import Notification
from tests.factories import CaseFactory, CaseVictimFactory
from tests.notify_stub import notify_environment, serve_in_process
from tests.test_notification_workers import Worker
from trackmycrime.testing import redis_url

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

SAMPLES = 100
PROVIDER_SECONDS = 0.15
STEPS = ("sign_in", "code", "new_code", "second_code")


def _quartiles(samples: list[float]) -> tuple[float, float, float]:
    q1, median, q3 = statistics.quantiles(samples, n=4)
    return q1, median, q3


def _timed(call) -> float:
    started = time.perf_counter()
    response = call()
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code in (200, 303), response.status_code
    return elapsed


def _journey(reference: str, contact: str, address: str) -> dict[str, float]:
    """Ask for a code, enter a wrong one at once (while the worker may be sending),
    ask for a new code, enter a wrong one again; return each step's time in ms."""
    browser = Client(REMOTE_ADDR=address)
    return {
        "sign_in": _timed(
            lambda: browser.post(
                "/sign-in/", {"crime_reference": reference, "contact": contact}
            )
        ),
        "code": _timed(lambda: browser.post("/sign-in/code/", {"code": "000000"})),
        "new_code": _timed(lambda: browser.post("/sign-in/new-code/")),
        "second_code": _timed(
            lambda: browser.post("/sign-in/code/", {"code": "000000"})
        ),
    }


def _wait_until_sent_or_cancelled(deadline_seconds: float = 30) -> None:
    deadline = time.monotonic() + deadline_seconds
    while Notification.objects.filter(
        status__in=(NotificationStatus.PENDING, NotificationStatus.SENDING)
    ).exists():
        assert time.monotonic() < deadline, "the worker did not finish"
        time.sleep(0.01)


def _worker_env(**provider: str) -> dict[str, str]:
    db = connection.settings_dict
    return {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/"
            f"{db['NAME']}"
        ),
        "REDIS_URL": redis_url(),
        "LOG_FORMAT": "text",
        "NOTIFICATIONS_QUIET_HOURS": "",
        **provider,
    }


def _measure(force, env: dict[str, str], directory) -> dict[str, dict[str, list]]:
    """Time SAMPLES matched and SAMPLES unmatched journeys, interleaved, each with
    details of its own (so that no limit is reached) and a new address."""
    for number in range(SAMPLES):
        CaseVictimFactory(
            case=CaseFactory(force=force, crime_reference=f"NS/{number + 1:05d}/26"),
            victim__email=f"victim{number}@example.com",
        )
    times: dict[str, dict[str, list[float]]] = {
        kind: {step: [] for step in STEPS} for kind in ("matched", "unmatched")
    }
    worker = Worker(env, directory).start()
    try:
        # Warm up both paths (first queries, template loading, connections).
        _journey("NS/00001/26", "victim0@example.com", "198.51.100.250")
        _journey("NS/99999/26", "nobody@example.com", "198.51.100.251")
        _wait_until_sent_or_cancelled()
        for number in range(SAMPLES):
            order = ("matched", "unmatched") if number % 2 else ("unmatched", "matched")
            for kind in order:
                if kind == "matched":
                    details = (f"NS/{number + 1:05d}/26", f"victim{number}@example.com")
                else:
                    details = (
                        f"NS/{number + 50001:05d}/26",
                        f"none{number}@example.com",
                    )
                address = f"10.{kind == 'matched':d}.{number // 200}.{number % 200}"
                for step, elapsed in _journey(*details, address).items():
                    times[kind][step].append(elapsed)
                # Each journey starts with the worker idle, as a visitor's first step
                # does: a matched journey's own message overlaps its later steps, but
                # never the next journey's first (which would slow whichever kind
                # came second in a pair, and show as a difference that is not there).
                _wait_until_sent_or_cancelled()
    finally:
        worker.stop()
    return times


def _assert_indistinguishable(times, label: str) -> None:
    for step in STEPS:
        matched = _quartiles(times["matched"][step])
        unmatched = _quartiles(times["unmatched"][step])
        print(
            f"{label} {step}: matched median {matched[1]:.1f} ms "
            f"[{matched[0]:.1f}, {matched[2]:.1f}], unmatched median "
            f"{unmatched[1]:.1f} ms [{unmatched[0]:.1f}, {unmatched[2]:.1f}]"
        )
    for step in STEPS:
        matched = _quartiles(times["matched"][step])
        unmatched = _quartiles(times["unmatched"][step])
        assert abs(matched[1] - unmatched[1]) < 5, (step, matched, unmatched)
        # The middle halves overlap.
        assert matched[0] <= unmatched[2] and unmatched[0] <= matched[2], (
            step,
            matched,
            unmatched,
        )


@pytest.fixture
def slow_notify():
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(
        target=serve_in_process, args=(theirs, PROVIDER_SECONDS), daemon=True
    )
    process.start()
    theirs.close()
    url = ours.recv()
    stub = SimpleNamespace(url=url, accepted=None)
    yield stub
    ours.send("stop")
    stub.accepted = ours.recv()
    process.join(timeout=10)


def test_a_slow_provider_does_not_show_in_any_sign_in_step(
    force, slow_notify, tmp_path
):
    times = _measure(force, _worker_env(**notify_environment(slow_notify)), tmp_path)
    _assert_indistinguishable(times, "notify 150 ms")
    # The stand-in really was called for every matched journey's newest code (the
    # first is cancelled when a new code is asked for before a worker claims it).
    sent = Notification.objects.filter(status=NotificationStatus.SENT).count()
    assert SAMPLES + 1 <= sent <= 2 * SAMPLES + 2


def test_the_file_provider_does_not_show_in_any_sign_in_step(force, tmp_path):
    env = _worker_env(
        NOTIFICATIONS_EMAIL_PROVIDER="file",
        NOTIFICATIONS_SMS_PROVIDER="file",
        NOTIFICATIONS_OUTBOX_DIR=str(tmp_path / "outbox"),
    )
    times = _measure(force, env, tmp_path)
    _assert_indistinguishable(times, "file")
    sent = len(list((tmp_path / "outbox").glob("*.json")))
    assert SAMPLES + 1 <= sent <= 2 * SAMPLES + 2
