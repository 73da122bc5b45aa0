from django import forms
from django.utils.translation import gettext_lazy as _

from conversations.constants import MESSAGE_MAX_LENGTH
from conversations.services import MessageRefused, message_text_clean


class MessageForm(forms.Form):
    """One plain-text message; the rules are the service's (message_text_clean)."""

    text = forms.CharField(
        label=_("Your message"),
        required=False,
        strip=False,
        # Longer than the limit, so that an over-long message gets our error.
        max_length=MESSAGE_MAX_LENGTH * 4,
        widget=forms.Textarea(attrs={"rows": 8}),
    )

    def clean_text(self) -> str:
        try:
            return message_text_clean(self.cleaned_data.get("text") or "")
        except MessageRefused as error:
            raise forms.ValidationError(error.messages[0]) from None


class NoReplyForm(forms.Form):
    reason = forms.CharField(label=_("Why it needs no reply"), max_length=300)


class PauseForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the conversation is paused (staff only)"), max_length=300
    )
