import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.constants import (
    FAILED_STATUSES,
    UNFINISHED_STATUSES,
    MessageKind,
    NotificationStatus,
)
from victims.constants import Channel

REFERENCE_PREFIX = "tmc-notification-"


class Notification(models.Model):
    """One message to one victim on one channel: the outbox, for every message.

    An update tells of a timeline entry; a sign-in code belongs to a sign-in attempt,
    and its victim (with the case and force) is filled in only when the worker has
    matched the details typed, so that nothing a visitor sees depends on a match.

    The row is written in the same transaction as the change it tells of, and it, not
    the broker's message, is the truth: a Celery task only says "look at row N now".
    A worker sends a row only after claiming it (PENDING to SENDING, `attempts` + 1);
    `attempts` then fences the result, so a worker that was given up on cannot
    overwrite a later attempt.
    """

    kind = models.CharField(
        max_length=20, choices=MessageKind.choices, default=MessageKind.UPDATE
    )
    force = models.ForeignKey(
        "cases.Force", on_delete=models.PROTECT, related_name="+", null=True
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="notifications", null=True
    )
    victim = models.ForeignKey(
        "victims.Victim",
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
    )
    entry = models.ForeignKey(
        "cases.TimelineEntry",
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("timeline entry"),
        null=True,
        blank=True,
    )
    sign_in_attempt = models.ForeignKey(
        "victims.SignInAttempt",
        on_delete=models.CASCADE,
        related_name="messages",
        null=True,
        blank=True,
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    feedback_wave = models.CharField(
        max_length=20,
        blank=True,
        help_text=_("For an invitation to give feedback: the survey's wave."),
    )
    status = models.CharField(
        max_length=20,
        choices=NotificationStatus.choices,
        default=NotificationStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        _("not before"),
        default=timezone.now,
        help_text=_("Quiet hours and retries move this later."),
    )
    first_attempted_at = models.DateTimeField(null=True, blank=True)
    handed_over_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_(
            "When the sweep last handed it to a worker again; its due time stays, "
            "so that how long it has waited shows."
        ),
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When it was delivered or failed.")
    )
    provider = models.CharField(max_length=20, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="merged",
        help_text=_(
            "The message, still waiting to go, that tells the victim of this change "
            "too: one message for changes made together."
        ),
    )
    resend_of = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resend",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Who asked for this message to be sent again."),
    )
    dealt_with_at = models.DateTimeField(null=True, blank=True)
    dealt_with_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("message to a victim")
        verbose_name_plural = _("messages to victims")
        permissions = [("resend_notification", _("Can send a failed message again"))]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind=MessageKind.UPDATE, entry__isnull=False)
                    & Q(sign_in_attempt__isnull=True)
                )
                | (
                    Q(kind=MessageKind.SIGN_IN_CODE, sign_in_attempt__isnull=False)
                    & Q(entry__isnull=True)
                )
                | (
                    Q(kind=MessageKind.FEEDBACK_INVITATION, entry__isnull=True)
                    & Q(sign_in_attempt__isnull=True, victim__isnull=False)
                    & ~Q(feedback_wave="")
                )
                | (
                    Q(
                        kind__in=[MessageKind.NEW_MESSAGE, MessageKind.REQUEST_UPDATE],
                        case__isnull=False,
                    )
                    & Q(victim__isnull=False)
                    & Q(entry__isnull=True, sign_in_attempt__isnull=True)
                ),
                name="notification_belongs_to_an_entry_a_sign_in_or_a_message",
            ),
            # Nothing is sent before the worker knows who it is for.
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        NotificationStatus.PENDING,
                        NotificationStatus.CANCELLED,
                    ]
                )
                | Q(victim__isnull=False, case__isnull=False, force__isnull=False),
                name="notification_sent_to_a_known_victim",
            ),
            # A change is told to each victim once per channel; only staff resends
            # add rows, and each failed row is resent at most once.
            models.UniqueConstraint(
                fields=["entry", "victim", "channel"],
                condition=Q(resend_of__isnull=True),
                name="notification_once_per_entry_victim_channel",
            ),
            models.CheckConstraint(
                condition=~Q(
                    status__in=[NotificationStatus.SENT, NotificationStatus.DELIVERED]
                )
                | (~Q(provider_id="") & Q(sent_at__isnull=False)),
                name="notification_sent_has_provider_id",
            ),
            models.CheckConstraint(
                condition=Q(status=NotificationStatus.MERGED, merged_into__isnull=False)
                | (~Q(status=NotificationStatus.MERGED) & Q(merged_into__isnull=True)),
                name="notification_merged_names_its_message",
            ),
            models.CheckConstraint(
                condition=~Q(status=NotificationStatus.SENDING)
                | Q(claimed_at__isnull=False),
                name="notification_sending_is_claimed",
            ),
            models.CheckConstraint(
                condition=Q(dealt_with_at__isnull=True)
                | Q(status__in=sorted(FAILED_STATUSES)),
                name="notification_only_failures_are_dealt_with",
            ),
        ]
        indexes = [
            # The sweep's look-up stays small however many messages were ever sent.
            models.Index(
                fields=["status", "next_attempt_at"],
                condition=Q(status__in=sorted(UNFINISHED_STATUSES)),
                name="notification_unfinished",
            ),
            models.Index(
                fields=["force", "-created_at"],
                condition=Q(status__in=sorted(FAILED_STATUSES))
                & Q(dealt_with_at__isnull=True),
                name="notification_failed_open",
            ),
            models.Index(
                fields=["provider_id"],
                condition=~Q(provider_id=""),
                name="notification_provider_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} #{self.pk}"

    @property
    def reference(self) -> str:
        """Our id for the message at the provider: names nobody, unique per row."""
        return f"{REFERENCE_PREFIX}{self.pk}"

    @property
    def attempt_started_at(self) -> datetime.datetime:
        """When the first attempt began: set when the row is first claimed."""
        return self.first_attempted_at or self.created_at

    @property
    def is_open_failure(self) -> bool:
        return self.status in FAILED_STATUSES and self.dealt_with_at is None


class FailedNotification(Notification):
    """Failed messages no one has dealt with yet: the supervisors' list."""

    class Meta:
        proxy = True
        verbose_name = _("failed message")
        verbose_name_plural = _("failed messages")
