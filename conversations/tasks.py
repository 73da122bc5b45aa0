"""Celery tasks: thin, safe to run twice (see conversations.services)."""

from celery import shared_task

from conversations.services import messages_overdue_notify


@shared_task(name="conversations.overdue_notify", ignore_result=True)
def notify_overdue_messages() -> int:
    """Email officers whose victims' messages are past the reply time (beat)."""
    return len(messages_overdue_notify())
