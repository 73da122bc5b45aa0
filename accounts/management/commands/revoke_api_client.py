from django.core.management.base import BaseCommand, CommandError

from accounts.models import ApiClient
from accounts.services import api_client_revoke


class Command(BaseCommand):
    help = "Revoke an API client: its token stops working at once."

    def add_arguments(self, parser):
        parser.add_argument("client_id", help="The client id printed at creation.")

    def handle(self, *args, **options):
        try:
            client = ApiClient.objects.get(key_prefix=options["client_id"])
        except ApiClient.DoesNotExist:
            raise CommandError(
                f"There is no API client with the id {options['client_id']!r}."
            ) from None
        if api_client_revoke(client=client, actor=None):
            self.stdout.write(f"Revoked {client}.")
        else:
            self.stdout.write(f"{client} was already revoked.")
