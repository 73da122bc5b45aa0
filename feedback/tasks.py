from celery import shared_task

from feedback import services


@shared_task(name="feedback.pool_flush")
def feedback_pool_flush_task() -> int:
    return services.feedback_pool_flush()


@shared_task(name="feedback.invitations_send")
def feedback_invitations_send_task() -> int:
    return services.feedback_invitations_send()


@shared_task(name="feedback.snapshots_refresh")
def feedback_snapshots_refresh_task() -> int:
    from feedback.analysis import feedback_snapshots_refresh

    return feedback_snapshots_refresh()
