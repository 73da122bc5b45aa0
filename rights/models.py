from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rights.constants import (
    OPEN_STATUSES,
    TEXT_MAX_LENGTH,
    ReplyChannel,
    RequestOutcome,
    RequestStatus,
    RightKind,
)


class RightRequest(models.Model):
    """A request a victim made under the Victims' Code, and where it is.

    Every change goes through rights.services, which audits it (its status history
    is the audit trail) and keeps its Code deadlines (cases.CodeClock): one to
    acknowledge it and, for some kinds, one to deal with it.
    """

    force = models.ForeignKey("cases.Force", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="right_requests"
    )
    victim = models.ForeignKey(
        "victims.Victim", on_delete=models.CASCADE, related_name="right_requests"
    )
    kind = models.CharField(max_length=30, choices=RightKind.choices)
    status = models.CharField(
        max_length=20, choices=RequestStatus.choices, default=RequestStatus.RECEIVED
    )
    made_at = models.DateTimeField(default=timezone.now)
    text = models.TextField(
        _("in the victim's words"), max_length=TEXT_MAX_LENGTH, blank=True
    )
    reply_channel = models.CharField(
        _("how the victim wants to hear back"),
        max_length=10,
        choices=ReplyChannel.choices,
        default=ReplyChannel.PORTAL,
    )
    # The kind's own answers, as its form cleaned them (e.g. a personal statement's
    # read-aloud choice and availability).
    details = models.JSONField(default=dict, blank=True)
    support_service = models.ForeignKey(
        "cases.SupportService",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="right_requests_assigned",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        max_length=20, choices=RequestOutcome.choices, blank=True
    )
    outcome_note = models.TextField(
        _("what the victim is told of the outcome"),
        max_length=TEXT_MAX_LENGTH,
        blank=True,
    )
    # The Code deadlines it started (rights.constants.CLOCK_RULES).
    acknowledge_clock = models.OneToOneField(
        "cases.CodeClock",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    done_clock = models.OneToOneField(
        "cases.CodeClock",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-made_at", "-id"]
        verbose_name = _("Victims' Code request")
        permissions = [
            ("assign_rightrequest", "Can assign a Victims' Code request to staff")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "victim", "kind"],
                condition=Q(status__in=OPEN_STATUSES),
                name="right_request_one_open_per_kind",
            ),
            models.CheckConstraint(
                condition=~Q(status=RequestStatus.DONE) | ~Q(outcome=""),
                name="right_request_done_has_outcome",
            ),
        ]
        indexes = [
            models.Index(
                fields=["force", "kind", "status"], name="right_request_queue"
            ),
            models.Index(fields=["case", "victim"], name="right_request_victim"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
