"""The records system reads a case's conversations and posts an officer's reply,
under the back office's rules: same validation, same notifications, same audit,
and nothing of another force's."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from conversations.models import Conversation, Message
from conversations.services import conversation_pause, message_send_by_victim
from notifications.constants import MessageKind
from notifications.models import Notification
from tests.factories import CaseVictimFactory, StaffFactory

LIST = "/api/v1/cases/NS0000126/conversations"
REPLY = "/api/v1/cases/NS0000126/conversations/P-1/messages"


@pytest.fixture
def link(case):
    return CaseVictimFactory(case=case, victim__external_reference="P-1")


@pytest.fixture
def asked(link):
    return message_send_by_victim(link=link, text="Any news?")


def test_it_reads_each_victims_conversation_oldest_first(api, asked, link, case):
    other = CaseVictimFactory(case=case, victim__external_reference="P-2")
    message_send_by_victim(link=other, text="Second victim")
    body = api.get(LIST).json()
    assert [c["victim_reference"] for c in body["results"]] == ["P-1", "P-2"]
    [message] = body["results"][0]["messages"]
    assert message["text"] == "Any news?"
    assert message["author"] == "victim"
    assert message["reply_due_at"] and message["answered_at"] is None


def test_reading_is_audited_per_message(api, asked, records_system):
    api.get(LIST)
    event = AuditEvent.objects.get(object_type="message", action="view")
    assert event.actor_kind == "api_client"
    assert event.object_id == str(asked.pk)


def test_the_list_makes_a_fixed_number_of_queries(api, asked, link, case):
    api.get(LIST)
    with CaptureQueriesContext(connection) as few:
        api.get(LIST)
    for number in range(3):
        message_send_by_victim(
            link=CaseVictimFactory(case=case, victim__external_reference=f"Q-{number}"),
            text="More",
        )
    with CaptureQueriesContext(connection) as more:
        api.get(LIST)
    # The new messages are marked read, once, in one more query.
    assert len(more) == len(few) + 1
    with CaptureQueriesContext(connection) as again:
        api.get(LIST)
    assert len(again) == len(few)


def test_a_reply_signed_by_an_officer_answers_and_tells_the_victim(api, asked, force):
    StaffFactory(
        force=force, username="jevans", rank="PC", first_name="Jo", last_name="Evans"
    )
    response = api.post(
        REPLY,
        {"text": "We have the CCTV.", "officer_username": "jevans"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["author"] == "PC Jo Evans"
    asked.refresh_from_db()
    assert asked.answered_at is not None
    assert Notification.objects.filter(kind=MessageKind.NEW_MESSAGE).exists()
    event = AuditEvent.objects.get(
        object_type="message", action="create", actor_kind="api_client"
    )
    assert "CCTV" not in str(event.detail)


def test_a_reply_without_an_officer_is_signed_by_the_force(api, asked, force):
    response = api.post(REPLY, {"text": "Thank you."}, format="json")
    assert response.status_code == 201
    assert response.json()["author"] == force.name


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001, "bell\x07"])
def test_a_reply_the_back_office_would_refuse_is_refused(api, asked, text):
    response = api.post(REPLY, {"text": text}, format="json")
    assert response.status_code == 400
    assert Message.objects.count() == 1


def test_an_officer_of_another_force_cannot_be_named(api, asked, other_officer):
    response = api.post(
        REPLY, {"text": "Hi", "officer_username": other_officer.username}, format="json"
    )
    assert response.status_code == 400
    assert Message.objects.count() == 1


def test_a_paused_conversation_takes_no_reply(api, asked, link, officer):
    conversation_pause(
        case=link.case, victim_id=link.victim_id, actor=officer, reason="Safeguarding"
    )
    assert api.post(REPLY, {"text": "Hi"}, format="json").status_code == 400
    assert Message.objects.count() == 1


def test_an_unknown_victim_or_case_is_not_found(api, asked):
    assert (
        api.post(
            "/api/v1/cases/NS0000126/conversations/NOPE/messages",
            {"text": "Hi"},
            format="json",
        ).status_code
        == 404
    )
    assert api.get("/api/v1/cases/NS9999926/conversations").status_code == 404


def test_another_forces_records_system_sees_and_writes_nothing(other_api, asked):
    assert other_api.get(LIST).status_code == 404
    assert other_api.post(REPLY, {"text": "Hi"}, format="json").status_code == 404
    assert Message.objects.count() == 1
    assert Conversation.objects.count() == 1


def test_the_endpoints_are_in_the_published_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    assert "/api/v1/cases/{crime_reference}/conversations" in schema["paths"]
    reply = schema["paths"][
        "/api/v1/cases/{crime_reference}/conversations/{victim_reference}/messages"
    ]
    assert reply["post"]["operationId"] == "conversation_reply"
