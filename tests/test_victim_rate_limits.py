"""Sign-in attempts are limited per crime reference, per contact and per network
address, with a cool-off rather than a lock-out, counted in the shared cache (Redis in
production) so that every worker sees the same counts."""

import datetime

import pytest
import time_machine
from django.core.cache import caches
from django.test import RequestFactory
from django.utils import timezone

from audit.models import AuditEvent
from tests.portal import enter_code, latest_code, request_code
from trackmycrime.client_ip import client_ip
from trackmycrime.testing import redis_url
from victims.models import SignInAttempt

pytestmark = pytest.mark.usefixtures("portal")

REFERENCE = "NS/00001/26"
EMAIL = "victim@example.com"
LIMITED = "You have tried to sign in too many times"


@pytest.fixture
def local_cache(settings):
    """A cache in this process, whose windows follow time_machine's clock."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    caches["default"].clear()


def _ask(client, callbacks, reference, contact, address):
    return request_code(client, callbacks, reference, contact, REMOTE_ADDR=address)


def test_a_crime_reference_gets_five_requests_in_15_minutes(
    client, django_capture_on_commit_callbacks, victim_on_case
):
    for number in range(5):
        response = _ask(
            client,
            django_capture_on_commit_callbacks,
            REFERENCE,
            f"person{number}@example.com",
            f"198.51.100.{number}",
        )
        assert response.status_code == 303
    response = _ask(
        client, django_capture_on_commit_callbacks, REFERENCE, EMAIL, "198.51.100.9"
    )
    assert response.status_code == 429
    assert LIMITED in response.content.decode()
    assert SignInAttempt.objects.count() == 5


def test_a_contact_gets_five_requests_in_15_minutes(
    client, django_capture_on_commit_callbacks, victim_on_case
):
    for number in range(5):
        _ask(
            client,
            django_capture_on_commit_callbacks,
            f"NS/1000{number}/26",
            EMAIL,
            f"198.51.100.{number}",
        )
    response = _ask(
        client, django_capture_on_commit_callbacks, REFERENCE, EMAIL, "198.51.100.9"
    )
    assert response.status_code == 429


def test_a_network_address_gets_thirty_requests_in_15_minutes(
    client, django_capture_on_commit_callbacks, victim_on_case
):
    for number in range(30):
        response = _ask(
            client,
            django_capture_on_commit_callbacks,
            f"NS/{number:05d}/99",
            f"person{number}@example.com",
            "203.0.113.5",
        )
        assert response.status_code == 303
    limited = _ask(
        client, django_capture_on_commit_callbacks, REFERENCE, EMAIL, "203.0.113.5"
    )
    assert limited.status_code == 429
    elsewhere = _ask(
        client, django_capture_on_commit_callbacks, REFERENCE, EMAIL, "203.0.113.6"
    )
    assert elsewhere.status_code == 303


def test_references_that_exist_and_that_do_not_are_limited_alike(
    client, django_capture_on_commit_callbacks, victim_on_case
):
    def statuses(reference):
        return [
            _ask(
                client,
                django_capture_on_commit_callbacks,
                reference,
                f"p{n}@example.com",
                f"192.0.2.{n}",
            ).status_code
            for n in range(6)
        ]

    assert statuses(REFERENCE) == statuses("NS/99999/26") == [303] * 5 + [429]


def test_being_limited_is_audited_with_the_address(
    client, django_capture_on_commit_callbacks, victim_on_case
):
    for _ in range(6):
        _ask(client, django_capture_on_commit_callbacks, REFERENCE, EMAIL, "192.0.2.1")
    event = AuditEvent.objects.get(action="sign_in_failed")
    assert event.detail == {"outcome": "rate_limited"}
    assert event.ip_address == "192.0.2.1"


def test_the_limit_cools_off_after_15_minutes_rather_than_locking_anyone_out(
    client, django_capture_on_commit_callbacks, local_cache, victim_on_case
):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(6):
            response = _ask(
                client,
                django_capture_on_commit_callbacks,
                REFERENCE,
                EMAIL,
                "192.0.2.1",
            )
        assert response.status_code == 429
        traveller.shift(datetime.timedelta(minutes=14))
        assert (
            _ask(
                client,
                django_capture_on_commit_callbacks,
                REFERENCE,
                EMAIL,
                "192.0.2.1",
            ).status_code
            == 429
        )
        traveller.shift(datetime.timedelta(minutes=1, seconds=1))
        response = _ask(
            client, django_capture_on_commit_callbacks, REFERENCE, EMAIL, "192.0.2.1"
        )
    assert response.status_code == 303


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_wrong_codes_are_counted_per_reference_across_attempts_and_cool_off(
    client, django_capture_on_commit_callbacks, portal, local_cache, victim_on_case
):
    """Five wrong codes end one code; ten in 15 minutes stop codes for that crime
    reference being checked at all, from anywhere, until the window ends."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for attempt in range(2):
            browser = client.__class__()
            address = f"192.0.2.{attempt}"
            _ask(browser, django_capture_on_commit_callbacks, REFERENCE, EMAIL, address)
            for _ in range(5):
                enter_code(browser, _wrong(latest_code(portal)), REMOTE_ADDR=address)
        victim = client.__class__()
        _ask(victim, django_capture_on_commit_callbacks, REFERENCE, EMAIL, "192.0.2.50")
        response = enter_code(victim, latest_code(portal), REMOTE_ADDR="192.0.2.50")
        assert response.status_code == 429
        assert LIMITED in response.content.decode()
        attempt = SignInAttempt.objects.latest("id")
        assert attempt.failure_count == 0  # being limited is not a wrong guess
        traveller.shift(datetime.timedelta(minutes=15, seconds=1))
        with django_capture_on_commit_callbacks(execute=True):
            victim.post("/sign-in/new-code/", REMOTE_ADDR="192.0.2.50")
        response = enter_code(victim, latest_code(portal), REMOTE_ADDR="192.0.2.50")
    assert response.status_code == 303
    assert response["Location"] == "/case/"


def test_new_codes_count_against_the_request_limit(
    client, django_capture_on_commit_callbacks, victim_on_case
):
    _ask(client, django_capture_on_commit_callbacks, REFERENCE, EMAIL, "192.0.2.1")
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/sign-in/new-code/", REMOTE_ADDR="192.0.2.1")
    other = client.__class__()
    _ask(other, django_capture_on_commit_callbacks, REFERENCE, EMAIL, "192.0.2.2")
    with django_capture_on_commit_callbacks(execute=True):
        response = other.post("/sign-in/new-code/", REMOTE_ADDR="192.0.2.2")
    assert response.status_code == 429


@pytest.mark.redis
def test_the_counts_live_in_redis_with_an_expiry_so_all_workers_share_them(
    client, django_capture_on_commit_callbacks, victim_on_case, settings
):
    url = redis_url()
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    import redis

    _ask(client, django_capture_on_commit_callbacks, REFERENCE, EMAIL, "192.0.2.1")
    server = redis.Redis.from_url(url)
    keys = server.keys("*rate:requests:reference:900:*")
    assert len(keys) == 1
    assert int(server.get(keys[0])) == 1
    assert 0 < server.ttl(keys[0]) <= 900


@pytest.mark.parametrize(
    "proxies, forwarded, remote, expected",
    [
        (0, "", "192.0.2.1", "192.0.2.1"),
        (0, "203.0.113.9", "192.0.2.1", "192.0.2.1"),  # not trusted without proxies
        (1, "203.0.113.9", "10.0.0.1", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "10.0.0.1", "203.0.113.9"),  # forged part ignored
        (2, "203.0.113.9, 10.0.0.2", "10.0.0.1", "203.0.113.9"),
        (1, "", "10.0.0.1", None),
        (0, "", "not-an-address", None),
    ],
)
def test_the_client_address_is_taken_only_from_trusted_proxies(
    settings, proxies, forwarded, remote, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get(
        "/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote
    )
    assert client_ip(request) == expected


def _wrong_codes_for(browser, callbacks, portal, contact: str, address: str) -> None:
    """Ask for a code and get it wrong five times, which ends it."""
    _ask(browser, callbacks, REFERENCE, contact, address)
    for _ in range(5):
        code = latest_code(portal) if contact == EMAIL else "000000"
        enter_code(browser, _wrong(code), REMOTE_ADDR=address)


def test_a_stranger_with_only_the_reference_cannot_keep_the_victim_out_for_a_day(
    client, django_capture_on_commit_callbacks, portal, local_cache, victim_on_case
):
    """Sixty wrong codes in 90 minutes against the crime reference, from contacts
    that are not the victim's: each 15-minute window cools off, and then the victim
    signs in."""
    callbacks = django_capture_on_commit_callbacks
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for window in range(6):
            for attempt in range(2):
                stranger = client.__class__()
                _wrong_codes_for(
                    stranger,
                    callbacks,
                    portal,
                    f"guess{window}-{attempt}@example.com",
                    f"192.0.2.{window * 2 + attempt}",
                )
            traveller.shift(datetime.timedelta(minutes=15, seconds=1))
        victim = client.__class__()
        _ask(victim, callbacks, REFERENCE, EMAIL, "192.0.2.50")
        response = enter_code(victim, latest_code(portal), REMOTE_ADDR="192.0.2.50")
    assert response.status_code == 303
    assert response["Location"] == "/case/"


def test_fifty_wrong_codes_for_the_victims_own_details_stop_codes_for_a_day(
    client, django_capture_on_commit_callbacks, portal, local_cache, victim_on_case
):
    """Guessing where a code could work is capped for the day, not the window."""
    callbacks = django_capture_on_commit_callbacks
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for window in range(5):
            for attempt in range(2):
                _wrong_codes_for(
                    client.__class__(),
                    callbacks,
                    portal,
                    EMAIL,
                    f"192.0.2.{window * 2 + attempt}",
                )
            traveller.shift(datetime.timedelta(minutes=15, seconds=1))
        victim = client.__class__()
        _ask(victim, callbacks, REFERENCE, EMAIL, "192.0.2.50")
        limited = enter_code(victim, latest_code(portal), REMOTE_ADDR="192.0.2.50")
        traveller.shift(datetime.timedelta(hours=24))
        _ask(victim, callbacks, REFERENCE, EMAIL, "192.0.2.50")
        response = enter_code(victim, latest_code(portal), REMOTE_ADDR="192.0.2.50")
    assert limited.status_code == 429
    assert response.status_code == 303
    assert response["Location"] == "/case/"
