"""Background work for cases. Tasks take ids and call one function."""

from celery import shared_task

from cases import compliance


@shared_task
def code_clocks_settle() -> int:
    return compliance.code_clocks_settle()
