"""Helpers for tests of the victim portal: asking for a code, reading it from the
file outbox as the victim would, and signing in."""

import json
import re
from pathlib import Path

CODE = re.compile(r"\b(\d{6})\b")


def outbox_messages(outbox: Path) -> list[dict]:
    if not outbox.exists():
        return []
    return [json.loads(path.read_text()) for path in sorted(outbox.glob("*.json"))]


def latest_code(outbox: Path) -> str:
    messages = outbox_messages(outbox)
    assert messages, "no message was sent"
    found = CODE.search(messages[-1]["body"])
    assert found, "the last message carries no code"
    return found.group(1)


def request_code(client, callbacks, reference: str, contact: str, **extra):
    """Post the sign-in form and run what it queued (the sending task)."""
    with callbacks(execute=True):
        return client.post(
            "/sign-in/", {"crime_reference": reference, "contact": contact}, **extra
        )


def enter_code(client, code: str, **extra):
    return client.post("/sign-in/code/", {"code": code}, **extra)


def sign_in(client, callbacks, outbox: Path, reference: str, contact: str):
    request_code(client, callbacks, reference, contact)
    response = enter_code(client, latest_code(outbox))
    assert response.status_code == 303, response.content.decode()
    assert response["Location"] == "/case/"
    return response


def views_written() -> None:
    """Write the page views queued for the audit trail (with Redis they wait for the
    flush, audit/batched.py; without, they were written in the request)."""
    from audit.batched import views_batched, views_flush

    if views_batched():
        views_flush()
