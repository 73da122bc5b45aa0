"""A signed-in victim writes to the police about their case on the "Messages" page,
and reads the replies: their own conversation only, plain text only, with a clear
answer when a message cannot be sent."""

import datetime

import pytest
from django.utils import timezone

from audit.batched import views_batched
from audit.models import AuditEvent
from cases.constants import ClosingReason, Stage
from cases.services import case_change_stage
from conversations.constants import MESSAGE_MAX_LENGTH
from conversations.models import Conversation, Message
from conversations.services import (
    MessageRefused,
    conversation_pause,
    message_send_by_staff,
    message_send_by_victim,
)
from tests.factories import CaseVictimFactory, StaffFactory
from tests.portal import sign_in, views_written

pytestmark = pytest.mark.usefixtures("portal")

REFERENCE = "NS/00001/26"
EMAIL = "victim@example.com"
URL = "/messages/"
# Made afresh (after a new message): the session, the victim's link to the case and
# the conversation with its messages (one query); the rate-limit count is in the
# cache. Marking replies read adds one the first time only. Shown again from the
# cache: the session only. Each view's audit rows add one insert where views are
# written in the request (no Redis); with Redis they are queued (audit/batched.py).
MESSAGES_PAGE_QUERIES = 3
MESSAGES_PAGE_CACHED_QUERIES = 1


def _audit_queries() -> int:
    return 0 if views_batched() else 1


@pytest.fixture
def victim_client(client, django_capture_on_commit_callbacks, portal, victim_on_case):
    sign_in(client, django_capture_on_commit_callbacks, portal, REFERENCE, EMAIL)
    return client


@pytest.fixture
def officer_in_charge(case, force):
    officer = StaffFactory(
        force=force, first_name="Jo", last_name="Evans", rank="PC", username="jevans"
    )
    case.officer_in_charge = officer
    case.save()
    return officer


def _page(client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def test_a_victim_writes_and_sees_their_message_as_from_you(
    victim_client, victim_on_case
):
    response = victim_client.post(URL, {"text": "Has anyone looked at the CCTV?"})
    assert response.status_code == 303
    html = _page(victim_client)
    assert "Your message has been sent" in html
    assert "Has anyone looked at the CCTV?" in html
    assert ">\n              You\n" in html or "You" in html
    message = Message.objects.get()
    assert message.conversation.victim_id == victim_on_case.victim_id
    assert message.reply_due_at is not None


def test_the_conversation_is_oldest_first_with_the_officers_rank_and_name(
    victim_client, victim_on_case, officer_in_charge, case
):
    message_send_by_victim(link=victim_on_case, text="First from me.")
    message_send_by_staff(
        case=case,
        victim_id=victim_on_case.victim_id,
        text="Reply from the officer.",
        actor=officer_in_charge,
        officer=officer_in_charge,
    )
    message_send_by_staff(
        case=case,
        victim_id=victim_on_case.victim_id,
        text="Reply from the records system.",
        actor=officer_in_charge,
        officer=None,
    )
    html = _page(victim_client)
    first, reply, force_reply = (
        html.index("First from me."),
        html.index("Reply from the officer."),
        html.index("Reply from the records system."),
    )
    assert first < reply < force_reply
    assert "PC Jo Evans" in html
    assert html.count("Northshire Police") >= 1


def test_before_sending_it_says_who_reads_it_when_to_expect_a_reply_and_999(
    victim_client, officer_in_charge, force
):
    force.message_reply_working_days = 3
    force.save()
    html = _page(victim_client)
    assert "PC Jo Evans" in html
    assert "within 3 working days" in html
    assert "call 999" in html
    assert "Exit this page" in html


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "Enter your message."),
        ("   \n\t ", "Enter your message."),
        ("x" * (MESSAGE_MAX_LENGTH + 1), "must be 2,000 characters or fewer"),
        ("hello\x07there", "characters that cannot be sent"),
        ("bidi \u202e trick", "characters that cannot be sent"),
    ],
)
def test_a_message_that_cannot_be_sent_gets_a_clear_error_and_nothing_is_written(
    victim_client, text, error
):
    response = victim_client.post(URL, {"text": text})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert "There is a problem" in response.content.decode()
    assert not Message.objects.exists()
    assert not AuditEvent.objects.filter(object_type="message").exists()


def test_a_message_of_exactly_2000_characters_with_newlines_is_accepted(
    victim_client,
):
    text = ("line\r\n" * 400)[:MESSAGE_MAX_LENGTH]
    assert victim_client.post(URL, {"text": text}).status_code == 303
    assert "\r" not in Message.objects.get().text


def test_markup_in_a_message_is_shown_as_text_never_run(
    victim_client, victim_on_case, officer_in_charge, case
):
    victim_client.post(URL, {"text": "<script>alert(1)</script><b>bold</b>"})
    message_send_by_staff(
        case=case,
        victim_id=victim_on_case.victim_id,
        text="<img src=x onerror=alert(2)>",
        actor=officer_in_charge,
        officer=officer_in_charge,
    )
    html = _page(victim_client)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html


def test_a_victim_never_sees_another_victims_conversation_on_the_same_case(
    client, django_capture_on_commit_callbacks, portal, victim_on_case, case, officer
):
    other = CaseVictimFactory(case=case, victim__email="other@example.com")
    message_send_by_victim(link=victim_on_case, text="First victim's worry.")
    message_send_by_staff(
        case=case,
        victim_id=victim_on_case.victim_id,
        text="Private reply to the first victim.",
        actor=officer,
        officer=officer,
    )
    sign_in(
        client,
        django_capture_on_commit_callbacks,
        portal,
        REFERENCE,
        other.victim.email,
    )
    html = _page(client)
    assert "worry" not in html
    assert "Private reply" not in html
    assert "There are no messages yet." in html
    client.post(URL, {"text": "Second victim's question."})
    assert Conversation.objects.count() == 2
    assert (
        Message.objects.get(text="Second victim's question.").conversation.victim_id
        == other.victim_id
    )


def test_someone_not_signed_in_is_sent_to_sign_in_and_cannot_post(client, case):
    assert client.get(URL)["Location"] == "/sign-in/"
    assert client.post(URL, {"text": "hello"})["Location"] == "/sign-in/"
    assert not Message.objects.exists()


def test_posting_without_the_csrf_token_is_refused(victim_client):
    import re

    victim_client.handler.enforce_csrf_checks = True
    assert victim_client.post(URL, {"text": "hello"}).status_code == 403
    assert not Message.objects.exists()
    token = re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', _page(victim_client)
    )
    response = victim_client.post(
        URL, {"text": "hello", "csrfmiddlewaretoken": token.group(1)}
    )
    assert response.status_code == 303


def test_a_victim_whose_portal_access_is_turned_off_is_signed_out_and_cannot_send(
    victim_client, victim_on_case
):
    victim = victim_on_case.victim
    victim.portal_access_allowed = False
    victim.save()
    response = victim_client.post(URL, {"text": "hello"})
    assert response["Location"] == "/sign-in/"
    assert not Message.objects.exists()


def test_a_case_closed_past_the_forces_period_cannot_be_written_to_and_says_why(
    victim_client, case, officer, force
):
    force.contact_text = "Call 101 and ask for the Northshire victims unit."
    force.save()
    case_change_stage(
        case=case,
        stage=Stage.CLOSED,
        actor=officer,
        closing_reason=ClosingReason.NO_SUSPECT,
        closing_explanation="No suspect found.",
    )
    case.refresh_from_db()
    case.closed_at = timezone.now() - datetime.timedelta(days=29)
    case.save()
    html = _page(victim_client)
    assert "You can no longer send messages here" in html
    assert "Call 101 and ask for the Northshire victims unit." in html
    assert "<textarea" not in html
    response = victim_client.post(URL, {"text": "hello"})
    assert response.status_code == 200
    assert "You cannot send a message at the moment." in response.content.decode()
    assert not Message.objects.exists()


def test_a_case_closed_recently_can_still_be_written_to(victim_client, case, officer):
    case_change_stage(
        case=case,
        stage=Stage.CLOSED,
        actor=officer,
        closing_reason=ClosingReason.NO_SUSPECT,
        closing_explanation="No suspect found.",
    )
    assert victim_client.post(URL, {"text": "Thank you."}).status_code == 303


def test_a_paused_conversation_shows_only_a_neutral_message(
    victim_client, victim_on_case, officer
):
    message_send_by_victim(link=victim_on_case, text="Something private.")
    conversation_pause(
        case=victim_on_case.case,
        victim_id=victim_on_case.victim_id,
        actor=officer,
        reason="Suspect may have the phone",
    )
    html = _page(victim_client)
    assert "Messages are not available here at the moment." in html
    assert "Something private." not in html
    assert "Suspect" not in html
    assert "safeguarding" not in html.lower()
    assert "<textarea" not in html
    victim_client.post(URL, {"text": "hello"})
    assert Message.objects.count() == 1


def test_a_victim_can_send_20_messages_a_day_then_is_told_calmly(
    victim_client, victim_on_case
):
    for number in range(20):
        assert victim_client.post(URL, {"text": f"Message {number}"}).status_code == 303
    response = victim_client.post(URL, {"text": "One too many"})
    assert response.status_code == 429
    assert "You have sent a lot of messages today" in response.content.decode()
    assert Message.objects.count() == 20
    assert "<textarea" not in _page(victim_client)


def test_writing_and_reading_are_audited_without_the_text(
    victim_client, victim_on_case, officer_in_charge, case
):
    victim_client.post(URL, {"text": "A secret worry."})
    message_send_by_staff(
        case=case,
        victim_id=victim_on_case.victim_id,
        text="A careful reply.",
        actor=officer_in_charge,
        officer=officer_in_charge,
    )
    _page(victim_client)
    views_written()
    written = AuditEvent.objects.filter(object_type="message", action="create")
    assert [(e.actor_kind, e.case_id) for e in written.order_by("id")] == [
        ("victim", case.pk),
        ("staff", case.pk),
    ]
    read = AuditEvent.objects.filter(
        object_type="message", action="view", actor_kind="victim"
    )
    assert read.count() >= 2
    for event in AuditEvent.objects.filter(object_type="message"):
        assert event.detail["victim_id"] == victim_on_case.victim_id
        assert "secret" not in str(event.detail)
        assert "careful" not in str(event.detail)


def test_reading_a_reply_marks_it_read(
    victim_client, victim_on_case, officer_in_charge, case
):
    reply = message_send_by_staff(
        case=case,
        victim_id=victim_on_case.victim_id,
        text="Reply.",
        actor=officer_in_charge,
        officer=officer_in_charge,
    )
    _page(victim_client)
    reply.refresh_from_db()
    assert reply.read_by_victim_at is not None


def test_the_page_is_linked_from_the_case_page_and_the_navigation(victim_client):
    html = victim_client.get("/case/").content.decode()
    assert html.count('href="/messages/"') >= 2


def test_the_messages_page_makes_a_fixed_number_of_queries(
    victim_client, victim_on_case, officer_in_charge, case, django_assert_num_queries
):
    for number in range(3):
        message_send_by_victim(link=victim_on_case, text=f"Question {number}")
        message_send_by_staff(
            case=case,
            victim_id=victim_on_case.victim_id,
            text=f"Answer {number}",
            actor=officer_in_charge,
            officer=officer_in_charge,
        )
    _page(victim_client)  # marks the replies read
    with django_assert_num_queries(MESSAGES_PAGE_CACHED_QUERIES + _audit_queries()):
        _page(victim_client)
    for number in range(5):
        message_send_by_victim(link=victim_on_case, text=f"More {number}")
    with django_assert_num_queries(MESSAGES_PAGE_QUERIES + _audit_queries()):
        _page(victim_client)
    with django_assert_num_queries(MESSAGES_PAGE_CACHED_QUERIES + _audit_queries()):
        _page(victim_client)


def test_the_service_refuses_what_the_page_refuses(victim_on_case):
    with pytest.raises(MessageRefused) as refused:
        message_send_by_victim(link=victim_on_case, text="   ")
    assert refused.value.code == "empty"
    assert not Message.objects.exists()
