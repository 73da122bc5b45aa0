"""Reads about messages to victims."""

import datetime
from collections.abc import Iterable

from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.models import TimelineEntry
from notifications.constants import (
    FAILED_STATUSES,
    UNFINISHED_STATUSES,
    MessageKind,
    NotificationStatus,
)
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


def notifications_unfinished_counts() -> dict[tuple[str, str], int]:
    """Count, by (status, kind), the messages still to send or being sent and the
    failures nobody has dealt with: the rows the partial indexes hold, so that the
    count stays cheap however many messages were ever sent."""
    rows = (
        Notification.objects.filter(
            Q(status__in=sorted(UNFINISHED_STATUSES))
            | Q(status__in=sorted(FAILED_STATUSES), dealt_with_at__isnull=True)
        )
        .order_by()
        .values_list("status", "kind")
        .annotate(count=Count("pk"))
    )
    counts: dict[tuple[str, str], int] = {
        (str(status), kind): 0
        for status in (*sorted(UNFINISHED_STATUSES), *sorted(FAILED_STATUSES))
        for kind in MessageKind.values
    }
    counts.update({(status, kind): count for status, kind, count in rows})
    return counts


def notifications_recent_counts(*, hours: int = 24) -> dict[str, int]:
    """Count by status the messages written in the last `hours` (on the created_at
    index): what became of a day's messages, sent, delivered, failed or cancelled."""
    since = timezone.now() - datetime.timedelta(hours=hours)
    rows = (
        Notification.objects.filter(created_at__gte=since)
        .order_by()
        .values_list("status")
        .annotate(count=Count("pk"))
    )
    counts = dict.fromkeys(NotificationStatus.values, 0)
    counts.update(dict(rows))
    return counts


def notifications_oldest_due() -> dict[str, datetime.datetime | None]:
    """When the longest-waiting message of each kind that is due to go became due
    (None if none waits): the sweep keeps that time when it hands a message over
    again, so a backlog's age shows."""
    rows = (
        Notification.objects.filter(
            status=NotificationStatus.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by()
        .values_list("kind")
        .annotate(due=Min("next_attempt_at"))
    )
    oldest: dict[str, datetime.datetime | None] = dict.fromkeys(MessageKind.values)
    oldest.update(dict(rows))
    return oldest
