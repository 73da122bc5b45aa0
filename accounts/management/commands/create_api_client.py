from django.core.management.base import BaseCommand, CommandError

from accounts.services import api_client_create
from cases.models import Force


class Command(BaseCommand):
    help = (
        "Create an API client for a force's records system and print its token, "
        "once: only a hash of it is kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="The system, e.g. 'Niche RMS'.")
        parser.add_argument(
            "--force", required=True, help="The force's short code, e.g. ns."
        )

    def handle(self, *args, **options):
        try:
            force = Force.objects.get(code=options["force"])
        except Force.DoesNotExist:
            raise CommandError(
                f"There is no force with the code {options['force']!r}."
            ) from None
        name = options["name"].strip()
        if not name or len(name) > 100:
            raise CommandError("Give the client a name of 1 to 100 characters.")
        client, token = api_client_create(force=force, name=name, actor=None)
        self.stdout.write(f"API client: {client.name} for {force.name}")
        self.stdout.write(f"Client id:  {client.key_prefix}")
        self.stdout.write(f"Token:      {token}")
        self.stdout.write(
            "Give the token to the force's integration team in a secure way; it is "
            "not shown again. Revoke it with: manage.py revoke_api_client "
            f"{client.key_prefix}"
        )
