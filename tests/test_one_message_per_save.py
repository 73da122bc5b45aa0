"""Changes made to a case together, in one back-office save or one API request, tell
each victim once on each safe channel; every change is still counted as told, and
staff are told who hears of it."""

import datetime
import json
import zoneinfo

import pytest
from django.db import transaction
from django.utils import timezone

from cases.compliance import code_clocks_settle
from cases.models import CodeClock
from cases.services import case_add_update, case_change_stage
from notifications.constants import NotificationStatus
from notifications.models import Notification
from tests.factories import CaseVictimFactory
from tests.test_admin_case_changes import _case_form
from victims.constants import ContactPreference

pytestmark = pytest.mark.usefixtures("celery_eager")

LONDON = zoneinfo.ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def daytime(time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 24, 11, 0, tzinfo=LONDON))


def _outbox(outbox_dir) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(outbox_dir.glob("*.json"))]


def test_a_stage_change_and_an_update_in_one_save_send_each_victim_one_message(
    officer_client, case, outbox_dir, django_capture_on_commit_callbacks
):
    CaseVictimFactory(case=case, victim__contact_preference=ContactPreference.EMAIL)
    CaseVictimFactory(
        case=case, victim__contact_preference=ContactPreference.EMAIL_AND_SMS
    )
    data = _case_form(
        case,
        stage="suspect_arrested",
        stage_message="A man was arrested.",
        **{
            "timeline-TOTAL_FORMS": "1",
            "timeline-0-victim_text": "He is being interviewed.",
            "timeline-0-staff_note": "",
            "timeline-0-visible_to_victim": "on",
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = officer_client.post(
            f"/admin/cases/case/{case.pk}/change/", data, follow=True
        )
    assert response.status_code == 200
    sent = _outbox(outbox_dir)
    # Two victims: one by email, one by email and text message.
    assert sorted(message["channel"] for message in sent) == ["email", "email", "sms"]
    notices = [str(message) for message in response.context["messages"]]
    assert "2 victims will be told, each once, by email and text message." in notices
    # Each change keeps its own row: told with the one message.
    assert Notification.objects.filter(status=NotificationStatus.MERGED).count() == 3


def test_a_victim_who_asked_for_details_reads_both_changes_in_one_message(
    case, officer, outbox_dir, django_capture_on_commit_callbacks
):
    CaseVictimFactory(
        case=case,
        victim__contact_preference=ContactPreference.EMAIL,
        victim__detail_by_email=True,
    )
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        case_change_stage(
            case=case, stage="charged", actor=officer, victim_text="He was charged."
        )
        case_add_update(case=case, actor=officer, victim_text="Court is in March.")
    [message] = _outbox(outbox_dir)
    body = message["body"]
    assert body.index("He was charged.") < body.index("Court is in March.")


def test_changes_saved_apart_are_told_apart(
    case, officer, outbox_dir, django_capture_on_commit_callbacks
):
    CaseVictimFactory(case=case, victim__contact_preference=ContactPreference.EMAIL)
    with django_capture_on_commit_callbacks(execute=True):
        case_add_update(case=case, actor=officer, victim_text="First.")
    with django_capture_on_commit_callbacks(execute=True):
        case_add_update(case=case, actor=officer, victim_text="Second.")
    assert len(_outbox(outbox_dir)) == 2


def test_a_change_told_with_another_counts_as_told_when_that_one_is_sent(case, officer):
    CaseVictimFactory(case=case, victim__contact_preference=ContactPreference.EMAIL)
    with transaction.atomic():
        case_add_update(case=case, actor=officer, victim_text="CCTV collected.")
        arrest = case_change_stage(
            case=case,
            stage="suspect_arrested",
            actor=officer,
            occurred_at=timezone.now(),
        )
    merged = Notification.objects.get(entry=arrest)
    assert merged.status == NotificationStatus.MERGED
    code_clocks_settle()
    assert CodeClock.objects.get(entry=arrest).told_at is None
    Notification.objects.filter(pk=merged.merged_into_id).update(
        status=NotificationStatus.SENT, sent_at=timezone.now(), provider_id="p-1"
    )
    code_clocks_settle()
    assert CodeClock.objects.get(entry=arrest).told_at is not None


def test_staff_are_told_when_nobody_hears_of_a_change(officer_client, case):
    CaseVictimFactory(case=case, victim__contact_preference=ContactPreference.NONE)
    response = officer_client.post(
        f"/admin/cases/case/{case.pk}/change/",
        _case_form(case, stage="under_investigation"),
        follow=True,
    )
    notices = [str(message) for message in response.context["messages"]]
    assert any("none has a channel they said is safe" in n for n in notices)
