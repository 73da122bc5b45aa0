"""When the police write to a victim in the portal, the victim is told through the
outbox on their safe channels, with safe wording: the message's text never leaves
the portal, whatever details they asked for, and quiet hours apply as for updates."""

import datetime

import pytest
from django.utils import timezone

from conversations.services import message_send_by_staff, message_send_by_victim
from notifications.constants import MessageKind, NotificationStatus
from notifications.models import Notification
from notifications.policy import held_for_quiet_hours
from tests.portal import outbox_messages
from victims.constants import Channel, ContactPreference
from victims.models import Victim

pytestmark = pytest.mark.usefixtures("portal")

SECRET = "The suspect's name is Smith"


def _reply(case, victim_id, officer, callbacks, text=SECRET):
    with callbacks(execute=True):
        return message_send_by_staff(
            case=case, victim_id=victim_id, text=text, actor=officer, officer=officer
        )


def test_a_reply_tells_the_victim_on_each_safe_channel_without_its_text(
    portal, case, officer, victim_on_case, django_capture_on_commit_callbacks, settings
):
    settings.NOTIFICATIONS_QUIET_HOURS = None
    _reply(case, victim_on_case.victim_id, officer, django_capture_on_commit_callbacks)
    sent = outbox_messages(portal)
    assert sorted(m["channel"] for m in sent) == ["email", "sms"]
    for message in sent:
        text = message["subject"] + message["body"]
        assert "here is a new message about your report" in text
        assert "Sign in to read it" in text
        assert "Smith" not in text
        assert case.crime_reference not in text
        assert case.victim_description not in text
    rows = Notification.objects.filter(kind=MessageKind.NEW_MESSAGE)
    assert {r.status for r in rows} == {NotificationStatus.SENT}


def test_a_victim_who_asked_for_details_still_never_gets_the_text(
    portal, case, officer, victim_on_case, django_capture_on_commit_callbacks, settings
):
    settings.NOTIFICATIONS_QUIET_HOURS = None
    Victim.objects.filter(pk=victim_on_case.victim_id).update(
        detail_by_email=True, detail_by_sms=True
    )
    _reply(case, victim_on_case.victim_id, officer, django_capture_on_commit_callbacks)
    for message in outbox_messages(portal):
        assert "Smith" not in message["subject"] + message["body"]
        assert case.crime_reference not in message["subject"] + message["body"]


def test_a_discreet_victim_is_told_without_naming_the_service_or_police(
    portal, case, officer, victim_on_case, force, django_capture_on_commit_callbacks
):
    Victim.objects.filter(pk=victim_on_case.victim_id).update(
        discreet_messages=True, contact_preference=ContactPreference.EMAIL
    )
    _reply(case, victim_on_case.victim_id, officer, django_capture_on_commit_callbacks)
    [message] = outbox_messages(portal)
    text = (message["subject"] + message["body"]).lower()
    assert "you have a new message" in text
    for name in ("track my crime", force.name.lower(), "police", "report"):
        assert name not in text


def test_a_victim_with_no_safe_channel_is_not_contacted(
    portal, case, officer, victim_on_case, django_capture_on_commit_callbacks
):
    Victim.objects.filter(pk=victim_on_case.victim_id).update(
        contact_preference=ContactPreference.NONE
    )
    _reply(case, victim_on_case.victim_id, officer, django_capture_on_commit_callbacks)
    assert outbox_messages(portal) == []
    assert not Notification.objects.exists()


def test_a_text_message_waits_for_the_end_of_quiet_hours(settings):
    settings.NOTIFICATIONS_QUIET_HOURS = (datetime.time(21), datetime.time(8))
    night = timezone.make_aware(datetime.datetime(2026, 11, 24, 23, 0))
    assert held_for_quiet_hours(MessageKind.NEW_MESSAGE, Channel.SMS, night)
    assert held_for_quiet_hours(MessageKind.NEW_MESSAGE, Channel.EMAIL, night) is None


def test_two_replies_before_the_first_news_leaves_make_one_message(
    case, officer, victim_on_case, django_capture_on_commit_callbacks, settings
):
    settings.NOTIFICATIONS_QUIET_HOURS = None
    Victim.objects.filter(pk=victim_on_case.victim_id).update(
        contact_preference=ContactPreference.EMAIL
    )
    for text in ("First reply.", "Second reply."):
        message_send_by_staff(
            case=case,
            victim_id=victim_on_case.victim_id,
            text=text,
            actor=officer,
            officer=officer,
        )
    assert Notification.objects.filter(kind=MessageKind.NEW_MESSAGE).count() == 1


def test_a_victims_own_message_tells_nobody_by_the_outbox(
    portal, victim_on_case, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message_send_by_victim(link=victim_on_case, text="A question.")
    assert outbox_messages(portal) == []


def test_news_of_a_message_is_cancelled_if_the_victim_leaves_the_case(
    case, officer, victim_on_case, django_capture_on_commit_callbacks, settings
):
    from notifications.services import notification_send

    settings.NOTIFICATIONS_QUIET_HOURS = None
    message_send_by_staff(
        case=case,
        victim_id=victim_on_case.victim_id,
        text="Reply.",
        actor=officer,
        officer=officer,
    )
    victim_on_case.delete()
    first = Notification.objects.order_by("pk").first()
    assert notification_send(notification_id=first.pk) == "cancelled"
    assert set(Notification.objects.values_list("status", flat=True)) == {
        NotificationStatus.CANCELLED
    }


def test_failed_news_of_a_message_can_be_sent_again_by_staff(
    case, officer, victim_on_case, settings
):
    from notifications.models import FailedNotification
    from notifications.staff_actions import notification_resend

    settings.NOTIFICATIONS_QUIET_HOURS = None
    Victim.objects.filter(pk=victim_on_case.victim_id).update(
        contact_preference=ContactPreference.EMAIL
    )
    message_send_by_staff(
        case=case,
        victim_id=victim_on_case.victim_id,
        text="Reply.",
        actor=officer,
        officer=officer,
    )
    Notification.objects.update(status=NotificationStatus.PERMANENT_FAILURE)
    [failed] = FailedNotification.objects.all()
    resend = notification_resend(notification=failed, actor=officer)
    assert resend.kind == MessageKind.NEW_MESSAGE
    assert resend.resend_of_id == failed.pk
