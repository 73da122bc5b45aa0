"""While PostgreSQL or Redis is really down, everyone gets a calm 503: JSON in the
API's format, the "Sorry, there is a problem with the service" page for victims and
staff, with Retry-After, never cached, logged once without a crime reference; and
each rate limit fails open or closed as README.md, "Failure modes", says.

The database tests start a throwaway PostgreSQL cluster and stop (or freeze) it;
the Redis tests start a Redis of their own and stop it. Neither touches the
machine's shared services."""

import logging
import os
import re
import signal
import time

import pytest
from django.db import connections
from django.db.utils import load_backend
from django.test import Client

from tests.factories import CaseVictimFactory
from tests.portal import enter_code, latest_code, request_code
from trackmycrime.testing import PrivatePostgres, PrivateRedis
from victims.constants import SIGN_IN_CODE_MAX_FAILURES, ContactPreference
from victims.models import SignInAttempt

REFERENCE = "NS-30046-26"
# A well-formed token, so that checking it needs the database.
TOKEN = {"HTTP_AUTHORIZATION": f"Bearer tmc_{'0' * 12}_{'A' * 43}"}
SORRY = "Sorry, there is a problem with the service"


def _assert_calm_503(response) -> None:
    assert response.status_code == 503, response.content[:300]
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]


def _assert_sorry_page(response) -> str:
    _assert_calm_503(response)
    page = response.content.decode()
    assert SORRY in page
    assert "govuk-template" in page and "Exit this page" in page  # the base layout
    assert "Server Error" not in page
    # The layout's scripts run under the response's own Content-Security-Policy.
    nonce = re.search(r'<script nonce="([^"]+)"', page)
    assert nonce and f"'nonce-{nonce.group(1)}'" in response["Content-Security-Policy"]
    return page


def _assert_api_503(response) -> None:
    _assert_calm_503(response)
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "service_unavailable"
    assert "Retry-After" in response.json()["detail"]


# -- PostgreSQL down ------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    cluster = PrivatePostgres()
    yield cluster
    cluster.remove()


@pytest.fixture
def database_down(cluster, django_db_blocker):
    """Every query of this test goes to the throwaway cluster: it answers once (so
    the connection is real), then is stopped as a crash would stop it."""
    original = connections["default"]
    wrapper = load_backend("django.db.backends.postgresql").DatabaseWrapper(
        cluster.settings_dict(original.settings_dict), "default"
    )
    with django_db_blocker.unblock():
        connections["default"] = wrapper
        try:
            cluster.start()
            with wrapper.cursor() as cursor:
                cursor.execute("SELECT 1")
                assert cursor.fetchone() == (1,)
            cluster.stop()
            # The next query connects anew, as the next request would.
            wrapper.close()
            yield cluster
        finally:
            wrapper.close()
            connections["default"] = original


@pytest.fixture
def browser():
    return Client(raise_request_exception=False)


@pytest.mark.postgres
def test_the_api_answers_json_503_with_retry_after_while_the_database_is_down(
    database_down, browser
):
    token = TOKEN
    for response in (
        browser.get("/api/v1/cases", **token),
        browser.post("/api/v1/cases", {}, content_type="application/json", **token),
        browser.post(
            f"/api/v1/cases/{REFERENCE}/updates",
            {"victim_text": "Seen."},
            content_type="application/json",
            **token,
        ),
    ):
        _assert_api_503(response)


@pytest.mark.postgres
def test_victims_get_the_sorry_page_while_the_database_is_down(database_down, browser):
    # The sign-in page saves a session (it holds the form's CSRF token): the
    # failure is in a middleware, after the view.
    _assert_sorry_page(browser.get("/sign-in/"))
    # With a session cookie the failure is before the view, reading the session.
    browser.cookies["sessionid"] = "a" * 32
    page = _assert_sorry_page(
        browser.post(
            "/sign-in/", {"crime_reference": REFERENCE, "contact": "a@example.com"}
        )
    )
    assert "call 101, or 999 in an emergency" in page


@pytest.mark.postgres
def test_staff_get_the_sorry_page_while_the_database_is_down(database_down, browser):
    browser.cookies["sessionid"] = "b" * 32
    page = _assert_sorry_page(browser.get("/admin/cases/case/"))
    assert "check whether it was saved" in page


@pytest.mark.postgres
def test_an_outage_is_logged_once_at_error_and_without_the_crime_reference(
    database_down, browser, caplog
):
    caplog.set_level(logging.INFO)
    browser.post(
        f"/api/v1/cases/{REFERENCE}/updates",
        {"victim_text": "Seen."},
        content_type="application/json",
        **TOKEN,
    )
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert [record.name for record in errors] == ["trackmycrime.outages"]
    assert "the database did not answer" in errors[0].getMessage()
    assert "/api/v1/cases/{crime_reference}/updates" in errors[0].getMessage()
    assert not any(REFERENCE in record.getMessage() for record in caplog.records)


@pytest.mark.postgres
def test_a_hung_database_is_given_up_within_its_connect_timeout(database_down, browser):
    """The postmaster frozen: connections are accepted, and nothing answers."""
    database_down.start()
    connections["default"].close()
    pid = int((database_down.data / "postmaster.pid").read_text().split()[0])
    os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        response = browser.get("/api/v1/cases", **TOKEN)
        took = time.monotonic() - started
    finally:
        os.kill(pid, signal.SIGCONT)
        database_down.stop()
    _assert_api_503(response)
    # DATABASE_CONNECT_TIMEOUT_SECONDS (3 by default), then the 503.
    assert took < 5, took
    print(f"hung PostgreSQL: API answered 503 in {took:.2f} s")


# -- Redis down -----------------------------------------------------------------


@pytest.fixture
def private_redis():
    redis = PrivateRedis()
    yield redis
    redis.stop()


@pytest.fixture
def cache_on(settings, private_redis):
    """The shared cache (the rate limits' store) on a Redis of this test's own."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            **settings.CACHES["default"],
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": private_redis.url(),
            "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 1.0},
        },
    }
    return private_redis


@pytest.fixture
def victim(case):
    return CaseVictimFactory(
        case=case,
        victim__email="victim@example.com",
        victim__contact_preference=ContactPreference.EMAIL,
    ).victim


@pytest.mark.redis
def test_the_api_throttle_fails_open_while_redis_is_down(api, case, cache_on, caplog):
    assert api.get("/api/v1/cases").status_code == 200
    cache_on.stop()
    response = api.get("/api/v1/cases")
    assert response.status_code == 200
    assert any("fails open" in record.getMessage() for record in caplog.records)


@pytest.mark.redis
def test_staff_work_as_usual_while_redis_is_down(officer_client, case, cache_on):
    cache_on.stop()
    response = officer_client.get("/admin/cases/case/")
    assert response.status_code == 200
    assert case.crime_reference in response.content.decode()
    assert officer_client.get(f"/admin/cases/case/{case.pk}/change/").status_code == (
        200
    )


@pytest.mark.redis
def test_asking_for_a_code_fails_closed_with_the_sorry_page_while_redis_is_down(
    db, cache_on, victim, browser
):
    cache_on.stop()
    response = browser.post(
        "/sign-in/", {"crime_reference": "NS/00001/26", "contact": victim.email}
    )
    _assert_sorry_page(response)
    assert not SignInAttempt.objects.exists()


@pytest.mark.redis
def test_a_code_sent_before_redis_went_down_still_signs_the_victim_in(
    portal, cache_on, victim, django_capture_on_commit_callbacks
):
    client = Client(raise_request_exception=False)
    request_code(
        client, django_capture_on_commit_callbacks, "NS/00001/26", victim.email
    )
    code = latest_code(portal)
    cache_on.stop()
    # A new code cannot be had: the request limits fail closed.
    _assert_sorry_page(client.post("/sign-in/new-code/"))
    response = enter_code(client, code)
    assert response.status_code == 303
    assert response["Location"] == "/case/"
    assert client.get("/case/").status_code == 200


@pytest.mark.redis
def test_guessing_stays_bounded_by_the_attempt_while_redis_is_down(
    portal, cache_on, victim, django_capture_on_commit_callbacks
):
    client = Client(raise_request_exception=False)
    request_code(
        client, django_capture_on_commit_callbacks, "NS/00001/26", victim.email
    )
    code = latest_code(portal)
    wrong = "000000" if code != "000000" else "111111"
    cache_on.stop()
    for _ in range(SIGN_IN_CODE_MAX_FAILURES):
        enter_code(client, wrong)
    # The attempt has ended: even the right code no longer works, and no new
    # attempt can be made while the request limits cannot be counted.
    assert enter_code(client, code).status_code != 303
    assert SignInAttempt.objects.get().has_ended
    _assert_sorry_page(
        client.post(
            "/sign-in/", {"crime_reference": "NS/00001/26", "contact": victim.email}
        )
    )
