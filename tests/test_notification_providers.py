import json

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured

from notifications.providers import (
    FileOutboxProvider,
    OutgoingMessage,
    PermanentProviderError,
    provider_for,
)


def test_the_file_outbox_writes_one_json_file_per_message(tmp_path):
    provider = FileOutboxProvider(tmp_path)
    provider_id = provider.send(
        OutgoingMessage(channel="sms", to="+447400123456", body="There is an update.")
    )
    [written] = list(tmp_path.glob("*.json"))
    record = json.loads(written.read_text())
    assert record["provider_id"] == provider_id
    assert record["to"] == "+447400123456"
    assert record["body"] == "There is an update."


def test_the_default_provider_is_the_file_outbox(settings, tmp_path):
    settings.NOTIFICATIONS_OUTBOX_DIR = tmp_path
    assert isinstance(provider_for("email"), FileOutboxProvider)


def test_smtp_sends_email_through_django(settings):
    settings.NOTIFICATIONS_EMAIL_PROVIDER = "smtp"
    provider_for("email").send(
        OutgoingMessage(
            channel="email", to="a@example.com", subject="Update", body="Hi"
        )
    )
    assert mail.outbox[0].to == ["a@example.com"]


def test_smtp_cannot_send_a_text_message(settings):
    settings.NOTIFICATIONS_SMS_PROVIDER = "smtp"
    with pytest.raises(ImproperlyConfigured):
        provider_for("sms")
    with pytest.raises(PermanentProviderError):
        from notifications.providers import SmtpEmailProvider

        SmtpEmailProvider().send(OutgoingMessage(channel="sms", to="+44", body="x"))
