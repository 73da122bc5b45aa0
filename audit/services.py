"""The one way anything is written to the audit trail.

Every row names its actor by `AuditActor` and its record by `ObjectType`. The client's
address comes from the request being served (set by `audit.middleware`, read from
`trackmycrime.client_ip`), so no caller reads it for itself.
"""

import contextvars
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from django.db.models import Model

from audit import batched as batched_views
from audit.constants import SYSTEM, AuditAction, AuditActor, ObjectType
from audit.models import AuditEvent


class Actor(Protocol):
    """Anything that acts on records: staff, a victim, an API client, a visitor.
    None as an actor means the system itself."""

    @property
    def audit_actor(self) -> AuditActor: ...


@dataclass(frozen=True)
class Audited:
    """One record an action was done to: its id and where it belongs."""

    object_id: Any
    force_id: int | None = None
    case_id: int | None = None
    detail: dict | None = None


_client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "audit_client_ip", default=None
)


@contextmanager
def audit_client_address(ip_address: str | None) -> Iterator[None]:
    """Record `ip_address` on every audit row written inside this block."""
    token = _client_ip.set(ip_address)
    try:
        yield
    finally:
        _client_ip.reset(token)


def actor_of(actor: Actor | None) -> AuditActor:
    return SYSTEM if actor is None else actor.audit_actor


def _event(
    *,
    actor: AuditActor,
    action: AuditAction,
    object_type: ObjectType,
    audited: Audited,
    changed_fields: Iterable[str] = (),
) -> AuditEvent:
    return AuditEvent(
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label,
        action=action,
        object_type=object_type,
        object_id=str(audited.object_id) if audited.object_id is not None else "",
        force_id=audited.force_id,
        case_id=audited.case_id,
        changed_fields=sorted(changed_fields),
        detail=audited.detail or {},
        ip_address=_client_ip.get(),
    )


def audit_record(
    *,
    actor: Actor | None,
    action: AuditAction,
    object_type: ObjectType,
    object_id: Any = "",
    force_id: int | None = None,
    case_id: int | None = None,
    changed_fields: Iterable[str] = (),
    detail: dict | None = None,
) -> AuditEvent:
    """Append one line to the audit trail. Never pass secrets or field values."""
    event = _event(
        actor=actor_of(actor),
        action=action,
        object_type=object_type,
        audited=Audited(object_id, force_id, case_id, detail),
        changed_fields=changed_fields,
    )
    event.save()
    return event


def audit_record_many(
    *,
    actor: Actor | None,
    action: AuditAction,
    object_type: ObjectType,
    objects: Iterable[Audited],
) -> None:
    """Append one line per record, in one query: each message a worker sent, or
    each case on a page that was read."""
    who = actor_of(actor)
    AuditEvent.objects.bulk_create(
        _event(actor=who, action=action, object_type=object_type, audited=audited)
        for audited in objects
    )


def audit_view(
    *,
    actor: Actor | None,
    object_type: ObjectType,
    objects: Iterable[Audited],
    batched: bool = False,
) -> None:
    """Record that `actor` was shown these records: a page, an API read or a list
    (Data Protection Act 2018 s.62, consultation).

    `batched`: a signed-in victim's page, the busiest path; with Redis the rows are
    queued before the response and written by the flush (audit/batched.py), each
    with the time of the view."""
    if batched and batched_views.views_batched():
        who = actor_of(actor)
        events = [
            _event(
                actor=who, action=AuditAction.VIEW, object_type=object_type, audited=a
            )
            for a in objects
        ]
        if not events or batched_views.view_push(events):
            return
        AuditEvent.objects.bulk_create(events)
        return
    audit_record_many(
        actor=actor, action=AuditAction.VIEW, object_type=object_type, objects=objects
    )


def audit_saved(
    *,
    record: Model,
    actor: Actor | None,
    object_type: ObjectType,
    changed_fields: Iterable[str],
    force_of: Callable[[Any], int | None],
) -> bool:
    """Save a record added or changed in the back office and audit it: a CREATE for
    a new one, a CHANGE naming the fields for a changed one, nothing when nothing
    changed. Return whether it was saved. Call inside the caller's transaction."""
    created = record.pk is None
    changed = sorted(changed_fields)
    if not created and not changed:
        return False
    record.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.CHANGE,
        object_type=object_type,
        object_id=record.pk,
        force_id=force_of(record),
        changed_fields=() if created else changed,
    )
    return True
