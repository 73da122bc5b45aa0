from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from audit.constants import ActorKind, AuditActor
from victims.constants import (
    SAFE_CHANNELS,
    SIGN_IN_CODE_MAX_FAILURES,
    Channel,
    ContactPreference,
    EnhancedRightsReason,
    Language,
)


class Victim(models.Model):
    """A person the police must keep informed. Only staff change their details."""

    force = models.ForeignKey("cases.Force", on_delete=models.PROTECT, related_name="+")
    external_reference = models.CharField(
        _("reference in the force's records system"),
        max_length=64,
        blank=True,
        help_text=_(
            "The victim's id in the records system that pushes cases through the "
            "API; it matches the victim when a case is pushed again."
        ),
    )
    full_name = models.CharField(max_length=150)
    email = models.EmailField(blank=True)
    mobile = PhoneNumberField(
        _("mobile number"), blank=True, help_text=_("Stored in international format.")
    )
    preferred_language = models.CharField(
        max_length=5, choices=Language.choices, default=Language.ENGLISH
    )
    contact_preference = models.CharField(
        _("safe channels"),
        max_length=20,
        choices=ContactPreference.choices,
        default=ContactPreference.EMAIL_AND_SMS,
    )
    detail_by_email = models.BooleanField(
        _("emails may include case details"),
        default=False,
        help_text=_(
            "Only if the victim asked; by default messages say only that "
            "there is an update."
        ),
    )
    detail_by_sms = models.BooleanField(
        _("text messages may include case details"), default=False
    )
    discreet_messages = models.BooleanField(
        default=False,
        help_text=_(
            "Codes and updates name neither this service nor the police (harder to "
            "recognise as genuine). On by default for victims with enhanced rights in "
            "domestic abuse, stalking and sexual offence cases."
        ),
    )
    enhanced_rights = models.BooleanField(default=False)
    enhanced_rights_reason = models.CharField(
        max_length=30, choices=EnhancedRightsReason.choices, blank=True
    )
    portal_access_allowed = models.BooleanField(
        default=True,
        help_text=_("Turn off to stop this victim signing in, e.g. for safeguarding."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["full_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(enhanced_rights=False) | ~Q(enhanced_rights_reason=""),
                name="victim_enhanced_rights_have_reason",
            ),
            models.UniqueConstraint(
                fields=["force", "external_reference"],
                condition=~Q(external_reference=""),
                name="victim_unique_external_reference_per_force",
            ),
        ]
        indexes = [
            models.Index(Lower("email"), name="victim_email_lookup"),
            models.Index(fields=["mobile"], name="victim_mobile_lookup"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def clean(self) -> None:
        errors = {}
        if self.enhanced_rights and not self.enhanced_rights_reason:
            errors["enhanced_rights_reason"] = _(
                "Say why this victim has enhanced rights."
            )
        if (
            self.contact_preference
            in (
                ContactPreference.EMAIL,
                ContactPreference.EMAIL_AND_SMS,
            )
            and not self.email
        ):
            errors["email"] = _(
                "Enter an email address, or choose other safe channels."
            )
        if (
            self.contact_preference
            in (
                ContactPreference.SMS,
                ContactPreference.EMAIL_AND_SMS,
            )
            and not self.mobile
        ):
            errors["mobile"] = _(
                "Enter a mobile number, or choose other safe channels."
            )
        if errors:
            raise ValidationError(errors)

    def may_contact_by(self, channel: str) -> bool:
        """Return whether the victim said `channel` is safe and gave an address for
        it: the one rule for every message, checked again each time one is sent."""
        return bool(self.address_for(channel)) and (
            channel in SAFE_CHANNELS[self.contact_preference]
        )

    def address_for(self, channel: str) -> str:
        """Return where a message on `channel` goes: the email address, or the mobile
        number in international format; empty if there is none."""
        if channel == Channel.EMAIL:
            return self.email
        return self.mobile.as_e164 if self.mobile else ""

    @property
    def safe_channels(self) -> list[str]:
        return [channel for channel in Channel.values if self.may_contact_by(channel)]

    @property
    def audit_actor(self) -> AuditActor:
        return AuditActor(
            kind=ActorKind.VICTIM, id=str(self.pk), label=f"victim {self.pk}"
        )


class CaseVictim(models.Model):
    """A victim's part in a case: a case can have several victims, and a victim several
    cases."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="case_victims"
    )
    victim = models.ForeignKey(
        Victim, on_delete=models.CASCADE, related_name="case_links"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Right 6: how often and by which channels this victim agreed online to hear
    # about this case (cases.services.case_agree_updates). Channels only ever
    # narrow the safe channels staff recorded; empty means the portal only.
    agreed_interval_days = models.PositiveSmallIntegerField(
        _("update interval agreed (days)"), null=True, blank=True
    )
    agreed_channels = models.JSONField(
        _("channels agreed for updates"), null=True, blank=True
    )
    agreed_at = models.DateTimeField(_("updates agreed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("victim on the case")
        verbose_name_plural = _("victims on the case")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "victim"], name="case_victim_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.victim} on {self.case}"

    @property
    def update_channels(self) -> list[str]:
        """Return the channels updates about this case go by: the victim's safe
        channels (Victim.may_contact_by, checked as ever), narrowed to those they
        agreed if they did."""
        safe = self.victim.safe_channels
        if self.agreed_channels is None:
            return safe
        return [channel for channel in safe if channel in self.agreed_channels]


class SignInAttempt(models.Model):
    """One request for a sign-in code, made whether or not the details match.

    Every request creates one, so that what the person sees never depends on a match;
    a task matches the details and sends the code later. The code itself is never
    stored, only a keyed hash bound to this attempt. What was typed is kept only until
    the task has matched it; after that only keyed hashes of it remain, for rate limits.
    """

    victim = models.ForeignKey(
        Victim,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sign_in_attempts",
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_reference = models.CharField(max_length=40, blank=True)
    submitted_contact = models.CharField(max_length=254, blank=True)
    reference_key = models.CharField(max_length=64)
    contact_key = models.CharField(max_length=64)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    code_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    failure_count = models.PositiveSmallIntegerField(default=0)
    resend_count = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in attempt")
        constraints = [
            models.CheckConstraint(
                condition=Q(code_hash="") | Q(victim__isnull=False, case__isnull=False),
                name="sign_in_code_belongs_to_a_victim_and_case",
            ),
        ]

    def __str__(self) -> str:
        return f"sign-in attempt {self.pk}"

    @property
    def has_ended(self) -> bool:
        return (
            self.used_at is not None or self.failure_count >= SIGN_IN_CODE_MAX_FAILURES
        )
