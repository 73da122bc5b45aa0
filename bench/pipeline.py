"""Measure the message pipeline against Celery's own limit, in one run.

Messages take the real path: `case_add_update` on bench cases writes one outbox row
per victim and hands it to Celery after the commit (Redis); a real worker, started
as in production (prefork, one process per core, acks late, prefetch 1), sends each
row through the GOV.UK Notify provider to a local stand-in that answers as Notify
does. The baseline is as many no-op tasks (bench/tasks.py) on the same broker with
the same worker settings. Each batch is queued while no worker runs, then timed from
the worker's "ready." to the last row sent (or the last no-op done), so that start-up
is left out of both.

    python -m bench.pipeline --messages 5000

uses DATABASE_URL and REDIS_URL, and loads bench cases first if there are too few.

Two more runs keep the pace (`measure_paced`: many messages against a stand-in that
answers 429 beyond its limit, as Notify does) and the order of the queues
(`measure_code_ahead`: sign-in codes asked for while a backlog of updates goes).
Their messages are queued as one update to a case with that many victims: the real
path, and quick to queue.
"""

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import redis

from bench.web import child_pids, peak_rss_mb

ROOT = Path(__file__).resolve().parent.parent
# Celery's default queue, and kombu's record of messages delivered but not acked.
QUEUE = "celery"
CODE_QUEUE = "sign-in"
UNACKED_KEYS = ("unacked", "unacked_index", "unacked_mutex")
UPDATE_TEXT = "We have watched the CCTV footage from the street."


def measure_pipeline(
    *, messages: int, env: dict[str, str], workdir: Path, timeout: float | None = None
) -> dict:
    """Send `messages` outbox rows, then as many no-op tasks, each batch drained by
    a fresh worker; return the rates, their ratio and the worker's peak memory.

    Django must be set up with `env`, on a database holding at least `messages`
    bench cases (bench.data.load_cases). `timeout` bounds each batch's draining.
    """
    from django.conf import settings
    from django.test import override_settings

    from tests.notify_stub import NotifyStub, notify_environment, notify_settings
    from trackmycrime.celery import app as celery_app

    if messages < 1:
        raise ValueError("messages must be at least 1")
    if celery_app.conf.task_always_eager or env["REDIS_URL"] != settings.REDIS_URL:
        raise RuntimeError("Django must be set up with env, on its Redis broker.")
    workdir.mkdir(parents=True, exist_ok=True)
    timeout = timeout or max(120.0, messages / 10)
    broker = redis.Redis.from_url(env["REDIS_URL"])
    _require_idle_broker(broker)
    run = uuid.uuid4().hex[:12]
    stub = NotifyStub().start()
    worker_env = {
        **env,
        **notify_environment(stub),
        # Email is never held, but nothing here may wait for the morning.
        "NOTIFICATIONS_QUIET_HOURS": "",
        "TMC_BENCH_RUN": run,
    }
    # The throughput is measured with the pace out of the way (each call still
    # reserves its slot): what the pipeline can do, not what Notify allows.
    worker_env["NOTIFY_RATE_LIMIT"] = str(1_000_000_000)
    try:
        with override_settings(**notify_settings(stub), NOTIFICATIONS_QUIET_HOURS=()):
            sent = _message_batch(
                count=messages,
                stub=stub,
                env=worker_env,
                log=workdir / f"pipeline-worker-messages-{run}.log",
                broker=broker,
                timeout=timeout,
            )
            noop = _noop_batch(
                count=messages,
                env=worker_env,
                log=workdir / f"pipeline-worker-noop-{run}.log",
                broker=broker,
                timeout=timeout,
                run=run,
            )
    finally:
        stub.stop()
        _clean_broker(broker, run)
    return {
        "messages": sent,
        "noop_tasks": noop,
        "ratio": round(sent["per_second"] / noop["per_second"], 3),
        "celery_worker_peak_rss_mb": max(
            sent.pop("worker_peak_rss_mb"), noop.pop("worker_peak_rss_mb")
        ),
        "worker": {
            "pool": "prefork",
            "concurrency": os.cpu_count() or 1,
            "acks_late": settings.CELERY_TASK_ACKS_LATE,
            "prefetch_multiplier": settings.CELERY_WORKER_PREFETCH_MULTIPLIER,
        },
    }


def _require_idle_broker(broker: redis.Redis) -> None:
    """Refuse a broker with tasks queued or in flight: they would be timed too, and
    what is left at the end must be this run's alone to clean up."""
    queued = broker.llen(QUEUE)
    in_flight = broker.hlen("unacked")
    if queued or in_flight:
        raise RuntimeError(
            f"The broker has {queued} queued and {in_flight} unacknowledged tasks: "
            "the pipeline benchmark needs a Redis database of its own."
        )


def _clean_broker(broker: redis.Redis, run: str) -> None:
    """Delete this run's keys, and any task a run left queued or in flight (the
    broker was idle when the run began, so they are this run's)."""
    from bench.tasks import KEY_PREFIX

    keys = list(broker.scan_iter(match=KEY_PREFIX.format(run=run) + "*"))
    if broker.llen(QUEUE) or broker.llen(CODE_QUEUE) or broker.hlen("unacked"):
        keys += [QUEUE, CODE_QUEUE, *UNACKED_KEYS]
    if keys:
        broker.delete(*keys)


def _message_batch(
    *,
    count: int,
    stub,
    env: dict[str, str],
    log: Path,
    broker: redis.Redis,
    timeout: float,
) -> dict:
    from notifications.constants import UNFINISHED_STATUSES, NotificationStatus
    from notifications.models import REFERENCE_PREFIX, Notification

    ids = _queue_messages(count)
    rows = Notification.objects.filter(pk__range=(min(ids), max(ids)))
    with _worker(env, log) as worker:
        ready_at = _wait_for_ready(worker, broker, env["TMC_BENCH_RUN"], log)
        _wait_until(
            lambda: not rows.filter(status__in=UNFINISHED_STATUSES).exists(),
            worker=worker,
            log=log,
            timeout=timeout,
        )
        peak = _peak_rss_mb(worker.pid)
    mine = Notification.objects.filter(pk__in=ids)
    sent_ats = [
        sent_at.timestamp()
        for sent_at in mine.filter(status=NotificationStatus.SENT).values_list(
            "sent_at", flat=True
        )
        if sent_at is not None
    ]
    references = {f"{REFERENCE_PREFIX}{pk}" for pk in ids}
    calls = Counter(
        request.reference
        for request, _status in stub.requests
        if request.kind in ("email", "sms") and request.reference in references
    )
    accepted = {
        message["reference"]
        for message in stub.messages()
        if message["reference"] in references
    }
    seconds = max(sent_ats) - ready_at if sent_ats else float("nan")
    return {
        "count": count,
        "sent": len(sent_ats),
        "seconds": round(seconds, 2),
        "per_second": round(len(sent_ats) / seconds, 1) if sent_ats else 0.0,
        "duplicates": sum(calls.values()) - len(calls),
        "lost": len(references - accepted),
        "worker_peak_rss_mb": peak,
    }


def _queue_messages(count: int) -> list[int]:
    """Add an update to `count` bench cases, one by one as staff would; return the
    outbox rows written (one email each), already handed to the broker."""
    from bench.data import BENCH_FORCE_CODE
    from cases.models import Case
    from cases.services import case_add_update
    from notifications.models import Notification
    from victims.constants import Channel

    cases = list(
        Case.objects.filter(force__code=BENCH_FORCE_CODE).order_by("pk")[:count]
    )
    if len(cases) < count:
        raise RuntimeError(
            f"The pipeline benchmark needs {count} bench cases; there are "
            f"{len(cases)} (bench.data.load_cases)."
        )
    entry_ids = [
        case_add_update(case=case, actor=None, victim_text=UPDATE_TEXT).pk
        for case in cases
    ]
    rows = list(
        Notification.objects.filter(entry_id__in=entry_ids).values_list("pk", "channel")
    )
    if len(rows) != count or {channel for _pk, channel in rows} != {Channel.EMAIL}:
        raise RuntimeError(
            f"Expected one email per case, {count} in all; the updates wrote "
            f"{Counter(channel for _pk, channel in rows)}."
        )
    return [pk for pk, _channel in rows]


def _queue_mass_update(count: int) -> list[int]:
    """Give one bench case `count` - 1 more victims (those of other bench cases,
    from the last), then add an update to it as staff would: `count` emails, in one
    commit, handed to the broker after it. Return the outbox rows' ids."""
    from bench.data import BENCH_FORCE_CODE
    from cases.models import Case
    from cases.services import case_add_update
    from notifications.models import Notification
    from victims.models import CaseVictim, Victim

    # A case no earlier run gave more victims to.
    case = next(
        case
        for case in Case.objects.filter(force__code=BENCH_FORCE_CODE).order_by("pk")
        if case.case_victims.count() == 1
    )
    victims = list(
        Victim.objects.filter(force__code=BENCH_FORCE_CODE)
        .exclude(case_links__case=case)
        .order_by("-pk")
        .values_list("pk", flat=True)[: count - 1]
    )
    if len(victims) < count - 1:
        raise RuntimeError(f"A mass update of {count} needs more bench cases.")
    CaseVictim.objects.bulk_create(
        CaseVictim(case=case, victim_id=victim_id) for victim_id in victims
    )
    entry = case_add_update(case=case, actor=None, victim_text=UPDATE_TEXT)
    ids = list(
        Notification.objects.filter(entry=entry)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if len(ids) != count:
        raise RuntimeError(f"The mass update wrote {len(ids)} messages, not {count}.")
    return ids


def _stop_what_is_left(ids: list[int]) -> int:
    """Cancel this run's messages still waiting (a run that stopped early), so that
    no later run's batch claims them; return how many."""
    from django.utils import timezone

    from notifications.constants import UNFINISHED_STATUSES, NotificationStatus
    from notifications.models import Notification

    return Notification.objects.filter(
        pk__in=ids, status__in=UNFINISHED_STATUSES
    ).update(status=NotificationStatus.CANCELLED, finished_at=timezone.now())


def measure_paced(
    *,
    messages: int,
    limit: int,
    seconds: int,
    env: dict[str, str],
    workdir: Path,
) -> dict:
    """Send `messages` through the real worker to a Notify stand-in that answers
    429 beyond `limit` requests in any `seconds`, with the service told the same
    limit (NOTIFY_RATE_LIMIT, NOTIFY_RATE_LIMIT_SECONDS). Return the 429s, the
    rate reached against the limit, the busiest window and the drain time."""
    from django.test import override_settings

    from notifications.constants import NotificationStatus
    from notifications.models import Notification
    from tests.notify_stub import NotifyStub, notify_environment, notify_settings

    broker = redis.Redis.from_url(env["REDIS_URL"])
    _require_idle_broker(broker)
    run = uuid.uuid4().hex[:12]
    stub = NotifyStub()
    stub.rate_limit = (limit, seconds)
    stub.start()
    worker_env = {
        **env,
        **notify_environment(stub),
        "NOTIFICATIONS_QUIET_HOURS": "",
        "NOTIFY_RATE_LIMIT": str(limit),
        "NOTIFY_RATE_LIMIT_SECONDS": str(seconds),
        "TMC_BENCH_RUN": run,
    }
    log = workdir / f"pipeline-worker-paced-{run}.log"
    ids: list[int] = []
    try:
        with override_settings(**notify_settings(stub), NOTIFICATIONS_QUIET_HOURS=()):
            ids = _queue_mass_update(messages)
            rows = Notification.objects.filter(pk__in=ids)
            with _worker(env=worker_env, log=log) as worker:
                ready_at = _wait_for_ready(worker, broker, run, log)
                _wait_until(
                    lambda: (
                        rows.filter(status=NotificationStatus.SENT).count() == messages
                    ),
                    worker=worker,
                    log=log,
                    timeout=max(120.0, 3 * messages * seconds / limit),
                    every=1.0,
                )
    finally:
        stub.stop()
        _stop_what_is_left(ids)
        _clean_broker(broker, run)
    last_sent = max(
        sent_at.timestamp()
        for sent_at in Notification.objects.filter(pk__in=ids).values_list(
            "sent_at", flat=True
        )
        if sent_at is not None
    )
    drain = last_sent - ready_at
    refused = sum(1 for _request, status in stub.requests if status == 429)
    # The rate while sending, as the stand-in saw the requests arrive: the worker's
    # start and its first claim are in the drain time, not in the rate.
    arrivals = sorted(request.at for request, _status in stub.requests)
    per_window = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) * seconds
    return {
        "messages": messages,
        "limit": limit,
        "window_seconds": seconds,
        "refused_429": refused,
        "requests": len(stub.requests),
        "busiest_window": stub.busiest_window(seconds),
        "drain_seconds": round(drain, 1),
        "rate_per_window": round(per_window, 1),
        "rate_vs_limit": round(per_window / limit, 3),
    }


def measure_code_ahead(
    *, backlog: int, codes: int, env: dict[str, str], workdir: Path
) -> dict:
    """Ask for `codes` sign-in codes, one after another, through the sign-in page,
    while a backlog of `backlog` updates is being sent at Notify's pace; return each
    code's time from asking to being sent, and how many updates still waited."""
    from django.test import Client, override_settings

    from bench.data import bench_email, bench_reference
    from notifications.constants import NotificationStatus
    from notifications.models import Notification
    from tests.notify_stub import NotifyStub, notify_environment, notify_settings
    from victims.models import SignInAttempt

    broker = redis.Redis.from_url(env["REDIS_URL"])
    _require_idle_broker(broker)
    run = uuid.uuid4().hex[:12]
    stub = NotifyStub()
    stub.rate_limit = (3000, 60)
    stub.start()
    worker_env = {
        **env,
        **notify_environment(stub),
        "NOTIFICATIONS_QUIET_HOURS": "",
        "TMC_BENCH_RUN": run,
    }
    log = workdir / f"pipeline-worker-codes-{run}.log"
    ids: list[int] = []
    waits: list[float] = []
    waiting_updates: list[int] = []
    try:
        with override_settings(**notify_settings(stub), NOTIFICATIONS_QUIET_HOURS=()):
            ids = _queue_mass_update(backlog)
            rows = Notification.objects.filter(pk__in=ids)
            with _worker(env=worker_env, log=log) as worker:
                _wait_for_ready(worker, broker, run, log)
                # Let the backlog get going first.
                _wait_until(
                    lambda: (
                        rows.filter(status=NotificationStatus.SENT).count()
                        >= min(50, backlog // 4)
                    ),
                    worker=worker,
                    log=log,
                    timeout=120,
                )
                for number in range(2, 2 + codes):
                    client = Client(SERVER_NAME="localhost")
                    asked = time.time()
                    response = client.post(
                        "/sign-in/",
                        {
                            "crime_reference": bench_reference(number),
                            "contact": bench_email(number),
                        },
                    )
                    assert response.status_code == 303, response.status_code
                    code = Notification.objects.filter(
                        sign_in_attempt=SignInAttempt.objects.latest("pk")
                    )
                    _wait_until(
                        lambda code=code: code.filter(
                            status=NotificationStatus.SENT
                        ).exists(),
                        worker=worker,
                        log=log,
                        timeout=60,
                        every=0.02,
                    )
                    sent_at = code.filter(status=NotificationStatus.SENT)[0].sent_at
                    assert sent_at is not None
                    waits.append(sent_at.timestamp() - asked)
                    waiting_updates.append(
                        rows.exclude(status=NotificationStatus.SENT).count()
                    )
                    time.sleep(0.5)
    finally:
        stub.stop()
        _stop_what_is_left(ids)
        _clean_broker(broker, run)
    return {
        "backlog": backlog,
        "codes": codes,
        "seconds": [round(wait, 3) for wait in waits],
        "max_seconds": round(max(waits), 3),
        "median_seconds": round(sorted(waits)[len(waits) // 2], 3),
        "updates_waiting": waiting_updates,
        "refused_429": sum(1 for _request, status in stub.requests if status == 429),
    }


def _noop_batch(
    *,
    count: int,
    env: dict[str, str],
    log: Path,
    broker: redis.Redis,
    timeout: float,
    run: str,
) -> dict:
    from bench.tasks import DONE_KEY, noop

    for _ in range(count):
        noop.apply_async((run, count))
    done_key = DONE_KEY.format(run=run)
    with _worker(env, log) as worker:
        ready_at = _wait_for_ready(worker, broker, run, log)
        _wait_until(
            lambda: broker.exists(done_key), worker=worker, log=log, timeout=timeout
        )
        peak = _peak_rss_mb(worker.pid)
    seconds = float(broker.get(done_key) or 0) - ready_at
    return {
        "count": count,
        "seconds": round(seconds, 2),
        "per_second": round(count / seconds, 1),
        "worker_peak_rss_mb": peak,
    }


@contextlib.contextmanager
def _worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """Run a Celery worker as production does (docker-compose.yml), plus the bench
    tasks; stop it with a warm shutdown, so that nothing is left in flight."""
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "trackmycrime",
        "worker",
        "--loglevel",
        "INFO",
        "--pool",
        "prefork",
        "--concurrency",
        str(os.cpu_count() or 1),
        "--include",
        "bench.tasks",
        "--hostname",
        f"tmc-bench-{uuid.uuid4().hex[:6]}@%h",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def _wait_for_ready(
    worker: subprocess.Popen, broker: redis.Redis, run: str, log: Path
) -> float:
    """Return the time (epoch seconds) at which the worker said it was ready."""
    from bench.tasks import READY_KEY

    key = READY_KEY.format(run=run)
    _wait_until(lambda: broker.exists(key), worker=worker, log=log, timeout=120)
    ready_at = float(broker.get(key) or 0)
    broker.delete(key)
    return ready_at


def _wait_until(
    predicate,
    *,
    worker: subprocess.Popen,
    log: Path,
    timeout: float,
    every: float = 0.1,
):
    deadline = time.monotonic() + timeout
    while not predicate():
        if worker.poll() is not None:
            raise RuntimeError(
                f"The Celery worker exited ({worker.returncode}):\n{_tail(log)}"
            )
        if time.monotonic() > deadline:
            raise RuntimeError(f"Timed out after {timeout} s:\n{_tail(log)}")
        time.sleep(every)


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


def _peak_rss_mb(pid: int) -> float:
    """The largest peak resident memory of the worker and its pool processes."""
    return max(peak_rss_mb(process) for process in [pid, *child_pids(pid)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    args = parser.parse_args()
    if not (args.database_url or "").startswith("postgres") or not args.redis_url:
        parser.error("set DATABASE_URL (PostgreSQL) and REDIS_URL")
    from bench.web import production_env

    env = production_env(DATABASE_URL=args.database_url, REDIS_URL=args.redis_url)
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trackmycrime.settings")
    import django

    django.setup()
    from bench.data import bench_force, load_cases
    from cases.models import Case

    missing = args.messages - Case.objects.filter(force=bench_force()).count()
    if missing > 0:
        print(f"Loading {missing} bench cases...", file=sys.stderr)
        load_cases(missing)
    result = measure_pipeline(
        messages=args.messages, env=env, workdir=ROOT / "var" / "bench"
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
