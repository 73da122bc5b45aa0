import pytest

from accounts.constants import StaffGroup
from tests.factories import (
    CaseFactory,
    CaseVictimFactory,
    ForceFactory,
    StaffFactory,
    verified_staff_client,
)
from trackmycrime.testing import SERVICE_MARKERS


@pytest.fixture
def force(db):
    return ForceFactory(code="ns", name="Northshire Police")


@pytest.fixture
def other_force(db):
    return ForceFactory(code="ws", name="Westshire Police")


@pytest.fixture
def officer(force):
    return StaffFactory(force=force, username="officer", group=StaffGroup.OFFICER)


@pytest.fixture
def supervisor(force):
    return StaffFactory(force=force, username="supervisor", group=StaffGroup.SUPERVISOR)


@pytest.fixture
def other_officer(other_force):
    """Someone who must never see the first force's cases."""
    return StaffFactory(
        force=other_force, username="outsider", group=StaffGroup.OFFICER
    )


@pytest.fixture
def officer_client(client, officer):
    return verified_staff_client(client, officer)


@pytest.fixture
def case(force):
    return CaseFactory(force=force, crime_reference="NS/00001/26")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """On PostgreSQL, let the test run's own sessions (the audit table's owner) empty
    the audit table between transactional tests, which the TRUNCATE trigger refuses
    otherwise (audit/migrations/0005)."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if "postgresql" in database["ENGINE"]:
        options = database.setdefault("OPTIONS", {})
        options["options"] = (
            options.get("options", "") + " -c trackmycrime.audit_truncate=allow"
        ).strip()


def pytest_runtest_setup(item):
    """Check what a test's markers say it needs: skip, or fail under
    REQUIRE_SERVICES=1, before any of its fixtures start."""
    for marker in item.iter_markers():
        if check := SERVICE_MARKERS.get(marker.name):
            check()


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Each test starts with empty caches: no rate-limit count, throttle, provider
    pause or page fragment left by an earlier test (SQLite reuses primary keys, so
    a later test's client or victim would inherit an earlier one's counts). With
    Redis this also empties the broker's database, so no task queued by an earlier
    test reaches a later test's worker."""
    from django.core.cache import caches

    from trackmycrime.cache import redis_back

    # A Redis that failed in an earlier test (an outage test) is tried again at once,
    # and one that fails in this test does not stop the next from starting.
    redis_back()
    for cache in caches.all():
        cache.clear()
    yield
    redis_back()


@pytest.fixture
def celery_eager():
    """Run tasks in the test process, as the embedded default does (no REDIS_URL),
    even when the test run has a REDIS_URL for the tests that use real workers."""
    from trackmycrime.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def outbox_dir(settings, tmp_path):
    """The file provider's directory, empty for each test."""
    settings.NOTIFICATIONS_EMAIL_PROVIDER = "file"
    settings.NOTIFICATIONS_SMS_PROVIDER = "file"
    settings.NOTIFICATIONS_OUTBOX_DIR = tmp_path / "outbox"
    return tmp_path / "outbox"


@pytest.fixture
def outbox(outbox_dir):
    return outbox_dir


@pytest.fixture
def notify_stub(settings):
    """A local GOV.UK Notify (tests/notify_stub.py), with this process pointed at it."""
    from tests.notify_stub import API_KEY, NOTIFY_TEMPLATE_IDS, NotifyStub

    stub = NotifyStub().start()
    settings.NOTIFICATIONS_EMAIL_PROVIDER = "notify"
    settings.NOTIFICATIONS_SMS_PROVIDER = "notify"
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_BASE_URL = stub.url
    settings.NOTIFY_TIMEOUT_SECONDS = 5
    settings.NOTIFY_TEMPLATES = dict(NOTIFY_TEMPLATE_IDS)
    yield stub
    stub.stop()


# The victim portal: messages land in a per-test outbox and tasks run in-process (with
# REDIS_URL set they would otherwise wait in Redis for a worker).
@pytest.fixture
def portal(outbox, celery_eager):
    return outbox


@pytest.fixture
def victim_on_case(case):
    """A victim on `case` who may sign in by email or text message."""
    return CaseVictimFactory(
        case=case,
        victim__email="victim@example.com",
        victim__mobile="+447400123456",
    )


@pytest.fixture
def records_system(force):
    """The force's records system: its API client and token."""
    from accounts.services import api_client_create

    return api_client_create(force=force, name="Niche RMS", actor=None)


@pytest.fixture
def api(records_system):
    """A REST client signed in as the force's records system."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {records_system[1]}")
    return client


@pytest.fixture
def other_api(other_force):
    """Another force's records system, which must never see the first force's cases."""
    from rest_framework.test import APIClient

    from accounts.services import api_client_create

    _, token = api_client_create(force=other_force, name="Other RMS", actor=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client
