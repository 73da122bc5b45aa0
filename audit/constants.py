from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class ActorKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    VICTIM = "victim", _("Victim")
    API_CLIENT = "api_client", _("API client")
    SYSTEM = "system", _("System")
    ANONYMOUS = "anonymous", _("Anonymous")


@dataclass(frozen=True)
class AuditActor:
    """Who did something, as the audit trail names them."""

    kind: str
    id: str
    label: str


SYSTEM = AuditActor(kind=ActorKind.SYSTEM, id="", label="system")


class AuditAction(models.TextChoices):
    """What the Data Protection Act 2018 s.62 asks to be logged, in our words."""

    CREATE = "create", _("Created")
    CHANGE = "change", _("Changed")
    VIEW = "view", _("Viewed")
    DISCLOSE = "disclose", _("Disclosed")
    SIGN_IN = "sign_in", _("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
    SIGN_OUT = "sign_out", _("Signed out")
    ERASE = "erase", _("Erased")
    LOCKED_OUT = "locked_out", _("Locked out after too many failed sign-ins")
    UNLOCKED = "unlocked", _("Unlocked")


class ObjectType(models.TextChoices):
    """What an audit row is about: one name per kind of record, in every app."""

    API_CLIENT = "api_client", _("API client")
    CASE = "case", _("Case")
    CASE_VICTIM = "case_victim", _("Victim on a case")
    CODE_CLOCK = "code_clock", _("Victims' Code deadline")
    CODE_COMPLIANCE_EXPORT = "code_compliance_export", _("Code compliance export")
    FEEDBACK_BATCH = "feedback_batch", _("Victim feedback written out")
    FEEDBACK_FIGURES = "feedback_figures", _("Victim feedback figures")
    FEEDBACK_EXPORT = "feedback_export", _("Victim feedback export")
    CONVERSATION = "conversation", _("Conversation with a victim")
    FORCE = "force", _("Force")
    MESSAGE = "message", _("Message between a victim and the police")
    NOTIFICATION = "notification", _("Message to a victim")
    RETENTION_RUN = "retention_run", _("Retention run")
    RIGHT_REQUEST = "right_request", _("Victims' Code request")
    SIGN_IN_ATTEMPT = "sign_in_attempt", _("Sign-in attempt")
    STAFF = "staff", _("Member of staff")
    SUPPORT_SERVICE = "support_service", _("Support service")
    TIMELINE_ENTRY = "timeline_entry", _("Timeline entry")
    VICTIM = "victim", _("Victim")
    VICTIM_ERASURE = "victim_erasure", _("Erasure of a victim's data")
