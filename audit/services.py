from collections.abc import Iterable
from typing import Any, Protocol

from audit.constants import ActorKind, AuditAction
from audit.models import AuditEvent


class Actor(Protocol):
    """Anything that acts on records: staff, a victim, an API client.

    `audit_actor` is (kind, id, label). None as an actor means the system itself.
    """

    @property
    def audit_actor(self) -> tuple[str, str, str]: ...


def audit_record(
    *,
    actor: Actor | None,
    action: AuditAction,
    object_type: str,
    object_id: Any = "",
    force_id: int | None = None,
    case_id: int | None = None,
    changed_fields: Iterable[str] = (),
    detail: dict | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Append one line to the audit trail. Never pass secrets or field values."""
    if actor is None:
        kind, actor_id, label = ActorKind.SYSTEM, "", "system"
    else:
        kind, actor_id, label = actor.audit_actor
    return AuditEvent.objects.create(
        actor_kind=kind,
        actor_id=actor_id,
        actor_label=label,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else "",
        force_id=force_id,
        case_id=case_id,
        changed_fields=sorted(changed_fields),
        detail=detail or {},
        ip_address=ip_address,
    )


def audit_record_many(
    *,
    actor: Actor | None,
    action: AuditAction,
    object_type: str,
    objects: Iterable[tuple[Any, int | None, int | None, dict | None]],
    ip_address: str | None = None,
) -> None:
    """Append one line per (object_id, force_id, case_id, detail), in one query:
    e.g. each case in a page of a list that was read, or each message a worker
    sent."""
    if actor is None:
        kind, actor_id, label = ActorKind.SYSTEM, "", "system"
    else:
        kind, actor_id, label = actor.audit_actor
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor_kind=kind,
            actor_id=actor_id,
            actor_label=label,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            force_id=force_id,
            case_id=case_id,
            detail=detail or {},
            ip_address=ip_address,
        )
        for object_id, force_id, case_id, detail in objects
    )
