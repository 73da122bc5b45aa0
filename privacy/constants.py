from django.db import models
from django.utils.translation import gettext_lazy as _

# What a victim's name becomes once their personal data is erased.
ANONYMISED_NAME = "Anonymised victim"
# What a name, email address or phone number found in free text becomes.
REMOVED = "[removed]"
# Why a victim's message still waiting when their data was erased needs no reply.
ERASED_NO_REPLY = "The victim's data was erased."


class ErasureReason(models.TextChoices):
    """Why a victim's personal data was erased. A choice, never free text, so that the
    record of an erasure cannot itself hold the personal data it removed."""

    RETENTION_EXPIRED = "retention_expired", _("Kept for as long as the rules allow")
    VICTIM_ASKED = "victim_asked", _("The victim asked for it to be erased")
    NO_LONGER_NEEDED = "no_longer_needed", _("No longer needed to keep them informed")
    RECORDED_IN_ERROR = "recorded_in_error", _("Recorded in error")
    SAFEGUARDING = "safeguarding", _("Safeguarding")


# What staff may choose when erasing on request (expiry is for the daily job).
REQUEST_REASONS = [
    choice for choice in ErasureReason.choices if choice[0] != "retention_expired"
]
