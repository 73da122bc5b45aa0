"""Background work for the victim portal. Tasks take ids and call a service."""

from celery import shared_task

from notifications.providers import TransientProviderError
from victims import services


@shared_task(bind=True, max_retries=3)
def sign_in_code_send(self, attempt_id: int) -> None:
    """Match a sign-in attempt and send its code. A code is only useful for minutes,
    so a failing provider is retried a few times, quickly, then given up on."""
    try:
        services.sign_in_code_send(attempt_id=attempt_id)
    except TransientProviderError as error:
        raise self.retry(countdown=min(error.retry_after or 5, 30)) from error


@shared_task
def sign_in_attempts_delete_old() -> int:
    return services.sign_in_attempts_delete_old()
