from django.db import models
from django.utils.translation import gettext_lazy as _


class ActorKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    VICTIM = "victim", _("Victim")
    API_CLIENT = "api_client", _("API client")
    SYSTEM = "system", _("System")
    ANONYMOUS = "anonymous", _("Anonymous")


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
