"""Sign-in attempts are limited per crime reference and contact together and per
network address, with a cool-off rather than a lock-out, counted in the shared cache
(Redis in production) so that every worker sees the same counts. Nothing keyed on the
crime reference alone or the contact alone: a stranger who knows only one of them can
never spend a limit the victim needs."""

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


def test_a_reference_and_contact_get_five_requests_in_15_minutes(
    client, django_capture_on_commit_callbacks, victim_on_case
):
    for number in range(5):
        response = _ask(
            client,
            django_capture_on_commit_callbacks,
            REFERENCE,
            EMAIL,
            f"198.51.100.{number}",
        )
        assert response.status_code == 303
    response = _ask(
        client, django_capture_on_commit_callbacks, REFERENCE, EMAIL, "198.51.100.9"
    )
    assert response.status_code == 429
    assert LIMITED in response.content.decode()
    assert SignInAttempt.objects.count() == 5


def test_requests_with_the_reference_and_other_contacts_leave_the_victims_alone(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    for number in range(20):
        _ask(
            client.__class__(),
            django_capture_on_commit_callbacks,
            REFERENCE,
            f"person{number}@example.com",
            f"198.51.100.{number}",
        )
    for number in range(20):
        _ask(
            client.__class__(),
            django_capture_on_commit_callbacks,
            f"NS/1{number:04d}/26",
            EMAIL,
            f"198.51.101.{number}",
        )
    response = _ask(
        client, django_capture_on_commit_callbacks, REFERENCE, EMAIL, "192.0.2.77"
    )
    assert response.status_code == 303
    response = enter_code(client, latest_code(portal), REMOTE_ADDR="192.0.2.77")
    assert response["Location"] == "/case/"


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
                EMAIL,
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


def test_wrong_codes_are_counted_per_reference_and_contact_and_cool_off(
    client, django_capture_on_commit_callbacks, portal, local_cache, victim_on_case
):
    """Five wrong codes end one code, and stop codes for that reference and contact
    being checked at all, from anywhere, until the 10-minute window ends."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        browser = client.__class__()
        _ask(browser, django_capture_on_commit_callbacks, REFERENCE, EMAIL, "192.0.2.1")
        for _ in range(5):
            enter_code(browser, _wrong(latest_code(portal)), REMOTE_ADDR="192.0.2.1")
        victim = client.__class__()
        _ask(victim, django_capture_on_commit_callbacks, REFERENCE, EMAIL, "192.0.2.50")
        response = enter_code(victim, latest_code(portal), REMOTE_ADDR="192.0.2.50")
        assert response.status_code == 429
        assert LIMITED in response.content.decode()
        attempt = SignInAttempt.objects.latest("id")
        assert attempt.failure_count == 0  # being limited is not a wrong guess
        traveller.shift(datetime.timedelta(minutes=10, seconds=1))
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
    keys = server.keys("*rate:requests:reference_and_contact:900:*")
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


def test_a_stranger_with_only_the_reference_never_keeps_the_victim_out(
    client, django_capture_on_commit_callbacks, portal, local_cache, victim_on_case
):
    """For 30 simulated minutes a stranger who knows only the crime reference asks
    for codes and enters wrong ones, from a new address and session each time, as
    fast as the limits let them; the victim tries once a minute, on their own
    contact, and signs in on the first try every time."""
    callbacks = django_capture_on_commit_callbacks
    stranger_requests = 0
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for minute in range(30):
            for attempt in range(4):
                number = minute * 4 + attempt
                _wrong_codes_for(
                    client.__class__(),
                    callbacks,
                    portal,
                    f"guess{number}@example.com",
                    f"10.{number // 250}.{number % 250}.1",
                )
                stranger_requests += 1
            # And more requests, with new contacts, from one address until it is
            # refused: the address limit stops the stranger, not the victim.
            for extra in range(35):
                _ask(
                    client.__class__(),
                    callbacks,
                    REFERENCE,
                    f"more{minute}-{extra}@example.com",
                    "203.0.113.66",
                )
            victim = client.__class__()
            _ask(victim, callbacks, REFERENCE, EMAIL, "192.0.2.50")
            response = enter_code(victim, latest_code(portal), REMOTE_ADDR="192.0.2.50")
            assert response.status_code == 303, f"minute {minute}"
            assert response["Location"] == "/case/"
            traveller.shift(datetime.timedelta(minutes=1))
    assert stranger_requests == 120


def test_wrong_codes_for_the_victims_own_details_delay_them_ten_minutes_at_most(
    client, django_capture_on_commit_callbacks, portal, local_cache, victim_on_case
):
    """Someone who knows the reference and the contact can spend the pair's
    limits, but only for one short window: once it ends, the victim signs in,
    however long the attack goes on."""
    callbacks = django_capture_on_commit_callbacks
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for window in range(6):
            _wrong_codes_for(
                client.__class__(), callbacks, portal, EMAIL, f"192.0.2.{window}"
            )
            victim = client.__class__()
            _ask(victim, callbacks, REFERENCE, EMAIL, "192.0.2.50")
            limited = enter_code(victim, latest_code(portal), REMOTE_ADDR="192.0.2.50")
            assert limited.status_code == 429
            traveller.shift(datetime.timedelta(minutes=10, seconds=1))
        victim = client.__class__()
        _ask(victim, callbacks, REFERENCE, EMAIL, "192.0.2.50")
        response = enter_code(victim, latest_code(portal), REMOTE_ADDR="192.0.2.50")
    assert response.status_code == 303
    assert response["Location"] == "/case/"


def test_guessing_for_the_victims_details_is_bounded_per_window(
    client, django_capture_on_commit_callbacks, portal, local_cache, victim_on_case
):
    """However many sessions and addresses, no more than five codes are checked
    for the pair in ten minutes: the sixth is refused unchecked."""
    callbacks = django_capture_on_commit_callbacks
    with time_machine.travel(timezone.now(), tick=False):
        _wrong_codes_for(client.__class__(), callbacks, portal, EMAIL, "192.0.2.1")
        other = client.__class__()
        _ask(other, callbacks, REFERENCE, EMAIL, "192.0.2.2")
        response = enter_code(other, latest_code(portal), REMOTE_ADDR="192.0.2.2")
    assert response.status_code == 429
    assert SignInAttempt.objects.latest("id").used_at is None
