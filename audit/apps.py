from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _grant_service_role(sender, *, using: str, **kwargs) -> None:
    from django.conf import settings

    from audit.roles import service_role_grant

    service_role_grant(using=using, role=settings.DATABASE_SERVICE_ROLE)


class AuditConfig(AppConfig):
    name = "audit"

    def ready(self) -> None:
        # After every `migrate`: see audit/roles.py for why not in a migration.
        post_migrate.connect(
            _grant_service_role, sender=self, dispatch_uid="audit_service_role"
        )
