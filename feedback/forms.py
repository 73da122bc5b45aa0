import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from feedback.constants import (
    AGREEMENT_CHOICES,
    IMPROVE_MAX_LENGTH,
    IMPROVE_QUESTION,
    SATISFACTION_CHOICES,
    Question,
    Wave,
)

# Something that looks like markup: a tag, a comment or an entity-encoded tag.
_MARKUP = re.compile(r"<\s*[a-zA-Z/!?]|&lt;|&#", re.IGNORECASE)


def _scale(question: Question, choices) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=question.label,
        choices=choices,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose one of the answers")},
    )


class FeedbackForm(forms.Form):
    """The survey: every question optional, at least one answered."""

    wave = forms.ChoiceField(choices=Wave.choices, widget=forms.HiddenInput)
    overall = _scale(Question.OVERALL, SATISFACTION_CHOICES)
    informed = _scale(Question.INFORMED, AGREEMENT_CHOICES)
    fairness = _scale(Question.FAIRNESS, AGREEMENT_CHOICES)
    contact = _scale(Question.CONTACT, AGREEMENT_CHOICES)
    improve = forms.CharField(
        label=IMPROVE_QUESTION,
        required=False,
        # Checked in clean_improve, to give the GOV.UK wording; the browser's own
        # limit would cut the text silently.
        strip=True,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def clean_improve(self) -> str:
        text = self.cleaned_data["improve"]
        if len(text) > IMPROVE_MAX_LENGTH:
            raise ValidationError(
                _("Your answer must be %(limit)s characters or fewer")
                % {"limit": f"{IMPROVE_MAX_LENGTH:,}"}
            )
        if _MARKUP.search(text):
            raise ValidationError(
                _(
                    "Your answer must not include web page code, such as < followed "
                    "by a letter. Write it in plain words"
                )
            )
        return text

    def clean(self) -> dict:
        data = super().clean() or {}
        answered = [data.get(name) for name in Question.values] + [data.get("improve")]
        if not self.errors and not any(answer for answer in answered):
            raise ValidationError(
                _("Answer at least one question, or choose 'No thanks'"),
                code="empty",
            )
        return data
