from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from accounts.constants import StaffGroup
from accounts.services import staff_create, staff_second_factor_issue
from cases.models import Force


class Command(BaseCommand):
    help = (
        "Create a member of staff and print their password, an authenticator app "
        "link (TOTP provisioning URI) and single-use backup codes."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--force", help="The force's short code, e.g. ns.")
        parser.add_argument(
            "--group", choices=StaffGroup.values, default=StaffGroup.OFFICER
        )
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--superuser",
            action="store_true",
            help="A service operator, who manages forces and staff, not cases.",
        )

    def handle(self, *args, **options):
        force = None
        if options["force"]:
            try:
                force = Force.objects.get(code=options["force"])
            except Force.DoesNotExist:
                raise CommandError(
                    f"There is no force with the code {options['force']!r}."
                ) from None
        elif not options["superuser"]:
            raise CommandError("Give the member of staff's force with --force.")
        try:
            user, password = staff_create(
                username=options["username"],
                force=force,
                group=None if options["superuser"] else options["group"],
                first_name=options["first_name"],
                last_name=options["last_name"],
                is_superuser=options["superuser"],
            )
        except IntegrityError:
            raise CommandError(
                f"A member of staff called {options['username']!r} already exists."
            ) from None
        uri, codes = staff_second_factor_issue(user)
        self.stdout.write(f"Username:  {user.username}")
        self.stdout.write(f"Password:  {password}")
        self.stdout.write(f"Authenticator app (TOTP) link: {uri}")
        self.stdout.write("Backup codes, each usable once:")
        for code in codes:
            self.stdout.write(f"  {code}")
        self.stdout.write(
            "Give these to the person in a secure way; they are not shown again."
        )
