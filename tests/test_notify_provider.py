"""The GOV.UK Notify provider, against a local stand-in for Notify's API."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from notifications.providers import (
    NotifyProvider,
    OutgoingMessage,
    PermanentProviderError,
    TransientProviderError,
    provider_for,
)
from tests.notify_stub import API_KEY, NOTIFY_TEMPLATE_IDS, Failure

ROOT = Path(__file__).resolve().parent.parent


def _update(channel="email", to="victim@example.com", **fields):
    return OutgoingMessage(
        channel=channel,
        to=to,
        subject="There is an update about your report",
        body="There is an update about your report.",
        reference="tmc-notification-7",
        template="update",
        personalisation={"sign_in_url": "https://tmc.example.org"},
        **fields,
    )


def test_it_sends_an_email_with_the_update_template_and_its_personalisation(
    notify_stub,
):
    provider_id = provider_for("email").send(_update())

    [sent] = notify_stub.messages()
    assert sent["id"] == provider_id
    assert sent["type"] == "email"
    assert sent["to"] == "victim@example.com"
    assert sent["template_id"] == NOTIFY_TEMPLATE_IDS["email:update"]
    assert sent["personalisation"] == {"sign_in_url": "https://tmc.example.org"}
    assert sent["reference"] == "tmc-notification-7"


def test_it_sends_a_text_message_with_the_sms_template(notify_stub):
    provider_for("sms").send(_update(channel="sms", to="+447400123456"))
    [sent] = notify_stub.messages()
    assert sent["type"] == "sms"
    assert sent["to"] == "+447400123456"
    assert sent["template_id"] == NOTIFY_TEMPLATE_IDS["sms:update"]


def test_a_message_without_a_template_goes_through_the_message_template(
    notify_stub,
):
    # How the victim portal sends sign-in codes: text only, never held back.
    provider_for("sms").send(
        OutgoingMessage(channel="sms", to="+447400123456", body="Your code is 123456")
    )
    [sent] = notify_stub.messages()
    assert sent["template_id"] == NOTIFY_TEMPLATE_IDS["sms:message"]
    assert sent["personalisation"] == {"body": "Your code is 123456"}


def test_an_email_without_a_template_carries_its_subject_and_body(notify_stub):
    provider_for("email").send(
        OutgoingMessage(channel="email", to="a@example.com", subject="S", body="B")
    )
    [sent] = notify_stub.messages()
    assert sent["template_id"] == NOTIFY_TEMPLATE_IDS["email:message"]
    assert sent["personalisation"] == {"subject": "S", "body": "B"}


def test_a_template_not_configured_falls_back_to_the_message_template(
    notify_stub, settings
):
    settings.NOTIFY_TEMPLATES = {**settings.NOTIFY_TEMPLATES, "email:update": ""}
    provider_for("email").send(_update())
    [sent] = notify_stub.messages()
    assert sent["template_id"] == NOTIFY_TEMPLATE_IDS["email:message"]
    assert sent["personalisation"]["subject"] == "There is an update about your report"


def test_an_invalid_recipient_is_a_permanent_failure(notify_stub):
    notify_stub.script = lambda request, tries: Failure(
        400, "phone_number Not a UK mobile number"
    )
    with pytest.raises(PermanentProviderError):
        provider_for("sms").send(_update(channel="sms", to="+44123"))


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_is_transient(notify_stub, status):
    notify_stub.script = lambda request, tries: Failure(status, "Internal error")
    with pytest.raises(TransientProviderError):
        provider_for("email").send(_update())


def test_the_rate_limit_is_transient_and_says_when_to_try_again(notify_stub):
    notify_stub.script = lambda request, tries: Failure(
        429, "Exceeded rate limit", retry_after=7
    )
    with pytest.raises(TransientProviderError) as raised:
        provider_for("email").send(_update())
    assert raised.value.retry_after == 7


def test_a_refused_api_key_is_retried_rather_than_given_up(notify_stub, settings):
    settings.NOTIFY_API_KEY = API_KEY[:-36] + "00000000-0000-4000-8000-000000000000"
    with pytest.raises(TransientProviderError):
        provider_for("email").send(_update())
    assert notify_stub.messages() == []


def test_notify_being_unreachable_is_transient(settings):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    provider = NotifyProvider(
        api_key=API_KEY,
        base_url=f"http://127.0.0.1:{port}",
        timeout=2,
        templates=NOTIFY_TEMPLATE_IDS,
    )
    with pytest.raises(TransientProviderError):
        provider.send(_update())


def test_it_keeps_one_connection_to_notify_between_messages(notify_stub):
    for number in range(3):
        provider_for("email").send(_update(to=f"victim{number}@example.com"))
    provider_for("sms").send(_update(channel="sms", to="+447400123456"))

    assert len(notify_stub.messages()) == 4
    assert notify_stub.connections == 1


def test_a_connection_notify_closed_is_opened_again_for_the_next_message(
    notify_stub,
):
    provider_for("email").send(_update())
    notify_stub.close_connections()

    provider_for("email").send(_update(to="another@example.com"))

    assert len(notify_stub.messages()) == 2
    assert notify_stub.connections == 2


def test_it_finds_a_message_already_sent_by_its_reference(notify_stub):
    provider = provider_for("email")
    provider_id = provider.send(_update())
    assert provider.find_sent("tmc-notification-7") == provider_id
    assert provider.find_sent("tmc-notification-8") is None


def _check(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NOTIF")}
    clean.update({"DEBUG": "true", **env})
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_service_refuses_to_start_with_notify_but_no_key():
    result = _check(NOTIFICATIONS_SMS_PROVIDER="notify")
    assert result.returncode != 0
    assert "needs NOTIFY_API_KEY" in result.stderr


def test_the_service_refuses_an_unknown_provider():
    result = _check(NOTIFICATIONS_SMS_PROVIDER="smtp")
    assert result.returncode != 0
    assert "NOTIFICATIONS_SMS_PROVIDER must be one of" in result.stderr


def test_a_time_out_is_in_doubt_but_a_refused_connection_is_not(notify_stub, settings):
    # Notify may still accept a request it did not answer in time; one that never
    # connected was never sent.
    settings.NOTIFY_TIMEOUT_SECONDS = 0.2
    notify_stub.script = lambda request, tries: time.sleep(0.5)
    with pytest.raises(TransientProviderError) as timed_out:
        provider_for("email").send(_update())
    assert timed_out.value.in_doubt

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    settings.NOTIFY_BASE_URL = f"http://127.0.0.1:{port}"
    with pytest.raises(TransientProviderError) as refused:
        provider_for("email").send(_update())
    assert not refused.value.in_doubt
