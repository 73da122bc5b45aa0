"""Staff sign-in resists guessing: wrong passwords and wrong codes count alike, per
username and per address, with a cool-off (django-axes, counted in the database so
that every web worker shares them); one message whichever was wrong; every outcome,
lock-out and unlock in the audit trail; supervisors see and lift lock-outs."""

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt
from django.utils import timezone

from audit.models import AuditEvent
from tests.factories import StaffFactory, backup_codes, verified_staff_client

PASSWORD = "a-long-test-password"
FAILED = "The username, password or security code is not right"
LIMIT = 10


def _sign_in(client, username, password=PASSWORD, code="wrong123", address="192.0.2.1"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "otp_token": code},
        REMOTE_ADDR=address,
    )


def _signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def _page(response) -> str:
    return response.content.decode()


def test_a_wrong_password_and_a_wrong_code_get_the_same_message(client, officer):
    backup_codes(officer)
    wrong_password = _sign_in(client, officer.username, password="not-it")
    wrong_code = _sign_in(client, officer.username)
    assert FAILED in _page(wrong_password)
    assert FAILED in _page(wrong_code)
    assert "Invalid token" not in _page(wrong_code)
    assert "OTP" not in _page(wrong_code)


def test_ten_wrong_passwords_lock_the_username_even_with_the_right_details(
    client, officer
):
    code = backup_codes(officer, count=1)[0]
    for number in range(LIMIT):
        _sign_in(client, officer.username, password="guess", address=f"10.0.0.{number}")
    response = _sign_in(client, officer.username, code=code, address="192.0.2.9")
    assert response.status_code == 429
    assert "Signing in is paused" in _page(response)
    assert not _signed_in(client)


def test_a_right_password_with_a_wrong_code_counts_as_a_failure(client, officer):
    backup_codes(officer)
    for number in range(LIMIT):
        _sign_in(client, officer.username, address=f"10.0.0.{number}")
    attempts = AccessAttempt.objects.filter(username=officer.username)
    assert sum(attempt.failures_since_start for attempt in attempts) == LIMIT


def test_one_address_is_limited_across_usernames(client, officer):
    code = backup_codes(officer, count=1)[0]
    for number in range(LIMIT):
        _sign_in(client, f"nobody{number}", address="203.0.113.7")
    assert (
        _sign_in(client, officer.username, code=code, address="203.0.113.7").status_code
        == 429
    )
    other = client.__class__()
    assert (
        _sign_in(other, officer.username, code=code, address="198.51.100.1").status_code
        == 302
    )


def test_a_lock_out_cools_off_rather_than_lasting(client, officer):
    code = backup_codes(officer, count=1)[0]
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for number in range(LIMIT):
            _sign_in(
                client, officer.username, password="guess", address=f"10.0.0.{number}"
            )
        assert _sign_in(client, officer.username, code=code).status_code == 429
        traveller.shift(datetime.timedelta(minutes=15, seconds=1))
        response = _sign_in(client, officer.username, code=code)
    assert response.status_code == 302
    assert _signed_in(client)


def test_the_counts_are_in_the_database_not_in_process_memory(client, officer):
    _sign_in(client, officer.username, password="guess")
    assert AccessAttempt.objects.filter(username=officer.username).exists()


def test_every_sign_in_failure_success_and_lock_out_is_audited(client, officer):
    code = backup_codes(officer, count=1)[0]
    _sign_in(client.__class__(), officer.username, code=code)
    _sign_in(client, officer.username, password="guess")
    _sign_in(client, officer.username)
    for _ in range(LIMIT):
        _sign_in(client, "ghost", address="203.0.113.8")
    events = list(
        AuditEvent.objects.filter(object_type="staff")
        .order_by("id")
        .values_list("action", "detail__username", "object_id")
    )
    officer_id = str(officer.pk)
    assert events[:3] == [
        ("sign_in", "officer", officer_id),
        ("sign_in_failed", "officer", officer_id),
        ("sign_in_failed", "officer", officer_id),
    ]
    assert ("locked_out", "ghost", "") in events
    assert all("wrong123" not in str(event) for event in AuditEvent.objects.values())
    assert all(
        PASSWORD not in str(row) and code not in str(row)
        for row in AccessAttempt.objects.values()
    )


@pytest.fixture
def locked_officer(client, officer):
    for number in range(LIMIT):
        _sign_in(client, officer.username, password="guess", address=f"10.0.0.{number}")
    return officer


def test_a_supervisor_sees_their_forces_locked_accounts_and_unlocks_them(
    client, supervisor, locked_officer, other_officer
):
    for number in range(LIMIT):
        _sign_in(
            client, other_officer.username, password="guess", address=f"10.1.0.{number}"
        )
    browser = verified_staff_client(client.__class__(), supervisor)
    page = browser.get("/admin/axes/accessattempt/")
    assert page.status_code == 200
    assert locked_officer.username in _page(page)
    assert other_officer.username not in _page(page)  # another force's
    assert 'alt="True"' in _page(page)  # shown as locked out
    attempts = AccessAttempt.objects.filter(username=locked_officer.username)
    response = browser.post(
        "/admin/axes/accessattempt/",
        {"action": "unlock", "_selected_action": [a.pk for a in attempts]},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=locked_officer.username).exists()
    event = AuditEvent.objects.filter(action="unlocked").first()
    assert event.actor_id == str(supervisor.pk)
    assert event.detail["username"] == locked_officer.username
    code = backup_codes(locked_officer, count=1)[0]
    assert (
        _sign_in(client.__class__(), locked_officer.username, code=code).status_code
        == 302
    )


def test_the_locked_accounts_list_makes_the_same_queries_for_1_or_10_rows(
    client, supervisor, force
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    browser = verified_staff_client(client.__class__(), supervisor)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get("/admin/axes/accessattempt/").status_code == 200
        return len(captured)

    first = StaffFactory(force=force, username="first")
    _sign_in(client, first.username, password="guess", address="10.2.0.1")
    browser.get("/admin/axes/accessattempt/")  # per-process caches, once
    one = queries()
    for number in range(9):
        colleague = StaffFactory(force=force, username=f"colleague{number}")
        _sign_in(client, colleague.username, password="guess", address="10.2.0.2")
    assert AccessAttempt.objects.count() == 10
    assert queries() == one


def test_an_officer_cannot_see_locked_accounts(client, locked_officer, force):
    colleague = StaffFactory(force=force, username="colleague")
    browser = verified_staff_client(client.__class__(), colleague)
    assert browser.get("/admin/axes/accessattempt/").status_code == 403
