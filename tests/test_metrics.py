"""Operators can see the pipeline: /metrics in Prometheus's format, for a scraper
with the token only, naming nobody."""

import datetime

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from cases.services import case_add_update
from notifications.constants import MessageKind, NotificationStatus
from notifications.models import Notification
from notifications.services import notification_send, notifications_sweep
from tests.factories import CaseVictimFactory
from trackmycrime.metrics import worker_heartbeat_record
from victims.constants import ContactPreference
from victims.models import SignInAttempt

TOKEN = "a-scraper-token-of-at-least-thirty-two-characters"
URL = "/metrics"


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def _scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get(URL, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def _value(samples, name, **labels) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def test_metrics_are_not_served_at_all_without_a_token_setting(client, db, settings):
    settings.METRICS_TOKEN = ""
    assert client.get(URL, headers={"Authorization": "Bearer "}).status_code == 404


def test_a_scraper_without_the_token_is_refused(
    client, metrics_token, officer_client, api
):
    assert client.get(URL).status_code == 401
    wrong = {"Authorization": "Bearer not-the-metrics-token-but-just-as-long!!"}
    assert client.get(URL, headers=wrong).status_code == 401
    assert client.get(URL, headers={"Authorization": TOKEN}).status_code == 401
    # Neither a signed-in officer nor a records system's API token will do.
    assert officer_client.get(URL).status_code == 401
    assert api.get(URL).status_code == 401
    scraper = {"Authorization": f"Bearer {TOKEN}"}
    assert client.post(URL, headers=scraper).status_code == 405


@pytest.fixture
def pipeline(case, officer, outbox_dir, celery_eager, settings):
    """An outbox with one message sent, one due for ten minutes, one being sent,
    one failed, and a sign-in code waiting."""
    settings.NOTIFICATIONS_SEND_BATCH = 1
    victims = [
        CaseVictimFactory(
            case=case, victim__contact_preference=ContactPreference.EMAIL
        ).victim
        for _ in range(4)
    ]
    case_add_update(case=case, actor=officer, victim_text="We have CCTV.")
    sent, due, sending, failed = (
        Notification.objects.get(victim=victim) for victim in victims
    )
    assert notification_send(notification_id=sent.pk) == "sent"
    now = timezone.now()
    Notification.objects.filter(pk=due.pk).update(
        next_attempt_at=now - datetime.timedelta(minutes=10)
    )
    Notification.objects.filter(pk=sending.pk).update(
        status=NotificationStatus.SENDING, claimed_at=now, attempts=1
    )
    Notification.objects.filter(pk=failed.pk).update(
        status=NotificationStatus.TECHNICAL_FAILURE, finished_at=now, attempts=5
    )
    attempt = SignInAttempt.objects.create(
        reference_key="r" * 64,
        contact_key="c" * 64,
        channel="email",
        expires_at=now + datetime.timedelta(minutes=10),
    )
    Notification.objects.create(
        kind=MessageKind.SIGN_IN_CODE,
        sign_in_attempt=attempt,
        channel="email",
        next_attempt_at=now - datetime.timedelta(seconds=30),
    )
    return case, victims


def test_metrics_show_the_outbox_by_status_its_oldest_due_message_and_codes_waiting(
    client, metrics_token, pipeline
):
    samples = _scrape(client)

    unfinished = "tmc_notifications_unfinished"
    assert _value(samples, unfinished, status="pending", kind="update") == 1
    assert _value(samples, unfinished, status="sending", kind="update") == 1
    assert _value(samples, unfinished, status="technical_failure", kind="update") == 1
    assert _value(samples, unfinished, status="pending", kind="sign_in_code") == 1
    assert _value(samples, "tmc_sign_in_codes_pending") == 1
    assert _value(samples, "tmc_notifications_last_day", status="sent") == 1
    oldest = _value(samples, "tmc_notifications_oldest_due_age_seconds", kind="update")
    assert 600 <= oldest < 660
    code = _value(
        samples, "tmc_notifications_oldest_due_age_seconds", kind="sign_in_code"
    )
    assert 30 <= code < 90
    sent = "tmc_notifications_sent_total"
    assert _value(samples, sent, channel="email", provider="file") == 1
    assert _value(samples, sent, channel="sms", provider="file") == 0


def test_metrics_name_no_crime_reference_address_or_person(
    client, metrics_token, pipeline
):
    case, victims = pipeline
    body = client.get(URL, headers={"Authorization": f"Bearer {TOKEN}"}).content
    text = body.decode()
    assert case.crime_reference not in text
    for victim in victims:
        assert victim.email not in text
        assert victim.full_name not in text
    assert "We have CCTV" not in text


def test_metrics_show_each_workers_heartbeat_age(
    client, metrics_token, db, time_machine
):
    now = timezone.now()
    time_machine.move_to(now - datetime.timedelta(seconds=300))
    worker_heartbeat_record(name="celery@old-host")
    time_machine.move_to(now)
    worker_heartbeat_record(name="codes@new-host")

    samples = _scrape(client)
    age = "tmc_worker_heartbeat_age_seconds"
    assert 295 <= _value(samples, age, worker="celery@old-host") <= 310
    assert _value(samples, age, worker="codes@new-host") < 10
    assert _value(samples, "tmc_workers_alive") == 1


def test_metrics_count_api_answers_by_status_across_processes(
    client, metrics_token, api, case
):
    # Two answers, as if from two web processes: the count lives in the cache.
    assert api.get("/api/v1/cases").status_code == 200
    assert api.get("/api/v1/cases/NS-99999-26").status_code == 404
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/cases").status_code == 401

    samples = _scrape(client)
    responses = "tmc_api_responses_total"
    assert _value(samples, responses, status="200") == 1
    assert _value(samples, responses, status="404") == 1
    assert _value(samples, responses, status="401") == 1
    # Pages that are not the API are not counted.
    client.get("/sign-in/")
    assert (responses, (("status", "200"),)) in _scrape(client)
    assert _value(_scrape(client), responses, status="200") == 1


def test_a_scrape_costs_the_same_few_queries_however_many_messages(
    client, metrics_token, pipeline, django_assert_num_queries, case, officer
):
    with django_assert_num_queries(3):
        _scrape(client)
    for _ in range(3):
        CaseVictimFactory(case=case, victim__contact_preference=ContactPreference.SMS)
    case_add_update(case=case, actor=officer, victim_text="More.")
    with django_assert_num_queries(3):
        _scrape(client)


def test_a_family_that_cannot_be_read_leaves_the_others(
    client, metrics_token, db, monkeypatch
):
    from notifications import selectors

    def broken():
        raise RuntimeError("database away")

    monkeypatch.setattr(selectors, "notifications_oldest_due", broken)
    samples = _scrape(client)
    assert _value(samples, "tmc_metrics_family_failed", family="oldest_due") == 1
    assert ("tmc_sign_in_codes_pending", ()) in samples


def test_the_sweep_hands_a_message_over_again_but_keeps_how_long_it_has_waited(
    case, officer, outbox_dir, settings, time_machine, celery_eager, monkeypatch
):
    from notifications import services

    CaseVictimFactory(case=case, victim__contact_preference=ContactPreference.EMAIL)
    case_add_update(case=case, actor=officer, victim_text="We have CCTV.")
    row = Notification.objects.get()
    monkeypatch.setattr(services, "notifications_enqueue", lambda rows: len(rows))
    time_machine.move_to(timezone.now())
    time_machine.shift(settings.NOTIFICATIONS_REQUEUE_AFTER_SECONDS + 1)
    assert notifications_sweep().requeued == 1
    assert notifications_sweep().requeued == 0  # not again until this one is lost
    reloaded = Notification.objects.get()
    assert reloaded.next_attempt_at == row.next_attempt_at
    assert reloaded.handed_over_at is not None
    time_machine.shift(settings.NOTIFICATIONS_REQUEUE_AFTER_SECONDS + 1)
    assert notifications_sweep().requeued == 1


def test_a_count_never_fails_what_it_counts(client, metrics_token, db, monkeypatch):
    from django.core.cache import cache

    from trackmycrime.metrics import metrics_count

    # A provider the counters do not name counts as "other".
    metrics_count("notifications_sent", {"channel": "email", "provider": "scripted"})
    samples = _scrape(client)
    sent = "tmc_notifications_sent_total"
    assert _value(samples, sent, channel="email", provider="other") == 1

    def cache_away(*args, **kwargs):
        raise ConnectionError("Redis is away")

    monkeypatch.setattr(cache, "incr", cache_away)
    monkeypatch.setattr(cache, "add", cache_away)
    metrics_count("notifications_sent", {"channel": "email", "provider": "notify"})
