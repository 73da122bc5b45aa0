"""Officers answer victims' messages in the back office: each case's conversations,
an inbox of messages waiting for a reply (oldest first, with the deadline), one form
to reply or write first, "needs no reply", a safeguarding pause, and "My work"
showing what is unread. Another force's officer gets nowhere."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from cases.services import case_update
from conversations.models import Conversation, Message
from conversations.services import message_send_by_victim
from notifications.constants import MessageKind
from notifications.models import Notification
from tests.factories import (
    CaseFactory,
    CaseVictimFactory,
    StaffFactory,
    verified_staff_client,
)


@pytest.fixture
def mine(case, officer, victim_on_case):
    case.officer_in_charge = officer
    case.save()
    return victim_on_case


def _thread(case, victim_id) -> str:
    return f"/admin/conversations/conversation/case/{case.pk}/victim/{victim_id}/"


INBOX = "/admin/conversations/conversation/inbox/"


def _ask(link, text="When will I hear back?", days_ago=0):
    message = message_send_by_victim(link=link, text=text)
    if days_ago:
        Message.objects.filter(pk=message.pk).update(
            sent_at=message.sent_at - datetime.timedelta(days=days_ago),
            reply_due_at=message.reply_due_at - datetime.timedelta(days=days_ago),
        )
    return message


def test_an_officer_reads_a_victims_message_and_replies_in_one_form(
    officer_client, mine, case, officer
):
    asked = _ask(mine, "<b>Is anyone there?</b>")
    page = officer_client.get(_thread(case, mine.victim_id)).content.decode()
    assert "&lt;b&gt;Is anyone there?&lt;/b&gt;" in page
    assert "Waiting for a reply" in page
    asked.refresh_from_db()
    assert asked.read_by_staff_at is not None
    response = officer_client.post(
        _thread(case, mine.victim_id), {"action": "reply", "text": "Yes, I am here."}
    )
    assert response.status_code == 303
    reply = Message.objects.get(text="Yes, I am here.")
    assert reply.author == officer
    assert reply.author_label == officer.display_name
    asked.refresh_from_db()
    assert asked.answered_at is not None and asked.answered_by == officer
    assert Notification.objects.filter(
        kind=MessageKind.NEW_MESSAGE, victim_id=mine.victim_id
    ).exists()


def test_an_empty_reply_gets_an_error_and_nothing_is_written(
    officer_client, mine, case
):
    response = officer_client.post(
        _thread(case, mine.victim_id), {"action": "reply", "text": "   "}
    )
    assert response.status_code == 200
    assert "Enter your message." in response.content.decode()
    assert not Message.objects.exists()


def test_an_officer_can_write_first_to_a_victim(officer_client, mine, case):
    page = officer_client.get(_thread(case, mine.victim_id)).content.decode()
    assert "Write to the victim" in page
    officer_client.post(
        _thread(case, mine.victim_id),
        {"action": "reply", "text": "I am your new officer."},
    )
    assert Conversation.objects.get().victim_id == mine.victim_id
    assert Message.objects.get().author_kind == "staff"


def test_a_message_can_be_marked_as_needing_no_reply_with_a_reason(
    officer_client, mine, case
):
    asked = _ask(mine, "Thank you!")
    response = officer_client.post(
        _thread(case, mine.victim_id),
        {"action": "no_reply", "message_id": asked.pk, "reason": "A thank-you"},
    )
    assert response.status_code == 303
    asked.refresh_from_db()
    assert asked.answered_at is not None
    assert asked.no_reply_reason == "A thank-you"
    assert (
        "Needs no reply"
        in officer_client.get(_thread(case, mine.victim_id)).content.decode()
    )
    assert AuditEvent.objects.filter(
        object_type="message", action="change", object_id=str(asked.pk)
    ).exists()


def test_needing_no_reply_needs_a_reason(officer_client, mine, case):
    asked = _ask(mine)
    officer_client.post(
        _thread(case, mine.victim_id),
        {"action": "no_reply", "message_id": asked.pk, "reason": ""},
    )
    asked.refresh_from_db()
    assert asked.answered_at is None


def test_pausing_stops_replies_until_resumed(officer_client, mine, case):
    url = _thread(case, mine.victim_id)
    officer_client.post(url, {"action": "pause", "reason": "Suspect has the phone"})
    conversation = Conversation.objects.get()
    assert conversation.is_paused
    assert "Suspect has the phone" in officer_client.get(url).content.decode()
    officer_client.post(url, {"action": "reply", "text": "Hello"})
    assert not Message.objects.exists()
    officer_client.post(url, {"action": "resume"})
    conversation.refresh_from_db()
    assert not conversation.is_paused
    assert AuditEvent.objects.filter(object_type="conversation").count() == 2


def test_the_inbox_lists_waiting_messages_oldest_first_with_the_deadline(
    officer_client, mine, case, force, officer
):
    other_case = CaseFactory(
        force=force, officer_in_charge=officer, crime_reference="NS/00002/26"
    )
    other_link = CaseVictimFactory(case=other_case)
    _ask(other_link, days_ago=1)
    _ask(mine, days_ago=5)
    answered = _ask(mine)
    Message.objects.filter(pk=answered.pk).update(answered_at=timezone.now())
    page = officer_client.get(INBOX).content.decode()
    assert page.index("NS/00001/26") < page.index("NS/00002/26")
    assert "2 messages waiting for a reply" in page
    assert "(overdue)" in page


def test_the_inbox_makes_a_fixed_number_of_queries(
    officer_client, mine, case, force, officer
):
    _ask(mine)
    officer_client.get(INBOX)
    with CaptureQueriesContext(connection) as few:
        officer_client.get(INBOX)
    for number in range(5):
        link = CaseVictimFactory(
            case=CaseFactory(force=force, officer_in_charge=officer)
        )
        _ask(link, days_ago=number)
    with CaptureQueriesContext(connection) as more:
        page = officer_client.get(INBOX).content.decode()
    assert page.count("(unread)") == 6
    assert len(more) == len(few) == INBOX_QUERIES


# The session, the user, their second factor, their permissions (user and group),
# then the first page of waiting messages (with case, officer, conversation and
# victim) and the counts.
INBOX_QUERIES = 7


def test_the_force_wide_inbox_makes_the_same_number_of_queries(
    client, supervisor, force, officer, django_assert_num_queries
):
    verified_staff_client(client, supervisor)
    for number in range(3):
        link = CaseVictimFactory(
            case=CaseFactory(force=force, officer_in_charge=officer)
        )
        _ask(link, days_ago=number)
    client.get(INBOX + "?all=1")
    with django_assert_num_queries(INBOX_QUERIES):
        page = client.get(INBOX + "?all=1").content.decode()
    assert "3 messages waiting for a reply" in page


def test_open_conversations_move_with_the_case_to_a_new_officer(
    client, mine, case, force, officer
):
    _ask(mine, "Before the change.")
    newcomer = StaffFactory(force=force, username="newcomer", group="Officer")
    case_update(case=case, actor=officer, changes={"officer_in_charge": newcomer})
    verified_staff_client(client, newcomer)
    assert "NS/00001/26" in client.get(INBOX).content.decode()
    assert (
        "Before the change."
        in client.get(_thread(case, mine.victim_id)).content.decode()
    )


def test_my_work_shows_unread_messages(officer_client, mine):
    _ask(mine)
    _ask(mine)
    page = officer_client.get("/admin/").content.decode()
    assert "2 unread messages from victims on your cases" in page
    assert "NS/00001/26" in page.split("Messages from victims")[1]


def test_the_case_page_links_to_each_victims_conversation(officer_client, mine, case):
    _ask(mine)
    page = officer_client.get(f"/admin/cases/case/{case.pk}/change/").content.decode()
    assert _thread(case, mine.victim_id) in page
    assert "1 waiting" in page


def test_another_forces_officer_can_neither_read_nor_reply(
    client, other_officer, mine, case
):
    _ask(mine, "Private to Northshire.")
    verified_staff_client(client, other_officer)
    url = _thread(case, mine.victim_id)
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "reply", "text": "Hi"}).status_code == 404
    assert "Private" not in client.get(INBOX).content.decode()
    assert "NS/00001/26" not in client.get("/admin/").content.decode()
    assert Message.objects.count() == 1


def test_a_victim_who_is_not_on_the_case_has_no_conversation_page(
    officer_client, case, force
):
    stranger = CaseVictimFactory(case=CaseFactory(force=force))
    assert officer_client.get(_thread(case, stranger.victim_id)).status_code == 404


def test_staff_reading_a_conversation_is_audited_without_the_text(
    officer_client, mine, case, officer
):
    asked = _ask(mine, "My secret.")
    officer_client.get(_thread(case, mine.victim_id))
    event = AuditEvent.objects.get(
        object_type="message", action="view", actor_kind="staff"
    )
    assert event.object_id == str(asked.pk)
    assert event.case_id == case.pk
    assert event.actor_id == str(officer.pk)
    assert event.detail == {"victim_id": mine.victim_id}
