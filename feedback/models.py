"""Victim Voice's records. Only FeedbackOffer names a victim, and it holds no time
and no answer; FeedbackResponse holds answers and coarse groups, and nothing that
names or orders a person. See README.md, "Victim Voice", for how the two are kept
apart."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from feedback.constants import OffenceGroup, OfferState, StageGroup, Via, Wave


class FeedbackOffer(models.Model):
    """One wave of the survey offered to one victim about one case, and whether they
    answered it or said no thanks. No time is kept: not when it was offered, nor when
    it was answered."""

    victim = models.ForeignKey(
        "victims.Victim", on_delete=models.CASCADE, related_name="+"
    )
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    wave = models.CharField(max_length=20, choices=Wave.choices)
    state = models.CharField(
        max_length=10, choices=OfferState.choices, default=OfferState.OFFERED
    )

    class Meta:
        verbose_name = _("survey offer")
        constraints = [
            models.UniqueConstraint(
                fields=["victim", "case", "wave"], name="feedback_offer_once_per_wave"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_wave_display()}: {self.get_state_display()}"


class PendingInvitation(models.Model):
    """An invitation to a wave, to be sent once it is due if the wave is still open
    (feedback.services.feedback_invitations_send); deleted then. Its time is the
    moment's, a day on, never an answer's."""

    offer = models.OneToOneField(
        FeedbackOffer, on_delete=models.CASCADE, related_name="+"
    )
    due_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("invitation waiting to be sent")

    def __str__(self) -> str:
        return f"invitation due {self.due_at:%Y-%m-%d %H:%M}"


class PendingAnswer(models.Model):
    """Answers waiting to be written out with others alike, encrypted (so that the
    pool shows nothing to someone reading the database), and deleted once written.
    A random id and no time: nothing orders them."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sealed = models.TextField()

    class Meta:
        verbose_name = _("answer waiting to be counted")

    def __str__(self) -> str:
        return str(self.id)


class FeedbackResponse(models.Model):
    """One victim's answers, with the coarse groups they are counted in and the
    month they were written out in. It names no victim or case, and carries no time,
    session or address; its id is random."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    force = models.ForeignKey("cases.Force", on_delete=models.PROTECT, related_name="+")
    month = models.DateField(help_text=_("The first day of the month it was counted."))
    offence_group = models.CharField(max_length=20, choices=OffenceGroup.choices)
    stage_group = models.CharField(max_length=20, choices=StageGroup.choices)
    wave = models.CharField(max_length=20, choices=Wave.choices)
    language = models.CharField(max_length=10)
    via = models.CharField(_("invitation channel"), max_length=10, choices=Via.choices)
    overall = models.PositiveSmallIntegerField(null=True, blank=True)
    informed = models.PositiveSmallIntegerField(null=True, blank=True)
    fairness = models.PositiveSmallIntegerField(null=True, blank=True)
    contact = models.PositiveSmallIntegerField(null=True, blank=True)
    improve = models.TextField(blank=True, max_length=1200)

    class Meta:
        verbose_name = _("victim feedback")
        verbose_name_plural = _("victim feedback")
        permissions = [
            ("analyse_feedback", "Can see the victim feedback figures and comments")
        ]
        indexes = [
            models.Index(fields=["force", "month"], name="feedback_force_month"),
            # The comments of a month, in the random order of their ids
            # (feedback.analysis._random_comments).
            models.Index(
                fields=["force", "month", "id"],
                condition=~models.Q(improve=""),
                name="feedback_comments_by_id",
            ),
        ]

    def __str__(self) -> str:
        return str(self.id)


class FeedbackCount(models.Model):
    """How many responses of a month share all the same coarse groups, and how many
    answered each question and positively: what the figures are counted from, so
    that no page counts a force's responses one by one. Kept by the pool's flush in
    its transaction (feedback.services), rebuilt after a bulk load."""

    force = models.ForeignKey("cases.Force", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    offence_group = models.CharField(max_length=20, choices=OffenceGroup.choices)
    stage_group = models.CharField(max_length=20, choices=StageGroup.choices)
    wave = models.CharField(max_length=20, choices=Wave.choices)
    language = models.CharField(max_length=10)
    via = models.CharField(max_length=10, choices=Via.choices)
    responses = models.PositiveIntegerField(default=0)
    comments = models.PositiveIntegerField(default=0)
    overall_n = models.PositiveIntegerField(default=0)
    overall_positive = models.PositiveIntegerField(default=0)
    informed_n = models.PositiveIntegerField(default=0)
    informed_positive = models.PositiveIntegerField(default=0)
    fairness_n = models.PositiveIntegerField(default=0)
    fairness_positive = models.PositiveIntegerField(default=0)
    contact_n = models.PositiveIntegerField(default=0)
    contact_positive = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("victim feedback counts")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "force",
                    "month",
                    "offence_group",
                    "stage_group",
                    "wave",
                    "language",
                    "via",
                ],
                name="feedback_count_once_per_group",
            )
        ]
        indexes = [models.Index(fields=["force", "month"], name="feedback_count_month")]

    def __str__(self) -> str:
        return f"{self.month:%B %Y}: {self.responses}"


class FeedbackSnapshot(models.Model):
    """The published figures for a force, worked out on a schedule, so that the
    public page reads one row."""

    force = models.OneToOneField(
        "cases.Force", on_delete=models.CASCADE, related_name="+"
    )
    computed_at = models.DateTimeField()
    figures = models.JSONField()

    class Meta:
        verbose_name = _("published feedback figures")

    def __str__(self) -> str:
        return f"{self.force_id} at {self.computed_at:%Y-%m-%d %H:%M}"
