"""Background work for the victim portal. Tasks take ids and call a service."""

from celery import shared_task

from victims import sign_in


@shared_task
def sign_in_attempts_delete_old() -> int:
    return sign_in.sign_in_attempts_delete_old()
