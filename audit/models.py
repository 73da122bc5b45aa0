from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.constants import ActorKind, AuditAction


class AuditEventImmutable(Exception):
    """Raised on any attempt to change or remove an audit record."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditEventImmutable("Audit records cannot be changed.")

    def delete(self):
        raise AuditEventImmutable("Audit records cannot be deleted.")


class AuditEvent(models.Model):
    """One append-only line of the audit trail (Data Protection Act 2018, s.62).

    Holds who did what to which record and which fields changed, never the values of
    the fields, codes or session identifiers. On PostgreSQL a trigger refuses UPDATE
    and DELETE as well, so not even a raw query can rewrite history.
    """

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_kind = models.CharField(max_length=20, choices=ActorKind.choices)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=64, blank=True)
    # Plain ids rather than foreign keys: the trail must outlive what it describes.
    force_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    case_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    changed_fields = models.JSONField(default=list, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # A page view written by the batched flush (audit/batched.py): writing a batch
    # again after a crash skips the views already in.
    view_key = models.UUIDField(null=True, blank=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("audit event")
        indexes = [models.Index(fields=["force_id", "-occurred_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["view_key"],
                condition=models.Q(view_key__isnull=False),
                name="audit_view_key_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.actor_label or self.actor_kind} {self.action} {self.object_type}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditEventImmutable("Audit records cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditEventImmutable("Audit records cannot be deleted.")
