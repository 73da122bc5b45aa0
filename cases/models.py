import re
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.constants import (
    DEFAULT_UPDATE_INTERVAL_WEEKS,
    RIGHT_TO_REVIEW_REASONS,
    ClosingReason,
    CodeClockKind,
    EntryKind,
    OffenceCategory,
    Outcome,
    Stage,
)

_REFERENCE_SEPARATORS = re.compile(r"[\s/\-]+")

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def normalise_crime_reference(reference: str) -> str:
    """Return the look-up form of a crime reference: no spaces, slashes or dashes,
    in capitals, so that "ns/01234/26" and "NS 01234 26" find the same case."""
    return _REFERENCE_SEPARATORS.sub("", reference or "").upper()


# The channels an update can go by (victims.constants.Channel's values).
UPDATE_CHANNELS = ("email", "sms")


def default_update_interval_weeks() -> list[int]:
    return list(DEFAULT_UPDATE_INTERVAL_WEEKS)


def default_update_channels() -> list[str]:
    return list(UPDATE_CHANNELS)


class Force(models.Model):
    """A police force, whose staff, cases and victims are kept apart from others'."""

    name = models.CharField(max_length=100, unique=True)
    code = models.SlugField(_("short code"), max_length=10, unique=True)
    crime_reference_pattern = models.CharField(
        max_length=200,
        help_text=_(
            "Regular expression the normalised crime reference (capitals, no spaces, "
            "slashes or dashes) must match, e.g. ^NS\\d{5}\\d{2}$"
        ),
    )
    crime_reference_example = models.CharField(
        max_length=40,
        help_text=_("An example reference shown to people, e.g. NS/01234/26"),
    )
    contact_phone = models.CharField(max_length=30, blank=True)
    contact_url = models.URLField(blank=True)
    contact_text = models.TextField(
        _("how victims contact the force"),
        blank=True,
        help_text=_("Shown to victims in plain words, e.g. call 101 and quote ..."),
    )
    message_reply_working_days = models.PositiveSmallIntegerField(
        _("promised reply time for victims' messages (working days)"),
        default=2,
        help_text=_(
            "Victims are told to expect a reply within this many working days; a "
            "message waiting longer is overdue."
        ),
    )
    messages_after_closure_days = models.PositiveSmallIntegerField(
        _("days victims may still write after a case is closed"),
        default=28,
    )
    # Right 6: what a victim may agree online about how often and how they hear.
    update_interval_weeks_allowed = models.JSONField(
        _("update intervals victims may choose (weeks)"),
        default=default_update_interval_weeks,
        help_text=_("A list of whole weeks, e.g. [2, 4, 8]."),
    )
    update_channels_allowed = models.JSONField(
        _("channels victims may choose for updates"),
        default=default_update_channels,
        blank=True,
        help_text=_('A list of "email" and "sms"; empty for neither.'),
    )
    staff_language = models.CharField(
        _("language staff write updates and messages in"),
        max_length=5,
        choices=[("en", "English"), ("cy", "Cymraeg (Welsh)")],
        default="en",
        help_text=_(
            "Victims see what staff write as it was written: the portal marks it as "
            "this language, and tells a victim reading in another that it is in it."
        ),
    )
    vps_contact_working_days = models.PositiveSmallIntegerField(
        _(
            "time to contact a victim who asks to make a personal statement "
            "(working days)"
        ),
        default=5,
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def staff_language_code(self) -> str:
        """The language code of what staff write, for a page's lang attribute."""
        return "en-gb" if self.staff_language == "en" else self.staff_language

    def clean(self) -> None:
        try:
            re.compile(self.crime_reference_pattern)
        except re.error as error:
            raise ValidationError(
                {"crime_reference_pattern": _("Not a valid pattern: %s") % error}
            ) from None
        weeks = self.update_interval_weeks_allowed
        if (
            not isinstance(weeks, list)
            or not weeks
            or not all(
                isinstance(week, int) and not isinstance(week, bool) and 1 <= week <= 52
                for week in weeks
            )
            or len(set(weeks)) != len(weeks)
        ):
            raise ValidationError(
                {
                    "update_interval_weeks_allowed": _(
                        "Give a list of different whole numbers of weeks from 1 to "
                        "52, e.g. [2, 4, 8]."
                    )
                }
            )
        channels = self.update_channels_allowed
        if (
            not isinstance(channels, list)
            or not all(channel in UPDATE_CHANNELS for channel in channels)
            or len(set(channels)) != len(channels)
        ):
            raise ValidationError(
                {
                    "update_channels_allowed": _(
                        'Give a list of "email" and "sms", each at most once.'
                    )
                }
            )

    def crime_reference_error(self, reference: str) -> "StrOrPromise | None":
        """Return why `reference` is not one of this force's crime references."""
        normalised = normalise_crime_reference(reference)
        if not normalised:
            return _("Enter a crime reference number.")
        if not re.fullmatch(self.crime_reference_pattern, normalised):
            return _(
                "Enter a crime reference number in this force's format, "
                "for example %(example)s."
            ) % {"example": self.crime_reference_example}
        return None


class SupportService(models.Model):
    """A local service that supports victims, offered by a force (Right 4)."""

    force = models.ForeignKey(
        Force, on_delete=models.CASCADE, related_name="support_services"
    )
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    url = models.URLField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Case(models.Model):
    force = models.ForeignKey(Force, on_delete=models.PROTECT, related_name="cases")
    crime_reference = models.CharField(
        _("crime reference number"),
        max_length=40,
        help_text=_("As the force writes it; spaces, slashes and dashes are kept."),
    )
    crime_reference_normalised = models.CharField(max_length=40, editable=False)
    offence_category = models.CharField(max_length=30, choices=OffenceCategory.choices)
    victim_description = models.CharField(
        _("description for victims"),
        max_length=200,
        help_text=_(
            "What the victim reported, in their terms, e.g. 'Burglary at home'."
        ),
    )
    stage = models.CharField(
        max_length=30, choices=Stage.choices, default=Stage.REPORTED, db_index=True
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    closing_reason = models.CharField(
        max_length=30, choices=ClosingReason.choices, blank=True
    )
    closing_explanation = models.TextField(
        blank=True, help_text=_("Why the case was closed, in plain words for victims.")
    )
    officer_in_charge = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases_in_charge",
    )
    suspect_interviewed = models.BooleanField(
        default=False,
        help_text=_("A suspect has been interviewed under caution (Right to Review)."),
    )
    reported_on = models.DateField(default=timezone.localdate)
    incident_on = models.DateField(
        _("date of the incident"),
        null=True,
        blank=True,
        help_text=_("When the crime happened, if known (Right to Review limits)."),
    )
    summary_only = models.BooleanField(
        _("summary-only offence"),
        default=False,
        help_text=_(
            "The offence can only be tried in a magistrates' court: a review must "
            "also be asked for within 6 months of the incident."
        ),
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    update_interval_days = models.PositiveSmallIntegerField(
        _("agreed update interval (days)"),
        default=28,
        help_text=_("How often the victims agreed to hear from the police."),
    )
    next_update_due = models.DateTimeField(null=True, blank=True, db_index=True)
    # Right 6: the interval the victims agreed online (the shortest, if several
    # did) and when; set only by cases.services.case_agree_updates. Staff may
    # change update_interval_days afterwards: audited, and shown as a difference.
    update_interval_agreed_days = models.PositiveSmallIntegerField(
        _("update interval the victims agreed (days)"), null=True, blank=True
    )
    update_interval_agreed_at = models.DateTimeField(null=True, blank=True)
    victims = models.ManyToManyField(
        "victims.Victim", through="victims.CaseVictim", related_name="cases"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-updated_at"]
        permissions = [
            ("view_code_compliance", "Can view Victims' Code compliance figures")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["force", "crime_reference_normalised"],
                name="case_unique_reference_per_force",
            ),
            models.CheckConstraint(
                condition=~Q(stage=Stage.CLOSED) | ~Q(closing_reason=""),
                name="case_closed_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(stage=Stage.OUTCOME) | ~Q(outcome=""),
                name="case_outcome_is_given",
            ),
        ]
        indexes = [
            models.Index(
                fields=["crime_reference_normalised"], name="case_reference_lookup"
            ),
            # Prefix search on PostgreSQL needs the pattern operator class.
            models.Index(
                fields=["force", "crime_reference_normalised"],
                opclasses=["int8_ops", "varchar_pattern_ops"],
                name="case_reference_prefix",
            ),
            models.Index(fields=["force", "stage"], name="case_force_stage"),
            models.Index(
                fields=["force", "-updated_at", "-id"], name="case_force_recent"
            ),
            # "My work" and the default case list: what is due soonest first.
            models.Index(
                fields=["force", "next_update_due", "id"], name="case_force_due"
            ),
            models.Index(
                fields=["officer_in_charge", "next_update_due", "id"],
                name="case_officer_due",
            ),
        ]

    def __str__(self) -> str:
        return self.crime_reference

    @property
    def is_closed(self) -> bool:
        return self.stage == Stage.CLOSED

    @property
    def is_overdue(self) -> bool:
        return (
            not self.is_closed
            and self.next_update_due is not None
            and self.next_update_due < timezone.now()
        )

    @property
    def update_interval_differs_from_agreed(self) -> bool:
        """Whether staff changed the interval after the victims agreed one."""
        return (
            self.update_interval_agreed_days is not None
            and self.update_interval_agreed_days != self.update_interval_days
        )

    @property
    def right_to_review_applies(self) -> bool:
        return (
            self.is_closed
            and self.suspect_interviewed
            and self.closing_reason in RIGHT_TO_REVIEW_REASONS
        )


class TimelineEntry(models.Model):
    """Something that happened in a case, and what the victims are told of it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    stage = models.CharField(
        max_length=30,
        choices=Stage.choices,
        blank=True,
        help_text=_("The stage the case moved to, for a stage change."),
    )
    victim_text = models.TextField(
        _("what the victim is told"), max_length=2000, blank=True
    )
    staff_note = models.TextField(_("note for staff only"), max_length=2000, blank=True)
    visible_to_victim = models.BooleanField(default=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    recorded_at = models.DateTimeField(default=timezone.now, db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_by_label = models.CharField(max_length=150, blank=True)
    code_deadline = models.DateTimeField(
        _("Victims' Code deadline"),
        null=True,
        blank=True,
        help_text=_("When victims must have been told of this, under Right 6."),
    )
    # A wrong entry is never deleted or rewritten: a supervisor adds a correction
    # that points at it (cases.services.timeline_entry_correct).
    corrects = models.OneToOneField(
        "self",
        # Deleting a case deletes both; an entry alone is never deleted.
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="correction",
        help_text=_("The entry this one corrects, for a correction."),
    )
    corrected_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When a supervisor corrected this entry as recorded wrongly."),
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        permissions = [
            ("correct_timelineentry", "Can correct a timeline entry recorded wrongly")
        ]
        indexes = [models.Index(fields=["case", "-occurred_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(visible_to_victim=True) | ~Q(victim_text=""),
                name="timeline_visible_entry_has_text",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.occurred_at:%d %b %Y}"


class CodeClock(models.Model):
    """One Victims' Code deadline in a case, and when the victims were really told.

    It runs from when the event happened. `told_at` is filled in by
    cases.compliance.code_clocks_settle from the messages that reached each victim and
    the portal pages they saw; recording the entry alone never fills it.
    """

    force = models.ForeignKey(Force, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="code_clocks")
    entry = models.OneToOneField(
        TimelineEntry,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="code_clock",
    )
    kind = models.CharField(max_length=30, choices=CodeClockKind.choices)
    stage = models.CharField(max_length=30, choices=Stage.choices, blank=True)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The officer in charge when the event was recorded."),
    )
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    deadline = models.DateTimeField()
    told_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("Set when a supervisor corrected the entry as recorded wrongly."),
    )

    class Meta:
        verbose_name = _("Victims' Code deadline")
        indexes = [
            models.Index(
                fields=["force", "occurred_at"],
                condition=Q(withdrawn_at__isnull=True),
                name="code_clock_force_period",
            ),
            # The late list (oldest deadline first) and the deadlines coming up.
            models.Index(
                fields=["force", "deadline"],
                condition=Q(withdrawn_at__isnull=True),
                name="code_clock_force_deadline",
            ),
            models.Index(fields=["told_at"], name="code_clock_told"),
            # The events not yet told, which the figures count live (the monthly
            # summary counts only those told).
            models.Index(
                fields=["force", "occurred_at"],
                condition=Q(told_at__isnull=True, withdrawn_at__isnull=True),
                name="code_clock_force_untold",
            ),
            models.Index(fields=["officer", "deadline"], name="code_clock_officer"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.deadline:%d %b %Y}"


class CodeComplianceMonth(models.Model):
    """How many of a month's Code events were told on time, and how many late, by
    force, kind, stage and officer: the told events only, whose figures no longer
    change with the clock.

    Kept by cases.compliance.code_compliance_months_recount, which counts a month
    again from its CodeClock rows whenever one of them is told, untold or withdrawn;
    the compliance page adds the events not yet told, counted live.
    """

    force = models.ForeignKey(Force, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text=_("The month's first day, UK time."))
    kind = models.CharField(max_length=30, choices=CodeClockKind.choices)
    stage = models.CharField(max_length=30, choices=Stage.choices, blank=True)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    on_time = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("Victims' Code figures for a month")
        indexes = [
            models.Index(fields=["force", "month"], name="code_month_force_month")
        ]

    def __str__(self) -> str:
        return f"{self.month:%B %Y}: {self.on_time} on time, {self.late} late"
