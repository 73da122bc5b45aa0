"""With Redis frozen (SIGSTOP: connections are accepted and nothing answers), no
request waits more than a few seconds, and no committed write is answered with an
error: the API and the back office answer their usual success and leave the message
for the outbox's sweep, and victim sign-in answers the calm 503 having written
nothing.

The cache and this process's task producer use a Redis of the test's own, with the
service's own time-outs; the machine's shared Redis is never frozen."""

import json
import logging
import time

import pytest
from django.conf import settings
from django.test import Client

from cases.models import TimelineEntry
from notifications.constants import NotificationStatus
from notifications.models import Notification
from tests.factories import CaseVictimFactory, verified_staff_client
from tests.portal import enter_code, latest_code, request_code
from tests.test_admin_case_changes import _case_form
from trackmycrime.celery import app as celery_app
from trackmycrime.testing import ROOT, PrivateRedis
from victims.constants import ContactPreference
from victims.models import SignInAttempt

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

# No request may take longer than this with Redis frozen (the bound).
LONGEST_SECONDS = 5
FIGURES = ROOT / "var" / "hung-redis.json"


@pytest.fixture
def private_cache(settings):
    """The cache on a private Redis, with the service's own time-outs; thawed and
    killed at the end whatever happens."""
    redis = PrivateRedis()
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "LOCATION": redis.url()},
    }
    yield redis
    redis.stop()


@pytest.fixture
def frozen_redis(private_cache):
    """The cache and the task producer on a private Redis, used once while it is
    well (so that pooled connections exist, as in a running service), then frozen."""
    redis = private_cache
    previous_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_write_url = redis.url()
    _reset_producer_pools()
    try:
        from django.core.cache import cache

        cache.set("warm", 1)
        celery_app.send_task("warm.up", queue="warm-up")
        redis.freeze()
        yield redis
    finally:
        redis.thaw()
        celery_app.conf.task_always_eager = previous_eager
        celery_app.conf.broker_write_url = None
        _reset_producer_pools()


def _reset_producer_pools() -> None:
    """Celery keeps its producer connections on the app; drop them so that the
    next publish connects to the broker now configured."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def _timed(request):
    started = time.monotonic()
    response = request()
    return response, time.monotonic() - started


def _record(**figures: float) -> None:
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    known = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    known.update({name: round(value, 2) for name, value in figures.items()})
    FIGURES.write_text(json.dumps(known, indent=2, sort_keys=True))
    print(figures)


@pytest.fixture
def told_by_email(case):
    return CaseVictimFactory(
        case=case, victim__contact_preference=ContactPreference.EMAIL
    )


def test_the_service_really_uses_redis_time_outs():
    options = settings.CACHES["default"]["OPTIONS"]
    assert options["socket_timeout"] == settings.REDIS_SOCKET_TIMEOUT_SECONDS
    assert options["socket_connect_timeout"] == settings.REDIS_CONNECT_TIMEOUT_SECONDS
    transport = celery_app.conf.broker_transport_options
    assert transport["socket_timeout"] == settings.REDIS_SOCKET_TIMEOUT_SECONDS
    assert transport["socket_connect_timeout"] == (
        settings.REDIS_CONNECT_TIMEOUT_SECONDS
    )
    assert celery_app.conf.broker_connection_timeout == (
        settings.REDIS_CONNECT_TIMEOUT_SECONDS
    )
    assert celery_app.conf.task_publish_retry_policy["max_retries"] <= 1
    assert celery_app.conf.redis_socket_timeout == settings.REDIS_SOCKET_TIMEOUT_SECONDS


def test_an_api_write_answers_its_success_when_redis_is_frozen(
    api, case, told_by_email, frozen_redis, caplog
):
    caplog.set_level(logging.WARNING)
    response, took = _timed(
        lambda: api.post(
            "/api/v1/cases/NS0000126/updates",
            {"victim_text": "We have the CCTV."},
        )
    )
    assert response.status_code == 201, response.content
    assert took < LONGEST_SECONDS, took
    entry = TimelineEntry.objects.get(victim_text="We have the CCTV.")
    # Committed, and left for the sweep: the handoff to the broker gave up.
    message = Notification.objects.get(entry=entry)
    assert message.status == NotificationStatus.PENDING
    assert any("the sweep will" in record.getMessage() for record in caplog.records)
    _record(frozen_redis_api_write_seconds=took)


def test_a_back_office_save_answers_its_success_when_redis_is_frozen(
    client, officer, case, told_by_email, frozen_redis
):
    staff = verified_staff_client(client, officer)
    data = _case_form(
        case,
        **{
            "timeline-TOTAL_FORMS": "1",
            "timeline-0-victim_text": "The CCTV is clear.",
            "timeline-0-staff_note": "",
            "timeline-0-visible_to_victim": "on",
        },
    )
    response, took = _timed(
        lambda: staff.post(f"/admin/cases/case/{case.pk}/change/", data)
    )
    assert response.status_code == 302
    assert took < LONGEST_SECONDS, took
    entry = TimelineEntry.objects.get(victim_text="The CCTV is clear.")
    assert Notification.objects.get(entry=entry).status == NotificationStatus.PENDING
    _record(frozen_redis_admin_save_seconds=took)


def test_victim_sign_in_answers_the_sorry_page_quickly_and_writes_nothing(
    case, told_by_email, frozen_redis
):
    browser = Client(raise_request_exception=False)
    response, took = _timed(
        lambda: browser.post(
            "/sign-in/",
            {
                "crime_reference": case.crime_reference,
                "contact": told_by_email.victim.email,
            },
        )
    )
    assert response.status_code == 503
    assert response["Retry-After"]
    assert "Sorry, there is a problem with the service" in response.content.decode()
    assert took < LONGEST_SECONDS, took
    assert not SignInAttempt.objects.exists()
    _record(frozen_redis_sign_in_seconds=took)


def test_a_victim_with_a_code_signs_in_when_redis_is_frozen(
    portal, case, told_by_email, private_cache, django_capture_on_commit_callbacks
):
    browser = Client(raise_request_exception=False)
    request_code(
        browser,
        django_capture_on_commit_callbacks,
        case.crime_reference,
        told_by_email.victim.email,
    )
    code = latest_code(portal)
    private_cache.freeze()
    response, took = _timed(lambda: enter_code(browser, code))
    assert response.status_code == 303
    assert response["Location"] == "/case/"
    assert took < LONGEST_SECONDS, took
    _record(frozen_redis_code_entry_seconds=took)
