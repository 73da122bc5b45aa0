from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.constants import ErasureReason


class VictimErasure(models.Model):
    """That a victim's personal data was erased, when and why: once per victim, which
    makes the anonymiser safe to run again."""

    victim = models.OneToOneField(
        "victims.Victim", on_delete=models.CASCADE, related_name="erasure"
    )
    force = models.ForeignKey("cases.Force", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=30, choices=ErasureReason.choices)
    erased_at = models.DateTimeField(default=timezone.now)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-erased_at", "-id"]
        verbose_name = _("erased victim")
        verbose_name_plural = _("erased victims")
        permissions = [
            ("erase_victim", _("Can erase a victim's personal data on request"))
        ]

    def __str__(self) -> str:
        return f"victim {self.victim_id}"
