from django.core.management.base import BaseCommand

from notifications.services import notifications_sweep


class Command(BaseCommand):
    help = (
        "Run the notification sweep once: hand over messages that are due (held for "
        "quiet hours, waiting to retry, or whose task was lost) and recover messages "
        "stuck mid-send. Celery beat does this every minute; without Redis (the "
        "embedded default) run this from cron instead."
    )

    def handle(self, *args, **options):
        result = notifications_sweep()
        self.stdout.write(
            f"{result.requeued} handed over, {result.recovered} recovered, "
            f"{result.given_up} given up."
        )
