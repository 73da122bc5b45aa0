from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conversations.constants import MESSAGE_MAX_LENGTH, AuthorKind


class Conversation(models.Model):
    """Messages between one victim on a case and the police. It belongs to the case,
    not to an officer: when the officer in charge changes, the new one sees it all."""

    force = models.ForeignKey("cases.Force", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="conversations"
    )
    victim = models.ForeignKey(
        "victims.Victim", on_delete=models.CASCADE, related_name="conversations"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(null=True, blank=True)
    # Safeguarding: while paused the victim sees only a neutral message, and nobody
    # can write (e.g. a suspect may have access to the victim's device).
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    pause_reason = models.CharField(
        _("why it is paused (staff only)"), max_length=300, blank=True
    )

    class Meta:
        verbose_name = _("conversation with a victim")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "victim"], name="conversation_once_per_case_victim"
            )
        ]

    def __str__(self) -> str:
        return f"conversation {self.pk}"

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


class Message(models.Model):
    """One message in a conversation: plain text, never rendered as HTML.

    A victim's message carries the promised reply time (`reply_due_at`) and stays
    waiting until staff reply to it or mark it as needing no reply (`answered_at`).
    """

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    force = models.ForeignKey("cases.Force", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    author_kind = models.CharField(max_length=10, choices=AuthorKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The officer's rank and name as the victim saw it when it was written.
    author_label = models.CharField(max_length=150, blank=True)
    text = models.TextField(max_length=MESSAGE_MAX_LENGTH)
    sent_at = models.DateTimeField(default=timezone.now)
    reply_due_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    no_reply_reason = models.CharField(max_length=300, blank=True)
    read_by_staff_at = models.DateTimeField(null=True, blank=True)
    read_by_victim_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sent_at", "id"]
        verbose_name = _("message with a victim")
        constraints = [
            models.CheckConstraint(
                condition=~Q(author_kind=AuthorKind.VICTIM)
                | Q(reply_due_at__isnull=False),
                name="message_from_victim_has_reply_time",
            ),
            models.CheckConstraint(
                condition=Q(author_kind=AuthorKind.VICTIM)
                | Q(reply_due_at__isnull=True, answered_at__isnull=True),
                name="message_from_police_awaits_nothing",
            ),
        ]
        indexes = [
            models.Index(fields=["conversation", "sent_at"], name="message_in_order"),
            # The inboxes: victims' messages still waiting, in the inbox's order
            # (so that its first page stops after 50 entries), carrying what the
            # counts and the officer filter read, so that PostgreSQL counts a
            # force's waiting messages from the index alone.
            models.Index(
                fields=["force", "sent_at", "id"],
                include=["reply_due_at", "read_by_staff_at", "case"],
                condition=Q(author_kind=AuthorKind.VICTIM, answered_at__isnull=True),
                name="message_waiting_inbox",
            ),
            models.Index(
                fields=["reply_due_at"],
                condition=Q(
                    author_kind=AuthorKind.VICTIM,
                    answered_at__isnull=True,
                    overdue_notified_at__isnull=True,
                ),
                name="message_overdue_untold",
            ),
            models.Index(
                fields=["force", "reply_due_at"],
                condition=Q(author_kind=AuthorKind.VICTIM),
                name="message_reply_clock",
            ),
        ]

    def __str__(self) -> str:
        return f"message {self.pk}"

    @property
    def is_waiting(self) -> bool:
        return self.author_kind == AuthorKind.VICTIM and self.answered_at is None

    @property
    def is_overdue(self) -> bool:
        return (
            self.is_waiting
            and self.reply_due_at is not None
            and self.reply_due_at < timezone.now()
        )
