from django.db import models
from django.utils.translation import gettext_lazy as _

from trackmycrime.languages import lazy_filled
from trackmycrime.rate_limits import RateLimit

# Plain text only; the length a victim (or an officer) may write at once.
MESSAGE_MAX_LENGTH = 2000
# What one victim may send in a day: plenty for a conversation, too few to flood an
# officer's inbox.
VICTIM_MESSAGE_LIMITS = (
    RateLimit(counter="victim_message", scope="victim", hits=20, seconds=24 * 3600),
)


class AuthorKind(models.TextChoices):
    """Who wrote a message: the victim, a named member of staff, or the force (a
    reply from the records system that names no officer)."""

    VICTIM = "victim", _("Victim")
    STAFF = "staff", _("Member of staff")
    FORCE = "force", _("The force")


class SendBlock(models.TextChoices):
    """Why a victim cannot write at the moment."""

    PAUSED = "paused", _("Paused")
    CLOSED = "closed", _("Closed past the period for messages")
    RATE_LIMITED = "rate_limited", _("Too many messages today")


MESSAGE_ERRORS = {
    "empty": _("Enter your message."),
    "too_long": lazy_filled(
        _("Your message must be %(limit)s characters or fewer."),
        limit=MESSAGE_MAX_LENGTH,
    ),
    "control": _(
        "Your message contains characters that cannot be sent. Remove them and try "
        "again."
    ),
}
RATE_LIMITED_MESSAGE = _(
    "You have sent a lot of messages today, so you cannot send another one until "
    "tomorrow. Your messages have reached us. If you need to speak to someone sooner, "
    "use the other ways to contact us below. In an emergency, call 999."
)
