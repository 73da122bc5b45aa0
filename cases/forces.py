"""Changes to a force's own record and its local support services, from the back
office; each one audited."""

from collections.abc import Iterable

from django.db import transaction

from audit.constants import AuditAction, ObjectType
from audit.services import Actor, audit_record, audit_saved
from cases.models import Force, SupportService


@transaction.atomic
def force_save(
    *, force: Force, actor: Actor | None, changed_fields: Iterable[str]
) -> None:
    """Save a new force, or a force's changed fields, and audit which changed."""
    audit_saved(
        record=force,
        actor=actor,
        object_type=ObjectType.FORCE,
        changed_fields=changed_fields,
        force_of=lambda saved: saved.pk,
    )


@transaction.atomic
def support_service_save(
    *, service: SupportService, actor: Actor | None, changed_fields: Iterable[str]
) -> None:
    audit_saved(
        record=service,
        actor=actor,
        object_type=ObjectType.SUPPORT_SERVICE,
        changed_fields=changed_fields,
        force_of=lambda saved: saved.force_id,
    )


@transaction.atomic
def support_service_delete(*, service: SupportService, actor: Actor | None) -> None:
    audit_record(
        actor=actor,
        action=AuditAction.CHANGE,
        object_type=ObjectType.SUPPORT_SERVICE,
        object_id=service.pk,
        force_id=service.force_id,
        detail={"removed": True},
    )
    service.delete()
