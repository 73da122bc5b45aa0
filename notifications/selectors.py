"""Reads about messages to victims."""

from collections.abc import Iterable

from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.models import TimelineEntry
from notifications.models import Notification
from victims.constants import Channel
from victims.models import CaseVictim


def told_summary(*, case_id: int, entries: Iterable[TimelineEntry]) -> str:
    """Say, for staff, who will be told of these changes to a case and how, or why
    nobody will."""
    entries = list(entries)
    if not entries:
        return ""
    if not any(entry.visible_to_victim for entry in entries):
        return _("No victim is told: this change is for staff only.")
    rows = Notification.objects.filter(entry__in=entries).values_list(
        "victim_id", "channel"
    )
    victims = {victim_id for victim_id, _channel in rows}
    if not victims:
        if not CaseVictim.objects.filter(case_id=case_id).exists():
            return _("No victim is told: the case has no victims yet.")
        return _(
            "No victim is told by message: none has a channel they said is safe. "
            "They see the update when they sign in."
        )
    channels = [
        str(label) for value, label in Channel.choices if value in {c for _v, c in rows}
    ]
    return ngettext(
        "%(count)d victim will be told, by %(channels)s.",
        "%(count)d victims will be told, each once, by %(channels)s.",
        len(victims),
    ) % {"count": len(victims), "channels": get_text_list(channels, _("and")).lower()}
