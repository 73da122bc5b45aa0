"""The Celery application. Configuration lives in Django settings under CELERY_*."""

import logging
import os

from celery import Celery, bootsteps
from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    task_postrun,
    task_prerun,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trackmycrime.settings")

app = Celery("trackmycrime")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class Heartbeat(bootsteps.StartStopStep):
    """Record this worker's heartbeat in the shared cache every
    WORKER_HEARTBEAT_SECONDS, from its main process once it consumes tasks:
    /readyz and /metrics read how long ago any worker was last heard from. A worker
    whose pool cannot start exits, and its heartbeats stop."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, consumer, **kwargs) -> None:
        self.timer_entry = None
        super().__init__(consumer, **kwargs)

    def start(self, consumer) -> None:
        from django.conf import settings

        self._beat(consumer.hostname)
        self.timer_entry = consumer.timer.call_repeatedly(
            settings.WORKER_HEARTBEAT_SECONDS, self._beat, (consumer.hostname,)
        )

    def stop(self, consumer) -> None:
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None

    @staticmethod
    def _beat(hostname: str) -> None:
        from trackmycrime.metrics import worker_heartbeat_record

        try:
            worker_heartbeat_record(name=hostname)
        except Exception as error:
            # The cache is away: readiness will say so; the worker goes on.
            logging.getLogger(__name__).warning(
                "Could not record the heartbeat (%s)", type(error).__name__
            )


app.steps["consumer"].add(Heartbeat)


@task_prerun.connect
@task_postrun.connect
def close_old_connections(sender=None, **kwargs) -> None:
    """Around each task in a worker, do what Django does around each request: drop
    a database connection that failed or outlived DATABASE_CONN_MAX_AGE, and check
    a kept one before use. Keeping it saves a new PostgreSQL connection per task
    (see CELERY_DB_REUSE_MAX). A task run eagerly is inside someone's request."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


@after_setup_logger.connect
@after_setup_task_logger.connect
def redact_worker_logs(logger=None, **kwargs) -> None:
    """A worker replaces the root logger's handlers with its own: give them the
    filter that keeps crime references out of every line (log_redaction.py)."""
    from trackmycrime.log_redaction import RedactLogRecords

    for handler in logger.handlers if logger is not None else ():
        if not any(isinstance(f, RedactLogRecords) for f in handler.filters):
            handler.addFilter(RedactLogRecords())
