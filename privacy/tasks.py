"""The daily anonymiser (Celery beat). Thin: one call to the service."""

from celery import shared_task

from privacy import services


@shared_task
def retention_run() -> dict[str, int]:
    return services.retention_run()
