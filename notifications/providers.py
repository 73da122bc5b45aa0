"""The sending interface: one provider per channel, chosen by settings.

Every message to a victim, an update or a sign-in code, leaves through `provider_for`.
Providers raise `TransientProviderError` when trying again later may work (timeouts,
5xx, rate limits) and `PermanentProviderError` when it never will (an invalid address).

A message carries its text (`subject`, `body`), and may also name a `template` with
its `personalisation`: GOV.UK Notify then sends its own template of that name, filled
in with exactly those values; every other provider sends the text.
"""

import json
import logging
import os
import threading
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

import requests
import urllib3
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.utils import timezone
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from victims.constants import Channel

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingMessage:
    channel: str
    to: str
    body: str
    subject: str = ""
    # Our own id for the message (e.g. the outbox row), passed to the provider.
    reference: str = ""
    # A named template (notifications.constants.MessageTemplate) and its values,
    # for providers that keep templates of their own (GOV.UK Notify).
    template: str = ""
    personalisation: Mapping[str, str] = field(default_factory=dict)


class ProviderError(Exception):
    pass


class TransientProviderError(ProviderError):
    """Sending failed but may work later. `retry_after` is in seconds, if known.
    `in_doubt` when the request may have reached the provider (it timed out, or the
    connection dropped, after it was sent): the provider may still accept it."""

    def __init__(
        self, message: str, retry_after: float | None = None, *, in_doubt: bool = False
    ):
        super().__init__(message)
        self.retry_after = retry_after
        self.in_doubt = in_doubt


class PermanentProviderError(ProviderError):
    """Sending will never work, e.g. the address or number is invalid."""


class Provider(Protocol):
    name: str

    def send(self, message: OutgoingMessage) -> str:
        """Send `message` and return the provider's id for it."""
        ...


class FileOutboxProvider:
    """Write each message as one JSON file: the embedded default for development and
    tests, so a person or a test can read what a victim would have received."""

    name = "file"

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def send(self, message: OutgoingMessage) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        provider_id = uuid.uuid4().hex
        sent_at = timezone.now()
        path = self.directory / f"{sent_at:%Y%m%dT%H%M%S%f}-{provider_id}.json"
        record = {
            **asdict(message),
            "provider_id": provider_id,
            "sent_at": sent_at.isoformat(),
        }
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(record, indent=2))
        temporary.rename(path)  # readers never see a half-written file
        return provider_id


class ConsoleProvider:
    """Print messages to the log (development only: the log then holds the text)."""

    name = "console"

    def send(self, message: OutgoingMessage) -> str:
        provider_id = uuid.uuid4().hex
        logger.info(
            "message to %s by %s: %s %s",
            message.to,
            message.channel,
            message.subject,
            message.body,
        )
        return provider_id


class SmtpEmailProvider:
    """Email through Django's mail settings (EMAIL_HOST and friends)."""

    name = "smtp"

    def send(self, message: OutgoingMessage) -> str:
        if message.channel != Channel.EMAIL:
            raise PermanentProviderError("SMTP sends email only.")
        provider_id = f"<{uuid.uuid4().hex}@trackmycrime>"
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            to=[message.to],
            headers={"Message-ID": provider_id},
        )
        try:
            email.send(fail_silently=False)
        except (OSError, TimeoutError) as error:
            raise TransientProviderError(f"SMTP failed: {error}") from error
        return provider_id


def _in_doubt(cause: BaseException | None) -> bool:
    """Whether a failed request may still have reached Notify: it timed out waiting
    for the answer, or the connection dropped after the request was written. A
    connection refused, or never made, sent nothing."""
    if isinstance(cause, requests.ConnectTimeout):
        return False
    if isinstance(cause, requests.Timeout | requests.exceptions.ChunkedEncodingError):
        return True
    if isinstance(cause, requests.ConnectionError):
        reason = cause.args[0] if cause.args else None
        reason = getattr(reason, "reason", reason)
        return not isinstance(reason, urllib3.exceptions.NewConnectionError)
    return False


def _retry_after(error: APIError) -> float | None:
    raw = getattr(error.response, "headers", {}).get("Retry-After", "")
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


class NotifyProvider:
    """GOV.UK Notify, for email and text messages (notifications-python-client).

    Notify's `reference` is not an idempotency key: sending twice sends twice. The
    outbox row is the key; `find_sent` lets the outbox ask, before trying a message
    again, whether an earlier attempt that ended in doubt did reach Notify.
    """

    name = "notify"

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        timeout: float,
        templates: Mapping[str, str],
    ):
        if not api_key:
            raise ImproperlyConfigured("NOTIFY_API_KEY is not set.")
        self.client = NotificationsAPIClient(
            api_key, base_url=base_url, timeout=timeout
        )
        # requests reads proxy and CA settings from the environment on every
        # request; they do not change while a worker runs, so read them once (still
        # honouring HTTPS_PROXY, NO_PROXY and REQUESTS_CA_BUNDLE) and save that time
        # on each message.
        session = self.client.request_session
        session.proxies.update(requests.utils.get_environ_proxies(base_url))
        session.verify = (
            os.environ.get("REQUESTS_CA_BUNDLE")
            or os.environ.get("CURL_CA_BUNDLE")
            or True
        )
        session.trust_env = False
        self.templates = templates

    def _template(self, message: OutgoingMessage) -> tuple[str, dict[str, str]]:
        template_id = self.templates.get(f"{message.channel}:{message.template}")
        if message.template and template_id:
            return template_id, dict(message.personalisation)
        template_id = self.templates.get(f"{message.channel}:message")
        if not template_id:
            raise PermanentProviderError(
                f"No Notify template is configured for {message.channel} messages."
            )
        if message.channel == Channel.EMAIL:
            return template_id, {"subject": message.subject, "body": message.body}
        return template_id, {"body": message.body}

    def send(self, message: OutgoingMessage) -> str:
        template_id, personalisation = self._template(message)
        try:
            if message.channel == Channel.EMAIL:
                response = self.client.send_email_notification(
                    email_address=message.to,
                    template_id=template_id,
                    personalisation=personalisation,
                    reference=message.reference or None,
                )
            elif message.channel == Channel.SMS:
                response = self.client.send_sms_notification(
                    phone_number=message.to,
                    template_id=template_id,
                    personalisation=personalisation,
                    reference=message.reference or None,
                )
            else:
                raise PermanentProviderError(f"Notify cannot send {message.channel}.")
        except APIError as error:
            raise self._error(error) from error
        try:
            return str(response["id"])
        except (TypeError, KeyError):
            # Notify may well have accepted it: retried, find_sent will tell.
            raise TransientProviderError(
                "Notify answered without an id.", in_doubt=True
            ) from None

    def find_sent(self, reference: str) -> str | None:
        """Return Notify's id for a message sent with `reference`, if there is one."""
        found = self.find_sends(reference)
        return found[0] if found else None

    def find_sends(self, reference: str) -> list[str]:
        """Return Notify's ids for every message sent with `reference`, oldest
        first: more than one means the message went out more than once."""
        try:
            response = self.client.get_all_notifications(reference=reference)
        except APIError as error:
            raise self._error(error) from error
        found = [
            notification
            for notification in (response or {}).get("notifications", [])
            if notification.get("reference") == reference and notification.get("id")
        ]
        # Notify lists the newest first.
        found.sort(key=lambda notification: notification.get("created_at") or "")
        return [str(notification["id"]) for notification in found]

    @staticmethod
    def _error(error: APIError) -> Exception:
        status = error.status_code
        # Timeouts and refused connections arrive as 503 from the client, with the
        # requests exception as the cause.
        if _in_doubt(error.__cause__):
            return TransientProviderError(
                "Notify did not answer in time; it may still accept the message.",
                in_doubt=True,
            )
        if status == 429:
            return TransientProviderError(
                "Notify rate limit (429).", retry_after=_retry_after(error)
            )
        if status >= 500:
            return TransientProviderError(
                f"Notify answered {status}.", retry_after=_retry_after(error)
            )
        if status in (401, 403):
            # Our key is wrong or revoked: an operator fixes it, then the retries
            # go through; nothing is given up before the retry period ends.
            return TransientProviderError(f"Notify refused our API key ({status}).")
        # 400: the address or number is not valid (or not allowed for this key).
        return PermanentProviderError(f"Notify refused the message ({status}).")


def provider_for(channel: str) -> Provider:
    """Return the provider configured for `channel` (NOTIFICATIONS_*_PROVIDER)."""
    name = (
        settings.NOTIFICATIONS_EMAIL_PROVIDER
        if channel == Channel.EMAIL
        else settings.NOTIFICATIONS_SMS_PROVIDER
    )
    if name == "file":
        return FileOutboxProvider(settings.NOTIFICATIONS_OUTBOX_DIR)
    if name == "console":
        return ConsoleProvider()
    if name == "smtp" and channel == Channel.EMAIL:
        return SmtpEmailProvider()
    if name == "notify":
        return _notify_provider(
            api_key=settings.NOTIFY_API_KEY,
            base_url=settings.NOTIFY_BASE_URL,
            timeout=settings.NOTIFY_TIMEOUT_SECONDS,
            templates=tuple(sorted(settings.NOTIFY_TEMPLATES.items())),
        )
    raise ImproperlyConfigured(f"No provider {name!r} for {channel} messages.")


_per_thread = threading.local()


def _notify_provider(
    *, api_key: str, base_url: str, timeout: float, templates: tuple
) -> NotifyProvider:
    """Return this thread's Notify provider for these settings, made once, so that
    its HTTP connection to Notify is kept between messages rather than opened (TLS
    handshake and all) for each one. The client is not thread-safe, and a process
    forked from this one must not share its socket: one per process and thread."""
    key = (os.getpid(), api_key, base_url, timeout, templates)
    cached = getattr(_per_thread, "notify", None)
    if cached is None or cached[0] != key:
        provider = NotifyProvider(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            templates=dict(templates),
        )
        _per_thread.notify = cached = (key, provider)
    return cached[1]
