"""Victims sign in with a crime reference number and a one-time code sent to the safe
channel they gave the police. Nothing shows whether the details matched anyone."""

import datetime
import json
import logging
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from notifications.constants import NotificationStatus
from notifications.models import Notification
from notifications.providers import (
    PermanentProviderError,
    TransientProviderError,
)
from notifications.services import notification_send
from tests.factories import CaseFactory, CaseVictimFactory
from tests.portal import (
    enter_code,
    latest_code,
    outbox_messages,
    request_code,
    sign_in,
)
from victims.constants import ContactPreference, SignInOutcome
from victims.models import SignInAttempt
from victims.sign_in import (
    sign_in_attempt_start,
    sign_in_attempts_delete_old,
    sign_in_code_check,
)

pytestmark = pytest.mark.usefixtures("portal")

REFERENCE = "NS/00001/26"
EMAIL = "victim@example.com"


def _outcomes():
    return list(
        AuditEvent.objects.filter(object_type="sign_in_attempt")
        .order_by("id")
        .values_list("detail__outcome", flat=True)
    )


def _page_without_tokens(response) -> str:
    """The page with what differs on every response (CSRF token, CSP nonce) removed."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'nonce="[^"]+"', "", html)


def test_the_start_page_explains_the_service_and_links_to_sign_in(client):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Find out what is happening with your case" in html
    assert 'href="/sign-in/"' in html
    assert "Exit this page" in html


def test_a_matching_victim_gets_a_six_digit_code_by_email(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    response = request_code(
        client,
        django_capture_on_commit_callbacks,
        " ns 00001-26 ",
        "Victim@Example.COM",
    )
    assert response.status_code == 303
    assert response["Location"] == "/sign-in/code/"
    [message] = outbox_messages(portal)
    assert message["channel"] == "email"
    assert message["to"] == EMAIL
    assert re.search(r"\b\d{6}\b", message["body"])


def test_the_message_says_nothing_about_the_case(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    request_code(client, django_capture_on_commit_callbacks, REFERENCE, EMAIL)
    [message] = outbox_messages(portal)
    text = message["subject"] + message["body"]
    for detail in (
        "NS",
        "00001",
        victim_on_case.victim.full_name,
        victim_on_case.case.victim_description,
        "Burglary",
    ):
        assert detail not in text


def test_a_mobile_number_in_national_format_gets_the_code_by_text(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    request_code(client, django_capture_on_commit_callbacks, REFERENCE, "07400 123456")
    [message] = outbox_messages(portal)
    assert message["channel"] == "sms"
    assert message["to"] == "+447400123456"


@pytest.mark.parametrize(
    "reference, contact",
    [
        ("NS/99999/26", EMAIL),  # no such case
        (REFERENCE, "someone.else@example.com"),  # not this victim's email
        (REFERENCE, "07400 999999"),  # not this victim's number
    ],
)
def test_details_that_match_nobody_get_the_same_response_and_no_code(
    client,
    django_capture_on_commit_callbacks,
    portal,
    victim_on_case,
    reference,
    contact,
):
    matching = request_code(
        client, django_capture_on_commit_callbacks, REFERENCE, EMAIL
    )
    matching_page = client.get("/sign-in/code/")
    other = client.__class__()
    response = request_code(
        other, django_capture_on_commit_callbacks, reference, contact
    )
    page = other.get("/sign-in/code/")

    assert (response.status_code, response["Location"]) == (
        matching.status_code,
        matching["Location"],
    )
    assert page.status_code == matching_page.status_code
    assert _page_without_tokens(page) == _page_without_tokens(matching_page)
    assert len(outbox_messages(portal)) == 1  # only the matching victim's code
    assert _outcomes() == [SignInOutcome.NO_MATCH]


def test_the_request_itself_does_the_same_work_whether_or_not_it_matches(
    client, victim_on_case, django_capture_on_commit_callbacks
):
    """The matching happens in the task, after the response: the request makes the
    same queries and queues the same task, so its timing cannot tell them apart."""

    def queries_for(reference, contact):
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=False) as callbacks,
        ):
            client.__class__().post(
                "/sign-in/", {"crime_reference": reference, "contact": contact}
            )
        shapes = [re.sub(r"'[^']*'|\d+", "?", q["sql"]) for q in queries]
        return shapes, len(callbacks)

    assert queries_for(REFERENCE, EMAIL) == queries_for("NS/99999/26", "x@example.com")


def test_a_wrong_code_takes_the_same_work_whether_or_not_the_details_matched(
    django_capture_on_commit_callbacks, portal, victim_on_case
):
    def queries_for_wrong_code(reference, contact):
        browser = Client()
        request_code(browser, django_capture_on_commit_callbacks, reference, contact)
        with CaptureQueriesContext(connection) as queries:
            enter_code(browser, "000000")
        return [re.sub(r"'[^']*'|\d+|NULL", "?", q["sql"]) for q in queries]

    matched = queries_for_wrong_code(REFERENCE, EMAIL)
    assert len(outbox_messages(portal)) == 1
    assert matched == queries_for_wrong_code("NS/99999/26", "x@example.com")


def test_a_victim_whose_portal_access_is_turned_off_is_treated_as_no_match(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    victim_on_case.victim.portal_access_allowed = False
    victim_on_case.victim.save()
    response = request_code(
        client, django_capture_on_commit_callbacks, REFERENCE, EMAIL
    )
    assert response["Location"] == "/sign-in/code/"
    assert outbox_messages(portal) == []
    assert _outcomes() == [SignInOutcome.NO_MATCH]


def test_no_code_goes_to_a_channel_the_victim_did_not_say_is_safe(
    client, django_capture_on_commit_callbacks, portal, case
):
    CaseVictimFactory(
        case=case,
        victim__email=EMAIL,
        victim__mobile="+447400123456",
        victim__contact_preference=ContactPreference.EMAIL,
    )
    request_code(client, django_capture_on_commit_callbacks, REFERENCE, "07400123456")
    assert outbox_messages(portal) == []
    request_code(client, django_capture_on_commit_callbacks, REFERENCE, EMAIL)
    assert [m["channel"] for m in outbox_messages(portal)] == ["email"]


def test_a_victim_of_another_case_gets_no_code_with_this_reference(
    client, django_capture_on_commit_callbacks, portal, case, force
):
    other = CaseVictimFactory(
        case=CaseFactory(force=force, crime_reference="NS/00002/26"),
        victim__email="other@example.com",
    )
    request_code(
        client, django_capture_on_commit_callbacks, REFERENCE, other.victim.email
    )
    assert outbox_messages(portal) == []


def test_the_code_is_kept_only_as_a_hash_and_what_was_typed_is_forgotten(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    request_code(client, django_capture_on_commit_callbacks, REFERENCE, EMAIL)
    code = latest_code(portal)
    attempt = SignInAttempt.objects.get()
    stored = json.dumps(
        list(SignInAttempt.objects.values().get().values()), default=str
    )
    assert code not in stored
    assert len(attempt.code_hash) == 64
    assert attempt.submitted_reference == ""
    assert attempt.submitted_contact == ""
    assert EMAIL not in stored
    assert "NS0000126" not in stored


def test_the_right_code_signs_the_victim_in_under_a_new_session_key(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    request_code(client, django_capture_on_commit_callbacks, REFERENCE, EMAIL)
    key_before = client.session.session_key
    response = enter_code(client, latest_code(portal))
    assert response.status_code == 303
    assert response["Location"] == "/case/"
    assert client.session.session_key != key_before
    assert client.session["victim_portal"]["victim_id"] == victim_on_case.victim_id
    assert client.session["victim_portal"]["case_id"] == victim_on_case.case_id
    assert client.get("/case/").status_code == 200


def test_a_code_works_only_once(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    request_code(client, django_capture_on_commit_callbacks, REFERENCE, EMAIL)
    code = latest_code(portal)
    attempt = SignInAttempt.objects.get()
    first = sign_in_code_check(attempt_id=attempt.pk, code=code, ip_address=None)
    second = sign_in_code_check(attempt_id=attempt.pk, code=code, ip_address=None)
    assert first.outcome == SignInOutcome.SIGNED_IN
    assert second.outcome == SignInOutcome.ENDED


def test_a_code_only_works_for_the_attempt_that_asked_for_it(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    request_code(client, django_capture_on_commit_callbacks, REFERENCE, EMAIL)
    first_code = latest_code(portal)
    other = client.__class__()
    request_code(other, django_capture_on_commit_callbacks, REFERENCE, EMAIL)
    second_code = latest_code(portal)
    if first_code == second_code:  # one in a million: nothing to tell apart
        pytest.skip("both attempts drew the same code")
    response = enter_code(other, first_code)
    assert response.status_code == 200
    assert "The security code is not right" in response.content.decode()
    assert "victim_portal" not in other.session


def test_a_code_expires_after_ten_minutes(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        request_code(client, django_capture_on_commit_callbacks, REFERENCE, EMAIL)
        code = latest_code(portal)
        traveller.shift(datetime.timedelta(minutes=10))
        response = enter_code(client, code)
    assert response.status_code == 200
    assert "The security code has expired" in response.content.decode()
    assert "victim_portal" not in client.session
    assert _outcomes()[-1] == SignInOutcome.EXPIRED


def test_a_code_still_works_just_before_it_expires(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        request_code(client, django_capture_on_commit_callbacks, REFERENCE, EMAIL)
        traveller.shift(datetime.timedelta(minutes=9, seconds=59))
        response = enter_code(client, latest_code(portal))
    assert response["Location"] == "/case/"


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_five_wrong_codes_end_the_code_so_even_the_right_one_then_fails(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    request_code(client, django_capture_on_commit_callbacks, REFERENCE, EMAIL)
    code = latest_code(portal)
    for _ in range(4):
        response = enter_code(client, _wrong(code))
        assert "The security code is not right" in response.content.decode()
    response = enter_code(client, _wrong(code))
    assert "You need to start again" in response.content.decode()
    attempt = SignInAttempt.objects.get()
    check = sign_in_code_check(attempt_id=attempt.pk, code=code, ip_address=None)
    assert check.outcome == SignInOutcome.ENDED
    assert enter_code(client, code)["Location"] == "/sign-in/"
    assert "victim_portal" not in client.session


def test_a_new_code_does_not_reset_the_count_of_wrong_codes(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    request_code(client, django_capture_on_commit_callbacks, REFERENCE, EMAIL)
    for _ in range(4):
        enter_code(client, _wrong(latest_code(portal)))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/sign-in/new-code/")
    assert response["Location"] == "/sign-in/code/"
    assert len(outbox_messages(portal)) == 2
    response = enter_code(client, _wrong(latest_code(portal)))
    assert "You need to start again" in response.content.decode()


def test_a_new_code_replaces_the_old_one(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    request_code(client, django_capture_on_commit_callbacks, REFERENCE, EMAIL)
    old_code = latest_code(portal)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/sign-in/new-code/")
    page = client.get("/sign-in/code/")
    assert "We have sent a new security code" in page.content.decode()
    new_code = latest_code(portal)
    if old_code != new_code:
        response = enter_code(client, old_code)
        assert "The security code is not right" in response.content.decode()
    assert enter_code(client, new_code)["Location"] == "/case/"


def test_new_codes_are_limited(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    request_code(client, django_capture_on_commit_callbacks, REFERENCE, EMAIL)
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post("/sign-in/new-code/").status_code == 303
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/sign-in/new-code/")
    assert "You have asked for a new security code too many times" in (
        response.content.decode()
    )
    assert len(outbox_messages(portal)) == 4


def test_a_code_entered_for_details_that_matched_nobody_is_simply_wrong(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    request_code(client, django_capture_on_commit_callbacks, "NS/99999/26", EMAIL)
    for _ in range(4):
        response = enter_code(client, "123456")
        assert "The security code is not right" in response.content.decode()
    assert "You need to start again" in enter_code(client, "123456").content.decode()


def test_turning_off_portal_access_after_the_code_was_sent_stops_the_sign_in(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    request_code(client, django_capture_on_commit_callbacks, REFERENCE, EMAIL)
    victim_on_case.victim.portal_access_allowed = False
    victim_on_case.victim.save()
    response = enter_code(client, latest_code(portal))
    assert response.status_code == 200
    assert "The security code is not right" in response.content.decode()
    assert "victim_portal" not in client.session


def test_the_code_page_without_an_attempt_goes_back_to_sign_in(client):
    assert client.get("/sign-in/code/")["Location"] == "/sign-in/"
    assert client.post("/sign-in/code/", {"code": "123456"})["Location"] == "/sign-in/"
    assert client.post("/sign-in/new-code/")["Location"] == "/sign-in/"


@pytest.mark.parametrize(
    "data, message",
    [
        (
            {"crime_reference": "", "contact": EMAIL},
            "Enter your crime reference number",
        ),
        (
            {"crime_reference": REFERENCE, "contact": ""},
            "Enter your email address or mobile phone number",
        ),
        ({"crime_reference": "NS/<b>/26", "contact": EMAIL}, "using only letters"),
        ({"crime_reference": REFERENCE, "contact": "a@b"}, "correct format"),
        ({"crime_reference": REFERENCE, "contact": "12"}, "mobile phone number like"),
    ],
)
def test_badly_formed_details_are_shown_as_errors_and_nothing_is_looked_up(
    client, victim_on_case, data, message
):
    response = client.post("/sign-in/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert message in html
    assert "<title>Error:" in html
    assert not SignInAttempt.objects.exists()


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef"])
def test_a_badly_formed_code_is_an_error_but_not_a_wrong_guess(
    client, django_capture_on_commit_callbacks, portal, victim_on_case, code
):
    request_code(client, django_capture_on_commit_callbacks, REFERENCE, EMAIL)
    response = enter_code(client, code)
    assert "There is a problem" in response.content.decode()
    assert SignInAttempt.objects.get().failure_count == 0


def test_the_code_field_helps_phones_fill_it_in(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    request_code(client, django_capture_on_commit_callbacks, REFERENCE, EMAIL)
    html = client.get("/sign-in/code/").content.decode()
    assert 'autocomplete="one-time-code"' in html
    assert 'inputmode="numeric"' in html
    assert '<label class="govuk-label govuk-label--s" for="id_code">' in html


def test_a_code_with_spaces_is_accepted(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    request_code(client, django_capture_on_commit_callbacks, REFERENCE, EMAIL)
    code = latest_code(portal)
    assert enter_code(client, f" {code[:3]} {code[3:]} ")["Location"] == "/case/"


def test_no_crime_reference_contact_or_code_appears_in_a_url_or_a_log(
    client, django_capture_on_commit_callbacks, portal, victim_on_case, caplog
):
    caplog.set_level(logging.DEBUG)
    responses = [
        request_code(client, django_capture_on_commit_callbacks, REFERENCE, EMAIL)
    ]
    code = latest_code(portal)
    responses.append(enter_code(client, _wrong(code)))
    responses.append(enter_code(client, code))
    responses.append(client.get("/case/"))
    locations = " ".join(r.get("Location", "") for r in responses)
    logged = caplog.text
    for secret in (code, "00001", "NS0000126", EMAIL, "7400123456"):
        assert secret not in locations
        assert secret not in logged


def test_every_attempt_is_audited_without_the_code(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    request_code(client, django_capture_on_commit_callbacks, REFERENCE, EMAIL)
    code = latest_code(portal)
    enter_code(client, _wrong(code), REMOTE_ADDR="192.0.2.7")
    enter_code(client, code, REMOTE_ADDR="192.0.2.7")

    disclosed = AuditEvent.objects.get(action="disclose")
    assert disclosed.object_type == "notification"
    assert disclosed.case_id == victim_on_case.case_id
    assert disclosed.detail["kind"] == "sign_in_code"
    assert disclosed.detail["to"] == "v***@e***.com"
    assert disclosed.detail["channel"] == "email"
    failed = AuditEvent.objects.get(action="sign_in_failed")
    assert failed.detail == {"outcome": "wrong_code"}
    assert failed.ip_address == "192.0.2.7"
    signed_in = AuditEvent.objects.get(action="sign_in")
    assert signed_in.actor_kind == "victim"
    assert signed_in.actor_id == str(victim_on_case.victim_id)
    assert signed_in.case_id == victim_on_case.case_id
    everything = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert code not in everything
    assert EMAIL not in everything


def _send_code(attempt: SignInAttempt) -> str:
    """Do what the worker does with the attempt's code message, now."""
    row = Notification.objects.get(sign_in_attempt=attempt)
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    return notification_send(notification_id=row.pk)


def test_a_transient_sending_failure_is_retried_with_a_code_that_works(
    client, victim_on_case, monkeypatch, portal, settings
):
    def fail(self, message):
        raise TransientProviderError("try later")

    monkeypatch.setattr("notifications.providers.FileOutboxProvider.send", fail)
    session = client.session
    started = sign_in_attempt_start(
        crime_reference=REFERENCE, contact=EMAIL, ip_address=None
    )
    session["victim_sign_in_attempt"] = started.attempt.pk
    session.save()
    assert _send_code(started.attempt) == "retrying"
    assert outbox_messages(portal) == []
    row = Notification.objects.get()
    assert row.status == NotificationStatus.PENDING
    # A code is no use after it expires, so it is retried soon or not at all.
    assert row.next_attempt_at <= timezone.now() + datetime.timedelta(
        seconds=settings.NOTIFICATIONS_CODE_RETRY_MAX_DELAY_SECONDS
    )
    monkeypatch.undo()
    assert _send_code(started.attempt) == "sent"
    assert len(outbox_messages(portal)) == 1
    assert enter_code(client, latest_code(portal))["Location"] == "/case/"


def test_a_permanent_sending_failure_is_audited_and_leaves_no_code(
    victim_on_case, monkeypatch, portal
):
    def fail(self, message):
        raise PermanentProviderError("no such address")

    monkeypatch.setattr("notifications.providers.FileOutboxProvider.send", fail)
    started = sign_in_attempt_start(
        crime_reference=REFERENCE, contact=EMAIL, ip_address=None
    )
    assert _send_code(started.attempt) == "failed"
    attempt = SignInAttempt.objects.get()
    assert attempt.code_hash == ""
    assert _outcomes() == [SignInOutcome.SEND_FAILED]


def test_sending_twice_sends_once(victim_on_case, portal):
    started = sign_in_attempt_start(
        crime_reference=REFERENCE, contact=EMAIL, ip_address=None
    )
    assert _send_code(started.attempt) == "sent"
    assert _send_code(started.attempt) == "not pending"
    assert len(outbox_messages(portal)) == 1


def test_attempts_older_than_a_day_are_deleted(victim_on_case):
    with time_machine.travel(timezone.now() - datetime.timedelta(hours=25)):
        sign_in_attempt_start(crime_reference=REFERENCE, contact=EMAIL, ip_address=None)
    recent = sign_in_attempt_start(
        crime_reference=REFERENCE, contact=EMAIL, ip_address=None
    )
    assert sign_in_attempts_delete_old() == 1
    assert list(SignInAttempt.objects.all()) == [recent.attempt]


def test_the_whole_sign_in_works_for_a_victim_on_two_cases(
    client, django_capture_on_commit_callbacks, portal, victim_on_case, force
):
    second = CaseFactory(force=force, crime_reference="NS/00002/26")
    CaseVictimFactory(case=second, victim=victim_on_case.victim)
    sign_in(client, django_capture_on_commit_callbacks, portal, "NS/00002/26", EMAIL)
    assert client.session["victim_portal"]["case_id"] == second.pk
