import datetime

import pytest
from django.utils import timezone


def test_liveness_answers_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_checks_database_and_cache(client, db, celery_eager):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {
        "database": "ok",
        "cache": "ok",
        # The embedded default runs tasks in the web process: no worker to hear from.
        "workers": "in-process",
        "backlog": "ok",
    }


def test_readiness_fails_when_the_cache_is_down(client, db, monkeypatch):
    from trackmycrime import health

    def broken():
        raise ConnectionError("cache down")

    monkeypatch.setattr(health, "_check_cache", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "failing"


@pytest.fixture
def with_workers(db):
    """The full stack's shape: tasks go to workers, so readiness listens for them."""
    from trackmycrime.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = previous


def _heartbeat(seconds_ago: float, time_machine) -> None:
    from trackmycrime.metrics import worker_heartbeat_record

    now = timezone.now()
    time_machine.move_to(now - datetime.timedelta(seconds=seconds_ago))
    worker_heartbeat_record(name="celery@worker-1")
    time_machine.move_to(now)


def test_readiness_passes_with_a_recent_heartbeat_and_nothing_overdue(
    client, with_workers, time_machine, settings
):
    _heartbeat(settings.READYZ_WORKER_SILENT_SECONDS - 5, time_machine)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["workers"] == "ok"
    assert response.json()["checks"]["backlog"] == "ok"


def test_readiness_fails_when_no_worker_has_been_heard_from_for_too_long(
    client, with_workers, time_machine, settings
):
    _heartbeat(settings.READYZ_WORKER_SILENT_SECONDS + 5, time_machine)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "failing"
    assert response.json()["checks"]["workers"] == "failing"
    assert response.json()["checks"]["database"] == "ok"


def test_readiness_fails_when_no_worker_was_ever_heard_from(client, with_workers):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["workers"] == "failing"


@pytest.fixture
def waiting_message(case, officer):
    from cases.services import case_add_update
    from notifications.models import Notification
    from tests.factories import CaseVictimFactory
    from victims.constants import ContactPreference

    CaseVictimFactory(case=case, victim__contact_preference=ContactPreference.EMAIL)
    case_add_update(case=case, actor=officer, victim_text="We have CCTV.")
    return Notification.objects.get()


def _due(message, seconds_ago: float) -> None:
    from notifications.models import Notification

    due = timezone.now() - datetime.timedelta(seconds=seconds_ago)
    Notification.objects.filter(pk=message.pk).update(
        created_at=due, next_attempt_at=due
    )


def test_readiness_fails_when_a_due_message_has_waited_too_long(
    client, celery_eager, waiting_message, settings
):
    _due(waiting_message, settings.READYZ_OLDEST_DUE_SECONDS + 5)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["backlog"] == "failing"
    assert response.json()["checks"]["workers"] == "in-process"


def test_readiness_passes_with_a_message_due_a_short_while_or_not_yet_due(
    client, celery_eager, waiting_message, settings
):
    _due(waiting_message, settings.READYZ_OLDEST_DUE_SECONDS - 5)
    assert client.get("/readyz").status_code == 200
    # A text held for quiet hours is not yet due, however long ago it was written.
    _due(waiting_message, -3600)
    assert client.get("/readyz").status_code == 200


def test_readiness_thresholds_are_settings(
    client, with_workers, waiting_message, time_machine, settings
):
    settings.READYZ_WORKER_SILENT_SECONDS = 30
    settings.READYZ_OLDEST_DUE_SECONDS = 60
    _heartbeat(45, time_machine)
    _due(waiting_message, 90)
    checks = client.get("/readyz").json()["checks"]
    assert checks["workers"] == checks["backlog"] == "failing"


def test_docker_compose_starts_a_worker_or_beat_again_when_it_exits():
    from pathlib import Path

    import yaml

    compose = yaml.safe_load(
        (Path(__file__).resolve().parent.parent / "docker-compose.yml").read_text()
    )
    services = compose["services"]
    for name in ("web", "worker", "code-worker", "beat"):
        assert services[name]["restart"] in {"unless-stopped", "on-failure", "always"}
    for name in ("worker", "code-worker"):
        assert "inspect ping" in " ".join(services[name]["healthcheck"]["test"])
