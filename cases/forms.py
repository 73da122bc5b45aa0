from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.constants import Stage, stage_move_is_backward
from cases.models import Case, Force, TimelineEntry
from cases.services import (
    correction_errors,
    crime_reference_error,
    occurred_at_errors,
    stage_change_errors,
    stage_change_victim_text,
    update_errors,
)

DATETIME_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def _now_to_the_minute() -> str:
    return timezone.localtime().strftime(DATETIME_LOCAL_FORMAT)


class CaseAdminForm(forms.ModelForm):
    """The case page in the back office. A change of stage is told to the victims,
    so it carries what they will read."""

    stage_message = forms.CharField(
        label=_("What the victims are told about the change of stage"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Leave empty to tell them only the new stage's name."),
    )
    occurred_at = forms.DateTimeField(
        label=_("When the change of stage happened"),
        required=False,
        initial=_now_to_the_minute,
        input_formats=[DATETIME_LOCAL_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(
            format=DATETIME_LOCAL_FORMAT, attrs={"type": "datetime-local"}
        ),
        help_text=_(
            "UK time. The Victims' Code deadline runs from this moment, not from "
            "when it is typed in. Not in the future, nor before the case was reported."
        ),
    )

    confirm_backward_move = forms.BooleanField(
        label=_("Yes, move the case back to this stage and tell the victims"),
        required=False,
        help_text=_(
            "Needed only when the case goes back a stage or is reopened. Check what "
            "the victims are told above: it stays on their timeline."
        ),
    )

    force: Force | None = None  # the staff member's force, set by the admin

    class Meta:
        model = Case
        fields = [
            "crime_reference",
            "offence_category",
            "victim_description",
            "officer_in_charge",
            "reported_on",
            "incident_on",
            "summary_only",
            "update_interval_days",
            "stage",
            "stage_message",
            "occurred_at",
            "confirm_backward_move",
            "outcome",
            "closing_reason",
            "closing_explanation",
        ]

    def _case_force(self) -> Force | None:
        return self.instance.force if self.instance.pk else self.force

    def clean_crime_reference(self) -> str:
        reference = self.cleaned_data["crime_reference"].strip()
        force = self._case_force()
        if force is None:
            raise forms.ValidationError(_("You are not a member of any force."))
        error = crime_reference_error(
            force=force, reference=reference, case_id=self.instance.pk
        )
        if error:
            raise forms.ValidationError(error)
        return reference

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        stage = cleaned.get("stage")
        initial_stage = self.instance.stage if self.instance.pk else Stage.REPORTED
        if self.instance.pk and stage and stage != initial_stage:
            errors = stage_change_errors(
                current=initial_stage,
                stage=stage,
                outcome=cleaned.get("outcome") or "",
                closing_reason=cleaned.get("closing_reason") or "",
            )
            errors.update(
                occurred_at_errors(
                    reported_on=cleaned.get("reported_on") or self.instance.reported_on,
                    occurred_at=cleaned.get("occurred_at"),
                )
            )
            if (
                not errors
                and stage_move_is_backward(initial_stage, stage)
                and not cleaned.get("confirm_backward_move")
            ):
                errors["confirm_backward_move"] = [
                    _(
                        "This moves the case back from '%(current)s' to '%(new)s'. "
                        'The victims will be told: "%(text)s" Reword that above '
                        "if it would mislead them, then confirm and save again."
                    )
                    % {
                        "current": Stage(initial_stage).label,
                        "new": Stage(stage).label,
                        "text": cleaned.get("stage_message")
                        or stage_change_victim_text(stage=stage),
                    }
                ]
            for field, messages in errors.items():
                self.add_error(field if field in self.fields else None, messages)
        elif not self.instance.pk and stage and stage != Stage.REPORTED:
            self.add_error("stage", _("A new case starts at 'Reported'."))
        elif self.instance.pk:
            for field in ("outcome", "closing_reason"):
                if field in self.changed_data:
                    self.add_error(
                        field, _("This changes only with a change of stage.")
                    )
        return cleaned


class TimelineUpdateForm(forms.ModelForm):
    class Meta:
        model = TimelineEntry
        fields = ["victim_text", "staff_note", "visible_to_victim"]
        widgets = {
            "victim_text": forms.Textarea(attrs={"rows": 2}),
            "staff_note": forms.Textarea(attrs={"rows": 2}),
        }

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        errors = update_errors(
            victim_text=cleaned.get("victim_text") or "",
            staff_note=cleaned.get("staff_note") or "",
            visible_to_victim=bool(cleaned.get("visible_to_victim")),
        )
        for field, messages in errors.items():
            self.add_error(field, messages)
        return cleaned


class TimelineCorrectionForm(forms.Form):
    """A supervisor's correction of a timeline entry recorded wrongly."""

    victim_text = forms.CharField(
        label=_("What the victims are told"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "It appears on their timeline after the wrong entry, which stays there "
            "marked as corrected."
        ),
    )
    reason = forms.CharField(
        label=_("What was wrong, for staff"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, entry: TimelineEntry, **kwargs):
        super().__init__(*args, **kwargs)
        self.entry = entry
        if not entry.visible_to_victim:
            del self.fields["victim_text"]

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        errors = correction_errors(
            entry=self.entry,
            victim_text=cleaned.get("victim_text") or "",
            reason=cleaned.get("reason") or "",
        )
        for field, messages in errors.items():
            self.add_error(field if field in self.fields else None, messages)
        return cleaned


class NamedFieldsInlineFormSet(BaseInlineFormSet):
    """An admin inline whose fields each have an accessible name.

    A tabular inline shows a field's label only as its column's header, which does
    not name the field for a screen reader (axe: `label`); each field is named here
    instead, the delete box by what it removes."""

    def clean(self):
        super().clean()
        # A row the page showed that is no longer there: removed by someone else
        # since the page was opened (a stale form), or an id that was never one.
        if any(form.instance.pk is None for form in self.initial_forms):
            raise ValidationError(
                _(
                    "This list has changed since the page was opened. Reload the "
                    "page and make the change again."
                ),
                code="stale",
            )

    def add_fields(self, form, index):
        super().add_fields(form, index)
        for name, field in form.fields.items():
            if field.widget.is_hidden or "aria-label" in field.widget.attrs:
                continue
            if name == "DELETE":
                label = (
                    _("Remove %(what)s") % {"what": form.instance}
                    if form.instance.pk
                    else _("Remove this row")
                )
            else:
                label = field.label or name
            field.widget.attrs["aria-label"] = str(label)
