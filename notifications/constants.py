from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationStatus(models.TextChoices):
    """Where a message to a victim is. Only PENDING rows are ever sent."""

    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    PERMANENT_FAILURE = "permanent_failure", _("Failed: address or number not valid")
    TECHNICAL_FAILURE = "technical_failure", _("Failed: could not be sent")
    CANCELLED = "cancelled", _("Not sent: no longer allowed")
    MERGED = "merged", _("Told in another message")


# Failures that staff must deal with (resend, or tell the victim another way).
FAILED_STATUSES = frozenset(
    {NotificationStatus.PERMANENT_FAILURE, NotificationStatus.TECHNICAL_FAILURE}
)
# Rows the sweep looks after.
UNFINISHED_STATUSES = frozenset(
    {NotificationStatus.PENDING, NotificationStatus.SENDING}
)


class MessageKind(models.TextChoices):
    """Why a message is sent: an update on the case, a sign-in code, or a new
    message from the police waiting in the portal (whose text never leaves it)."""

    UPDATE = "update", _("Update")
    SIGN_IN_CODE = "sign_in_code", _("Sign-in code")
    FEEDBACK_INVITATION = "feedback_invitation", _("Invitation to give feedback")
    NEW_MESSAGE = "new_message", _("New message in the portal")
    REQUEST_UPDATE = "request_update", _("News of a request the victim made")


# Messages about a case that staff may send again from the failed list.
CASE_MESSAGE_KINDS = frozenset(
    {MessageKind.UPDATE, MessageKind.NEW_MESSAGE, MessageKind.REQUEST_UPDATE}
)
# Messages written for a known victim on a case: they wait for quiet hours, go only
# to the victim's safe channels (checked again as they are claimed), and are looked
# up at the provider before a retry sends them again.
TO_A_VICTIM_ON_A_CASE = CASE_MESSAGE_KINDS | {MessageKind.FEEDBACK_INVITATION}


class MessageTemplate(models.TextChoices):
    """What a message says. The plain update carries no case details at all; the
    detailed one only goes to a victim who asked for details on that channel; the
    discreet ones name neither the service nor the police."""

    UPDATE = "update", _("Update, no details")
    UPDATE_DETAIL = "update_detail", _("Update with case details")
    SIGN_IN_CODE = "sign_in_code", _("Sign-in code")
    DISCREET_UPDATE = "discreet_update", _("Update naming neither service nor police")
    DISCREET_SIGN_IN_CODE = "discreet_sign_in_code", _("Code naming nothing")
    INVITATION = "invitation", _("Invitation to give feedback")
    DISCREET_INVITATION = "discreet_invitation", _("Invitation naming nothing")
    NEW_MESSAGE = "new_message", _("New message, no details")
    DISCREET_NEW_MESSAGE = (
        "discreet_new_message",
        _("New message naming neither service nor police"),
    )
