"""The outbox against a real Redis broker and real Celery worker processes.

Each test starts `celery -A trackmycrime worker -B` (with its beat running the sweep)
as a subprocess pointed at the test database, this run's Redis and a local stand-in
for GOV.UK Notify (tests/notify_stub.py), then makes committed case changes in this
process. They skip without Redis and PostgreSQL, and fail when REQUIRE_SERVICES=1.

Sizes and delays come from the environment so the suite fits a small machine:
TMC_WORKER_TEST_CHANGES (200), TMC_WORKER_TEST_TIMEOUT (seconds, 120). The measured
figures are printed (pytest -s) and written to var/notification-worker-figures.json.
"""

import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import zoneinfo
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction

from audit.constants import AuditAction
from audit.models import AuditEvent
from cases.services import case_add_update
from notifications.constants import FAILED_STATUSES, NotificationStatus
from notifications.models import Notification
from tests.factories import CaseFactory, CaseVictimFactory, StaffFactory
from tests.notify_stub import NOTIFY_TEMPLATE_IDS, Failure, notify_environment
from trackmycrime.celery import app as celery_app
from trackmycrime.testing import redis_url
from victims.constants import ContactPreference

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parent.parent
CHANGES = int(os.environ.get("TMC_WORKER_TEST_CHANGES", "200"))
TIMEOUT = float(os.environ.get("TMC_WORKER_TEST_TIMEOUT", "120"))
# Short retry delays and time-outs, so that hours of production behaviour take
# seconds here; the same settings are given to this process and to the workers.
FAST = {
    "NOTIFICATIONS_RETRY_BASE_SECONDS": 1,
    "NOTIFICATIONS_RETRY_MAX_DELAY_SECONDS": 4,
    "NOTIFICATIONS_RETRY_PERIOD_SECONDS": 60,
    "NOTIFICATIONS_SWEEP_SECONDS": 1,
    "NOTIFICATIONS_REQUEUE_AFTER_SECONDS": 3,
    "NOTIFICATIONS_SENDING_TIMEOUT_SECONDS": 10,
    # A batch must finish inside the sending time-out: 4 messages of at most 2 s.
    "NOTIFY_TIMEOUT_SECONDS": 2,
    "NOTIFICATIONS_SEND_BATCH": 4,
    # A request that timed out is looked up again after this (longer than 2 s).
    "NOTIFY_IN_DOUBT_WAIT_SECONDS": 3,
}
FIGURES = Path(django_settings.VAR_DIR) / "notification-worker-figures.json"


def _record(test: str, **figures) -> None:
    print(f"\n{test}: {json.dumps(figures)}")
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    recorded = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    recorded[test] = figures
    FIGURES.write_text(json.dumps(recorded, indent=2))


class Worker:
    """A Celery worker with embedded beat, in its own process group."""

    def __init__(self, env: dict[str, str], directory: Path):
        self.env = env
        self.directory = directory
        self.process: subprocess.Popen | None = None
        self.log = directory / f"worker-{uuid.uuid4().hex[:6]}.log"

    def start(self) -> "Worker":
        self.log = self.directory / f"worker-{uuid.uuid4().hex[:6]}.log"
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "trackmycrime",
            "worker",
            "--beat",
            "--schedule",
            str(self.directory / f"beat-{uuid.uuid4().hex[:6]}"),
            "--pool",
            "prefork",
            "--concurrency",
            "2",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            f"tmc-test-{uuid.uuid4().hex[:6]}@%h",
        ]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603
                command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while b" ready." not in self.log.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"The worker did not start:\n{self.tail()}")
            time.sleep(0.2)
        return self

    def kill(self) -> None:
        """SIGKILL the worker, its pool processes and its beat, all at once."""
        assert self.process is not None, "the worker was never started"
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture
def broker():
    """This run's Redis database, emptied of any earlier run's messages."""
    import redis

    url = redis_url()
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()


@pytest.fixture
def fast(settings):
    for name, value in FAST.items():
        setattr(settings, name, value)
    settings.NOTIFICATIONS_QUIET_HOURS = None


@pytest.fixture
def worker_env(broker, notify_stub, fast):
    db = connection.settings_dict
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/"
            f"{db['NAME']}"
        ),
        "REDIS_URL": broker,
        "LOG_FORMAT": "text",
        "NOTIFICATIONS_QUIET_HOURS": "",
        **notify_environment(notify_stub),
        **{name: str(value) for name, value in FAST.items()},
    }
    return env


@pytest.fixture
def workers(worker_env, tmp_path):
    started: list[Worker] = []

    def start(**env: str) -> Worker:
        worker = Worker({**worker_env, **env}, tmp_path).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def officer_and_cases(force):
    officer = StaffFactory(force=force)

    def make(count: int, preference=ContactPreference.EMAIL, **victim_fields):
        cases = []
        for _ in range(count):
            case = CaseFactory(force=force)
            CaseVictimFactory(
                case=case,
                victim__contact_preference=preference,
                **{f"victim__{k}": v for k, v in victim_fields.items()},
            )
            cases.append(case)
        return officer, cases

    return make


class RolledBack(Exception):
    pass


def _change(case, officer, *, roll_back: bool = False) -> None:
    try:
        with transaction.atomic():
            case_add_update(case=case, actor=officer, victim_text="We have CCTV.")
            if roll_back:
                raise RolledBack
    except RolledBack:
        pass


def _wait_until(predicate, worker: Worker | None = None, timeout: float = TIMEOUT):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            statuses = Counter(Notification.objects.values_list("status", flat=True))
            log = worker.tail() if worker else ""
            raise AssertionError(f"Timed out; statuses {statuses}\n{log}")
        time.sleep(0.2)


def _sent_count() -> int:
    return Notification.objects.filter(status=NotificationStatus.SENT).count()


def _references() -> set[str]:
    return {n.reference for n in Notification.objects.all()}


def test_only_committed_changes_are_sent_each_exactly_once(
    workers, notify_stub, officer_and_cases
):
    officer, cases = officer_and_cases(CHANGES, ContactPreference.EMAIL_AND_SMS)
    worker = workers()

    started = time.monotonic()
    for number, case in enumerate(cases):
        _change(case, officer, roll_back=number % 10 == 9)
    committed = len(cases) - len(cases) // 10
    expected = committed * 2
    _wait_until(lambda: _sent_count() == expected, worker)
    drained = time.monotonic() - started
    time.sleep(FAST["NOTIFICATIONS_REQUEUE_AFTER_SECONDS"] + 2)  # anything more?

    sent = notify_stub.sent_references()
    assert Notification.objects.count() == expected
    assert set(sent) == _references()
    assert set(sent.values()) == {1}
    assert AuditEvent.objects.filter(action=AuditAction.DISCLOSE).count() == expected
    _record(
        "committed_changes",
        changes=len(cases),
        rolled_back=len(cases) // 10,
        messages=expected,
        sent=sum(sent.values()),
        duplicates=sum(sent.values()) - len(sent),
        seconds_to_send_all=round(drained, 1),
    )


@contextmanager
def _producer_broker(url: str):
    """Point this process's task producer (not the workers) at another broker.

    Celery keeps its producer connection pool on the app; it is dropped so that the
    next publish connects to `url`, and again on the way out.
    """

    def reset_pools():
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    celery_app.conf.broker_write_url = url
    reset_pools()
    try:
        yield
    finally:
        celery_app.conf.broker_write_url = None
        reset_pools()


def _dead_port() -> int:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        return unused.getsockname()[1]


def test_a_broker_outage_delays_messages_but_loses_none(
    workers, notify_stub, officer_and_cases, broker
):
    import redis

    count = max(10, CHANGES // 4)
    officer, cases = officer_and_cases(count)
    change_seconds = []
    with _producer_broker(f"redis://127.0.0.1:{_dead_port()}/0"):
        for case in cases:
            started = time.monotonic()
            _change(case, officer)
            change_seconds.append(time.monotonic() - started)

    assert Notification.objects.filter(status=NotificationStatus.PENDING).count() == (
        count
    )
    assert redis.Redis.from_url(broker).llen("celery") == 0  # nothing was queued
    assert notify_stub.messages() == []

    back = time.monotonic()
    worker = workers()
    _wait_until(lambda: _sent_count() == count, worker)
    drained = time.monotonic() - back
    time.sleep(FAST["NOTIFICATIONS_REQUEUE_AFTER_SECONDS"] + 2)

    sent = notify_stub.sent_references()
    assert set(sent) == _references()
    assert set(sent.values()) == {1}
    _record(
        "broker_outage",
        messages=count,
        sent=sum(sent.values()),
        duplicates=sum(sent.values()) - len(sent),
        slowest_change_during_outage_seconds=round(max(change_seconds), 2),
        seconds_to_drain_after_outage=round(drained, 1),
        requeue_after_seconds=FAST["NOTIFICATIONS_REQUEUE_AFTER_SECONDS"],
        sweep_every_seconds=FAST["NOTIFICATIONS_SWEEP_SECONDS"],
    )


def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_only_in_the_window(
    workers, notify_stub, officer_and_cases
):
    count = max(20, CHANGES // 2)
    officer, cases = officer_and_cases(count)

    def slow_provider(request, tries):
        # Slow enough that the kill lands while messages are in flight.
        time.sleep(0.05)

    notify_stub.script = slow_provider
    worker = workers()
    for case in cases:
        _change(case, officer)
    _wait_until(lambda: len(notify_stub.messages()) >= count // 3, worker)
    worker.kill()
    in_flight = Notification.objects.filter(status=NotificationStatus.SENDING).count()
    sent_before_kill = len(notify_stub.messages())

    restarted = time.monotonic()
    worker = workers()
    _wait_until(lambda: _sent_count() == count, worker)
    recovered = time.monotonic() - restarted
    time.sleep(FAST["NOTIFICATIONS_REQUEUE_AFTER_SECONDS"] + 2)

    sent = notify_stub.sent_references()
    duplicates = sum(sent.values()) - len(sent)
    assert set(sent) == _references()
    # A message can only be sent twice if it was between the provider call and the
    # commit when the worker died (it is then SENDING); asking Notify by reference
    # before trying again closes even that.
    assert duplicates <= in_flight
    _record(
        "worker_killed",
        messages=count,
        sent_before_kill=sent_before_kill,
        in_flight_at_kill=in_flight,
        sent=sum(sent.values()),
        duplicates=duplicates,
        seconds_to_finish_after_restart=round(recovered, 1),
        sending_timeout_seconds=FAST["NOTIFICATIONS_SENDING_TIMEOUT_SECONDS"],
    )


def test_a_provider_failing_for_a_while_delivers_after_retries(
    workers, notify_stub, officer_and_cases
):
    officer, cases = officer_and_cases(20)
    notify_stub.script = lambda request, tries: (
        Failure(500, "Internal server error")
        if request.kind != "lookup" and tries < 3
        else None
    )
    worker = workers()
    for case in cases:
        _change(case, officer)
    _wait_until(lambda: _sent_count() == len(cases), worker)

    sent = notify_stub.sent_references()
    assert set(sent.values()) == {1}
    assert set(Notification.objects.values_list("attempts", flat=True)) == {4}
    failures = sum(1 for _request, status in notify_stub.requests if status == 500)
    assert failures == 3 * len(cases)


def test_a_rate_limited_provider_slows_everyone_and_loses_nothing(
    workers, notify_stub, officer_and_cases
):
    officer, cases = officer_and_cases(40)
    limited = {"until": None}
    lock = threading.Lock()

    def rate_limit(request, tries):
        with lock:
            now = time.monotonic()
            if limited["until"] is None:
                limited["until"] = now + 3
            if now < limited["until"]:
                return Failure(429, "Exceeded rate limit", retry_after=3)
        return None

    notify_stub.script = rate_limit
    worker = workers()
    for case in cases:
        _change(case, officer)
    _wait_until(lambda: _sent_count() == len(cases), worker)

    sent = notify_stub.sent_references()
    assert set(sent.values()) == {1}
    refused = [r for r, status in notify_stub.requests if status == 429]
    # Once told to wait, the workers hold every message rather than trying each:
    # only the calls already under way when the first 429 came are refused.
    assert 1 <= len(refused) <= 4
    first_accepted = min(r.at for r, status in notify_stub.requests if status == 200)
    assert first_accepted >= limited["until"]
    _record(
        "rate_limited",
        messages=len(cases),
        refused_with_429=len(refused),
        duplicates=sum(sent.values()) - len(sent),
    )


def test_a_permanent_failure_is_marked_and_flagged_at_once(
    workers, notify_stub, officer_and_cases
):
    officer, cases = officer_and_cases(5)
    bad_case = CaseFactory(force=cases[0].force)
    CaseVictimFactory(
        case=bad_case,
        victim__contact_preference=ContactPreference.SMS,
        victim__mobile="+447700900123",
    )
    notify_stub.script = lambda request, tries: (
        Failure(400, "phone_number Not a UK mobile number")
        if request.to == "+447700900123"
        else None
    )
    worker = workers()
    for case in [*cases, bad_case]:
        _change(case, officer)
    _wait_until(lambda: _sent_count() == len(cases), worker)
    _wait_until(lambda: bad_case.notifications.filter(status__in=FAILED_STATUSES))

    failed = bad_case.notifications.get()
    assert failed.status == NotificationStatus.PERMANENT_FAILURE
    assert failed.attempts == 1
    assert failed.is_open_failure
    assert "400" in failed.last_error


def _quiet_hours_around_now() -> str:
    now = datetime.datetime.now(zoneinfo.ZoneInfo("Europe/London"))
    start = (now - datetime.timedelta(hours=1)).strftime("%H:%M")
    end = (now + datetime.timedelta(hours=1)).strftime("%H:%M")
    return f"{start}-{end}"


def test_preferences_and_quiet_hours_are_respected_and_updates_name_nothing(
    workers, notify_stub, force, settings
):
    officer = StaffFactory(force=force)
    quiet = _quiet_hours_around_now()
    settings.NOTIFICATIONS_QUIET_HOURS = tuple(
        datetime.time.fromisoformat(part) for part in quiet.split("-")
    )
    case = CaseFactory(
        force=force,
        crime_reference="NS/24680/26",
        victim_description="Assault at 12 Acacia Avenue",
    )
    victims = {
        preference: CaseVictimFactory(
            case=case, victim__contact_preference=preference
        ).victim
        for preference in ContactPreference.values
    }
    detailed = CaseVictimFactory(
        case=case,
        victim__contact_preference=ContactPreference.EMAIL,
        victim__detail_by_email=True,
    ).victim
    worker = workers(NOTIFICATIONS_QUIET_HOURS=quiet)

    case_add_update(case=case, actor=officer, victim_text="Mark Smith was arrested.")
    emails = Notification.objects.filter(channel="email")
    _wait_until(lambda: not emails.exclude(status=NotificationStatus.SENT), worker)
    time.sleep(FAST["NOTIFICATIONS_REQUEUE_AFTER_SECONDS"] + 2)  # sweeps pass by

    received = {(m["type"], m["to"]): m for m in notify_stub.messages()}
    assert set(received) == {
        ("email", victims[ContactPreference.EMAIL_AND_SMS].email),
        ("email", victims[ContactPreference.EMAIL].email),
        ("email", detailed.email),
    }
    # Text messages wait for the end of the quiet hours; "no contact" has no row.
    held = Notification.objects.filter(channel="sms")
    assert {n.victim_id for n in held} == {
        victims[ContactPreference.EMAIL_AND_SMS].pk,
        victims[ContactPreference.SMS].pk,
    }
    assert {n.status for n in held} == {NotificationStatus.PENDING}
    assert not Notification.objects.filter(victim=victims[ContactPreference.NONE])

    for (_kind, to), message in received.items():
        if to == detailed.email:
            assert message["template_id"] == NOTIFY_TEMPLATE_IDS["email:update_detail"]
            assert message["personalisation"]["crime_reference"] == "NS/24680/26"
        else:
            assert message["template_id"] == NOTIFY_TEMPLATE_IDS["email:update"]
            assert message["personalisation"] == {
                "sign_in_url": f"{django_settings.PORTAL_BASE_URL}/sign-in/",
                "sender": "Northshire Police",
            }


def test_a_live_workers_heartbeat_and_sends_show_in_readiness_and_metrics(
    workers, client, settings, officer_and_cases
):
    from trackmycrime.metrics import worker_heartbeats

    officer, cases = officer_and_cases(3)

    settings.METRICS_TOKEN = "a-scraper-token-of-at-least-thirty-two-characters"
    assert client.get("/readyz").json()["checks"]["workers"] == "failing"
    worker = workers(WORKER_HEARTBEAT_SECONDS="1")
    _wait_until(lambda: worker_heartbeats(), worker, timeout=30)
    [(name, first)] = worker_heartbeats().items()
    assert name.startswith("tmc-test-")
    _wait_until(lambda: worker_heartbeats()[name] > first, worker, timeout=30)

    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["workers"] == "ok"
    metrics = client.get(
        "/metrics", headers={"Authorization": f"Bearer {settings.METRICS_TOKEN}"}
    ).content.decode()
    assert f'tmc_worker_heartbeat_age_seconds{{worker="{name}"}}' in metrics
    assert "tmc_workers_alive 1.0" in metrics
    # What the worker's pool processes sent is counted where any web process reads.
    for case in cases:
        _change(case, officer)
    _wait_until(lambda: _sent_count() == 3, worker)
    metrics = client.get(
        "/metrics", headers={"Authorization": f"Bearer {settings.METRICS_TOKEN}"}
    ).content.decode()
    sent = 'tmc_notifications_sent_total{channel="email",provider="notify"} 3.0'
    assert sent in metrics

    worker.kill()
    settings.READYZ_WORKER_SILENT_SECONDS = 3
    last = worker_heartbeats()[name]
    _wait_until(lambda: time.time() - last > 3, timeout=10)
    assert client.get("/readyz").json()["checks"]["workers"] == "failing"
