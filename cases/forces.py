"""Changes to a force's own record and its local support services, from the back
office; each one audited."""

from collections.abc import Iterable

from django.db import transaction

from audit.constants import AuditAction, ObjectType
from audit.services import Actor, audit_record
from cases.models import Force, SupportService


@transaction.atomic
def force_save(
    *, force: Force, actor: Actor | None, changed_fields: Iterable[str]
) -> None:
    """Save a new force, or a force's changed fields, and audit which changed."""
    created = force.pk is None
    changed = sorted(changed_fields)
    if not created and not changed:
        return
    force.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.CHANGE,
        object_type=ObjectType.FORCE,
        object_id=force.pk,
        force_id=force.pk,
        changed_fields=() if created else changed,
    )


@transaction.atomic
def support_service_save(
    *, service: SupportService, actor: Actor | None, changed_fields: Iterable[str]
) -> None:
    created = service.pk is None
    changed = sorted(changed_fields)
    if not created and not changed:
        return
    service.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.CHANGE,
        object_type=ObjectType.SUPPORT_SERVICE,
        object_id=service.pk,
        force_id=service.force_id,
        changed_fields=() if created else changed,
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
