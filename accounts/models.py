from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.constants import ActorKind, AuditActor


class User(AbstractUser):
    """A member of police staff. Every case they can see belongs to their force."""

    force = models.ForeignKey(
        "cases.Force",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        help_text=_("Staff see and change only this force's cases."),
    )
    rank = models.CharField(_("rank or role"), max_length=60, blank=True)
    collar_number = models.CharField(max_length=20, blank=True)
    contact_phone = models.CharField(
        _("phone number victims may use"), max_length=30, blank=True
    )
    contact_email = models.EmailField(_("email address victims may use"), blank=True)

    class Meta:
        verbose_name = _("member of staff")
        verbose_name_plural = _("staff")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = self.get_full_name() or self.username
        return f"{self.rank} {name}".strip() if self.rank else name

    @property
    def audit_actor(self) -> AuditActor:
        return AuditActor(kind=ActorKind.STAFF, id=str(self.pk), label=self.username)


class ApiClient(models.Model):
    """A force's records system, allowed to push and read that force's cases only.

    Its token is `tmc_<key_prefix>_<secret>`; only a SHA-256 hash of the secret is
    kept, so the token is shown once, when the client is created. The secret has 256
    bits of entropy, so a fast hash is enough: there is nothing to guess.
    """

    force = models.ForeignKey(
        "cases.Force", on_delete=models.PROTECT, related_name="api_clients"
    )
    name = models.CharField(
        max_length=100, help_text=_("The system this is, e.g. 'Niche RMS'.")
    )
    key_prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API client")
        ordering = ["force", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix})"

    @property
    def is_authenticated(self) -> bool:
        """True, as for a signed-in user: REST framework checks it."""
        return True

    @property
    def audit_actor(self) -> AuditActor:
        return AuditActor(
            kind=ActorKind.API_CLIENT,
            id=str(self.pk),
            label=f"{self.name} (API client)",
        )
