"""Background work for the audit trail."""

from celery import shared_task

from audit import batched


@shared_task(name="audit.views_flush")
def views_flush() -> int:
    return batched.views_flush()
