"""Messages to victims in the back office: on the case page, sent again by staff,
and the supervisors' list of failures, each inside the member of staff's force."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.constants import AuditAction
from audit.models import AuditEvent
from cases.services import case_add_update
from notifications.constants import NotificationStatus
from notifications.models import Notification
from tests.factories import (
    CaseFactory,
    CaseVictimFactory,
    StaffFactory,
    verified_staff_client,
)
from victims.constants import ContactPreference

pytestmark = pytest.mark.usefixtures("celery_eager")

# Session, staff member, device, permissions, one page of messages with their case
# and victim joined in, and the admin's own look-ups: never one per message.
FAILED_LIST_QUERIES = 7
MESSAGE_LIST_QUERIES = 7


def _messages(case, officer, count=1, preference=ContactPreference.EMAIL):
    for _ in range(count):
        CaseVictimFactory(case=case, victim__contact_preference=preference)
    case_add_update(case=case, actor=officer, victim_text="We have CCTV.")
    return list(Notification.objects.filter(case=case).order_by("pk"))


def _fail(notification, status=NotificationStatus.PERMANENT_FAILURE):
    Notification.objects.filter(pk=notification.pk).update(
        status=status,
        attempts=1,
        finished_at=timezone.now(),
        last_error="Notify refused the message (400).",
    )
    notification.refresh_from_db()
    return notification


@pytest.fixture
def supervisor_client(supervisor):
    return verified_staff_client(Client(), supervisor)


@pytest.fixture
def outsider_client(other_officer):
    return verified_staff_client(Client(), other_officer)


def test_the_case_page_shows_its_messages_and_their_status(
    officer_client, officer, case
):
    [message] = _messages(case, officer)
    _fail(message)
    response = officer_client.get(f"/admin/cases/case/{case.pk}/change/")
    content = response.content.decode()
    assert "Messages to victims" in content
    assert message.victim.full_name in content
    assert "Failed: address or number not valid" in content
    assert f"/admin/notifications/notification/{message.pk}/resend/" in content


def test_the_case_page_runs_the_same_queries_for_1_or_20_messages(
    officer_client, officer, case
):
    def queries_for_case_page() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = officer_client.get(f"/admin/cases/case/{case.pk}/change/")
        assert response.status_code == 200
        return len(queries)

    _messages(case, officer)
    queries_for_case_page()  # fills per-process caches (content types) once
    one = queries_for_case_page()
    for _ in range(19):
        case_add_update(case=case, actor=officer, victim_text="Another update.")
    assert Notification.objects.filter(case=case).count() == 20
    assert queries_for_case_page() == one


def test_a_case_form_posted_without_the_messages_still_saves(
    officer_client, officer, case
):
    from tests.test_admin_case_changes import _case_form

    _messages(case, officer)
    response = officer_client.post(
        f"/admin/cases/case/{case.pk}/change/",
        _case_form(case, victim_description="Burglary of your shed"),
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.victim_description == "Burglary of your shed"


def test_staff_can_send_a_failed_message_again_as_a_new_audited_message(
    officer_client, officer, case, outbox_dir, django_capture_on_commit_callbacks
):
    [message] = _messages(case, officer)
    _fail(message)
    url = f"/admin/notifications/notification/{message.pk}/resend/"

    page = officer_client.get(url)
    assert page.status_code == 200
    assert message.victim.email not in page.content.decode()  # masked
    with django_capture_on_commit_callbacks(execute=True):
        response = officer_client.post(url)

    assert response.status_code == 302
    assert response["Location"] == f"/admin/cases/case/{case.pk}/change/"
    resend = Notification.objects.get(resend_of=message)
    assert resend.requested_by == officer
    assert resend.status == NotificationStatus.SENT
    assert len(list(outbox_dir.glob("*.json"))) == 1
    message.refresh_from_db()
    assert message.dealt_with_at is not None
    created = AuditEvent.objects.get(
        action=AuditAction.CREATE, object_type="notification"
    )
    assert created.object_id == str(resend.pk)
    assert created.actor_label == officer.username
    assert created.detail == {"resend_of": message.pk, "channel": "email"}


def test_a_message_that_did_not_fail_cannot_be_sent_again(
    officer_client, officer, case
):
    [message] = _messages(case, officer)
    officer_client.post(f"/admin/notifications/notification/{message.pk}/resend/")
    assert not Notification.objects.filter(resend_of=message).exists()


def test_a_failed_message_is_sent_again_only_once(officer_client, officer, case):
    [message] = _messages(case, officer)
    _fail(message)
    url = f"/admin/notifications/notification/{message.pk}/resend/"
    officer_client.post(url)
    officer_client.post(url)
    assert Notification.objects.filter(resend_of=message).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(
            force_id=message.force_id,
            case_id=message.case_id,
            victim_id=message.victim_id,
            entry_id=message.entry_id,
            channel=message.channel,
            resend_of=message,
        )


def test_a_message_is_not_sent_again_on_a_channel_the_victim_withdrew(
    officer_client, officer, case
):
    [message] = _messages(case, officer)
    _fail(message)
    message.victim.contact_preference = ContactPreference.NONE
    message.victim.save()
    response = officer_client.post(
        f"/admin/notifications/notification/{message.pk}/resend/", follow=True
    )
    assert "no longer allows this channel" in response.content.decode()
    assert not Notification.objects.filter(resend_of=message).exists()


def test_another_forces_staff_cannot_send_a_message_again(
    outsider_client, officer, case
):
    [message] = _messages(case, officer)
    _fail(message)
    url = f"/admin/notifications/notification/{message.pk}/resend/"
    assert outsider_client.get(url).status_code == 404
    assert outsider_client.post(url).status_code == 404
    assert not Notification.objects.filter(resend_of=message).exists()


def test_staff_without_the_permission_cannot_send_a_message_again(
    client, force, officer, case
):
    [message] = _messages(case, officer)
    _fail(message)
    clerk = StaffFactory(force=force, username="clerk")  # no group at all
    verified_staff_client(client, clerk)
    response = client.post(f"/admin/notifications/notification/{message.pk}/resend/")
    assert response.status_code == 403
    assert not Notification.objects.filter(resend_of=message).exists()


def test_the_failed_list_shows_only_the_forces_failures_no_one_dealt_with(
    supervisor_client, officer, case, other_force, other_officer
):
    failed, sent, dealt_with = _messages(case, officer, count=3)
    _fail(failed)
    _fail(dealt_with, NotificationStatus.TECHNICAL_FAILURE)
    Notification.objects.filter(pk=dealt_with.pk).update(dealt_with_at=timezone.now())
    foreign_case = CaseFactory(force=other_force)
    [foreign] = _messages(foreign_case, other_officer)
    _fail(foreign)

    response = supervisor_client.get("/admin/notifications/failednotification/")

    assert response.status_code == 200
    assert [n.pk for n in response.context["cl"].result_list] == [failed.pk]


def test_an_officer_cannot_open_the_failed_list(officer_client):
    response = officer_client.get("/admin/notifications/failednotification/")
    assert response.status_code == 403


def test_the_failed_list_runs_the_same_queries_for_3_or_30_failures(
    supervisor_client, officer, force
):
    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = supervisor_client.get("/admin/notifications/failednotification/")
        assert response.status_code == 200
        return len(queries)

    for _ in range(3):
        [message] = _messages(CaseFactory(force=force), officer)
        _fail(message)
    few = queries_for_list()
    for _ in range(27):
        [message] = _messages(CaseFactory(force=force), officer)
        _fail(message)
    assert queries_for_list() == few == FAILED_LIST_QUERIES


def test_the_message_list_runs_the_same_queries_for_3_or_30_messages(
    officer_client, officer, force
):
    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = officer_client.get("/admin/notifications/notification/")
        assert response.status_code == 200
        return len(queries)

    for _ in range(3):
        _messages(CaseFactory(force=force), officer)
    few = queries_for_list()
    for _ in range(27):
        _messages(CaseFactory(force=force), officer)
    assert queries_for_list() == few == MESSAGE_LIST_QUERIES


def test_supervisors_send_failed_messages_again_from_the_list(
    supervisor_client, supervisor, officer, case
):
    messages = _messages(case, officer, count=2)
    for message in messages:
        _fail(message)
    supervisor_client.post(
        "/admin/notifications/failednotification/",
        {"action": "resend_selected", "_selected_action": [m.pk for m in messages]},
    )
    assert Notification.objects.filter(resend_of__in=messages).count() == 2
    assert set(
        Notification.objects.filter(resend_of__in=messages).values_list(
            "requested_by", flat=True
        )
    ) == {supervisor.pk}


def test_supervisors_mark_a_failure_dealt_with_and_it_is_audited(
    supervisor_client, supervisor, officer, case
):
    [message] = _messages(case, officer)
    _fail(message)
    supervisor_client.post(
        "/admin/notifications/failednotification/",
        {"action": "mark_dealt_with", "_selected_action": [message.pk]},
    )
    message.refresh_from_db()
    assert message.dealt_with_by == supervisor
    change = AuditEvent.objects.get(
        action=AuditAction.CHANGE, object_type="notification"
    )
    assert change.changed_fields == ["dealt_with_at"]
    assert change.actor_label == supervisor.username


def test_the_case_list_can_show_only_cases_with_a_failed_message(
    officer_client, officer, force
):
    failing, fine = CaseFactory(force=force), CaseFactory(force=force)
    [message] = _messages(failing, officer)
    _fail(message)
    _messages(fine, officer)

    response = officer_client.get("/admin/cases/case/", {"messages": "failed"})

    assert [c.pk for c in response.context["cl"].result_list] == [failing.pk]


def test_another_forces_staff_see_none_of_the_forces_messages(
    outsider_client, officer, case
):
    [message] = _messages(case, officer)
    _fail(message)

    listed = outsider_client.get("/admin/notifications/notification/")
    assert list(listed.context["cl"].result_list) == []
    opened = outsider_client.get(
        f"/admin/notifications/notification/{message.pk}/change/"
    )
    assert opened.status_code == 302
    assert not AuditEvent.objects.filter(case_id=case.pk, action=AuditAction.VIEW)


def test_opening_a_message_is_audited_as_a_view(officer_client, officer, case):
    [message] = _messages(case, officer)
    officer_client.get(f"/admin/notifications/notification/{message.pk}/change/")
    viewed = AuditEvent.objects.get(action=AuditAction.VIEW, object_type="notification")
    assert viewed.object_id == str(message.pk)
    assert viewed.case_id == case.pk
