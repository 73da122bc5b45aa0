"""Celery tasks: thin, given ids, safe to run twice (see notifications.services)."""

from celery import shared_task

from notifications.services import notification_send, notifications_sweep


@shared_task(name="notifications.send", ignore_result=True)
def send_notification(notification_id: int) -> str:
    """Send one outbox row, if it is still pending and due."""
    return notification_send(notification_id=notification_id)


@shared_task(name="notifications.sweep", ignore_result=True)
def sweep_notifications() -> dict[str, int]:
    """Hand over lost or waiting rows and recover stuck ones (Celery beat)."""
    result = notifications_sweep()
    return {
        "requeued": result.requeued,
        "recovered": result.recovered,
        "given_up": result.given_up,
    }
