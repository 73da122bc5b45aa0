from typing import TYPE_CHECKING

from django import forms
from django.utils.translation import gettext_lazy as _

from rights.constants import REFUSALS, TEXT_MAX_LENGTH, ReplyChannel
from rights.services import RequestRefused, reply_channels_for, request_text_clean
from victims.models import Victim

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class RequestForm(forms.Form):
    """The victim's own words and how they want to hear back: the rules are the
    service's (request_text_clean, reply_channels_for), so the page and the API
    refuse the same things."""

    text = forms.CharField(
        required=False,
        strip=False,
        # Longer than the limit, so that an over-long answer gets our error.
        max_length=TEXT_MAX_LENGTH * 4,
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    reply_channel = forms.ChoiceField(
        label=_("How would you like to hear back from us?"),
        choices=(),
        required=False,
    )
    text_label: "StrOrPromise" = ""
    text_hint: "StrOrPromise" = ""

    def __init__(self, *args, victim: Victim, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].label = self.text_label
        self.fields["text"].help_text = self.text_hint
        self.fields["reply_channel"].choices = [  # type: ignore[attr-defined]
            (value, ReplyChannel(value).label) for value in reply_channels_for(victim)
        ]

    def clean_text(self) -> str:
        try:
            return request_text_clean(self.cleaned_data.get("text") or "")
        except RequestRefused as error:
            raise forms.ValidationError(error.messages[0]) from None

    def clean_reply_channel(self) -> str:
        value = self.cleaned_data.get("reply_channel")
        if not value:
            raise forms.ValidationError(str(REFUSALS["reply_channel"]))
        return value


class ReviewForm(RequestForm):
    text_label = _("Why do you disagree with the decision?")
    text_hint = _(
        "Tell us in your own words. You do not need to use legal terms. Up to "
        "5,000 characters."
    )


class ComplaintForm(RequestForm):
    text_label = _("What is your complaint about?")
    text_hint = _(
        "Tell us what happened and what you would like us to do. Up to 5,000 "
        "characters."
    )
