"""Personal data does not outlive its purpose: the daily job anonymises victims whose
cases closed long enough ago, is safe to run twice and audits each run once; staff
with the erase permission can do the same early, with a reason."""

import datetime

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import connection
from django.utils import timezone

from accounts.constants import StaffGroup
from audit.constants import AuditAction
from audit.models import AuditEvent
from cases.constants import ClosingReason, Stage
from cases.services import case_add_update, case_change_stage
from privacy.constants import ANONYMISED_NAME, ErasureReason
from privacy.models import VictimErasure
from privacy.services import retention_run, victim_erase
from tests.factories import (
    CaseFactory,
    CaseVictimFactory,
    StaffFactory,
    verified_staff_client,
)
from tests.portal import sign_in
from trackmycrime.celery import app as celery_app
from trackmycrime.testing import require_postgres
from victims.constants import ContactPreference
from victims.models import SignInAttempt, Victim

NAME = "Zebedee Quartermaine"
EMAIL = "zebedee.q@example.org"
MOBILE = "+447700900123"
REFERENCE = "NS/00001/26"
PORTAL_EMAIL = "victim@example.com"  # victim_on_case's


@pytest.fixture
def victim_link(case):
    return CaseVictimFactory(
        case=case, victim__full_name=NAME, victim__email=EMAIL, victim__mobile=MOBILE
    )


def _close(case, officer, *, note=""):
    case_change_stage(
        case=case,
        stage=Stage.CLOSED,
        actor=officer,
        closing_reason=ClosingReason.NFA_EVIDENTIAL,
        closing_explanation="There is not enough evidence.",
        staff_note=note,
    )


def _days_later(days):
    return timezone.now() + datetime.timedelta(days=days)


def _runs():
    return AuditEvent.objects.filter(
        action=AuditAction.ERASE, object_type="retention_run"
    )


def test_it_anonymises_a_victim_a_year_after_their_case_closed(
    victim_link, officer, case
):
    case_add_update(
        case=case,
        actor=officer,
        victim_text="We spoke to you today.",
        staff_note=f"Called {NAME} on 07700 900123, left a message.",
    )
    _close(case, officer)
    victim = victim_link.victim

    assert retention_run(now=_days_later(364))["victims_anonymised"] == 0
    victim.refresh_from_db()
    assert victim.full_name == NAME

    counts = retention_run(now=_days_later(366))
    victim.refresh_from_db()
    assert counts["victims_anonymised"] == 1
    assert counts["timeline_texts_scrubbed"] == 1
    assert victim.full_name == ANONYMISED_NAME
    assert (victim.email, str(victim.mobile)) == ("", "")
    assert victim.contact_preference == ContactPreference.NONE
    assert not victim.portal_access_allowed
    note = case.timeline.get(victim_text="We spoke to you today.").staff_note
    assert NAME not in note and "900123" not in note
    assert VictimErasure.objects.get(victim=victim).reason == "retention_expired"


def test_it_keeps_the_coarse_facts_the_figures_need(victim_link, officer, case):
    victim = victim_link.victim
    victim.enhanced_rights = True
    victim.enhanced_rights_reason = "vulnerable"
    victim.save()
    _close(case, officer)
    entries = case.timeline.count()
    retention_run(now=_days_later(400))
    victim.refresh_from_db()
    assert victim.enhanced_rights and victim.cases.get() == case
    assert case.timeline.count() == entries
    assert victim.notifications.count() > 0  # when and how they were told


def _conversation(link, officer, *, closed_case=None):
    """The victim writes (naming themself), the officer replies, the victim writes
    again (still waiting)."""
    from conversations.services import message_send_by_staff, message_send_by_victim

    message_send_by_victim(link=link, text=f"This is {NAME}, ring {EMAIL} please.")
    message_send_by_staff(
        case=link.case,
        victim_id=link.victim_id,
        text=f"Hello {NAME}, I will call you.",
        actor=officer,
        officer=officer,
    )
    message_send_by_victim(link=link, text="Thank you.")


def test_the_job_erases_the_conversations_text_and_keeps_its_clock(
    victim_link, officer, case, django_capture_on_commit_callbacks
):
    from conversations.models import Conversation, Message

    with django_capture_on_commit_callbacks(execute=True):
        _conversation(victim_link, officer)
    Conversation.objects.update(pause_reason=f"{NAME}'s partner has the phone")
    _close(case, officer)
    assert retention_run(now=_days_later(364))["conversation_messages_erased"] == 0
    assert Message.objects.filter(text__contains=NAME).count() == 2

    counts = retention_run(now=_days_later(366))
    assert counts["conversation_messages_erased"] == 3
    texts = set(Message.objects.values_list("text", flat=True))
    assert texts == {"[removed]"}
    assert Conversation.objects.get().pause_reason == ""
    # When each was sent, due and answered stays for the reply clock; the one
    # still waiting needs no reply any more.
    assert Message.objects.filter(reply_due_at__isnull=False).count() == 2
    assert not Message.objects.filter(
        author_kind="victim", answered_at__isnull=True
    ).exists()
    assert Message.objects.count() == 3


def test_erasing_on_request_erases_the_conversation_too(
    victim_link, officer, supervisor, case, django_capture_on_commit_callbacks
):
    from conversations.models import Message

    with django_capture_on_commit_callbacks(execute=True):
        _conversation(victim_link, officer)
    other = CaseVictimFactory(case=case, victim__full_name="Another Person")
    with django_capture_on_commit_callbacks(execute=True):
        from conversations.services import message_send_by_victim

        message_send_by_victim(link=other, text="Mine stays.")
    victim_erase(
        victim=victim_link.victim, reason=ErasureReason.VICTIM_ASKED, actor=supervisor
    )
    assert not Message.objects.filter(text__contains=NAME).exists()
    assert Message.objects.filter(text="Mine stays.").exists()
    event = AuditEvent.objects.get(action="erase", object_type="victim")
    assert event.detail["conversation_messages_erased"] == 3


def test_a_victim_on_a_case_still_open_is_kept(victim_link, officer, force):
    closed = CaseFactory(force=force, crime_reference="NS/00002/26")
    CaseVictimFactory(case=closed, victim=victim_link.victim)
    _close(closed, officer)
    assert retention_run(now=_days_later(800))["victims_anonymised"] == 0
    victim_link.victim.refresh_from_db()
    assert victim_link.victim.full_name == NAME


def test_running_twice_changes_nothing_more_and_audits_each_run_once(
    victim_link, officer, case
):
    _close(case, officer)
    first = retention_run(now=_days_later(366))
    second = retention_run(now=_days_later(366))
    assert first["victims_anonymised"] == 1
    assert second["victims_anonymised"] == 0
    runs = list(_runs().order_by("id"))
    assert len(runs) == 2
    assert runs[0].detail == first and runs[1].detail == second
    assert runs[0].actor_kind == "system"


def test_it_deletes_old_sign_in_records_and_message_bodies(
    client, django_capture_on_commit_callbacks, portal, victim_on_case, settings
):
    sign_in(client, django_capture_on_commit_callbacks, portal, REFERENCE, PORTAL_EMAIL)
    assert SignInAttempt.objects.exists()
    assert list(portal.glob("*.json"))
    tomorrow = retention_run(
        now=_days_later(settings.RETENTION_SIGN_IN_RECORD_DAYS)
        + datetime.timedelta(days=1)
    )
    assert tomorrow["sign_in_attempts_deleted"] == 1
    assert not SignInAttempt.objects.exists()
    with time_machine.travel(_days_later(settings.RETENTION_MESSAGE_BODY_DAYS + 1)):
        counts = retention_run()
    assert counts["outbox_files_deleted"] >= 1
    assert not list(portal.glob("*.json"))


def test_the_daily_job_is_scheduled_with_celery_beat():
    schedule = celery_app.conf.beat_schedule["privacy-retention-run"]
    assert schedule["task"] == "privacy.tasks.retention_run"
    assert schedule["schedule"].hour == {3}


def test_the_task_runs_the_job(victim_link, officer, case):
    from privacy.tasks import retention_run as task

    _close(case, officer)
    with time_machine.travel(_days_later(366)):
        assert task.apply().get()["victims_anonymised"] == 1


# Erasure on request, in the back office.


@pytest.fixture
def supervisor_client(client, supervisor):
    return verified_staff_client(client, supervisor)


def test_a_supervisor_erases_a_victim_on_request_with_a_reason(
    supervisor_client, supervisor, victim_link
):
    victim = victim_link.victim
    response = supervisor_client.post(
        "/admin/privacy/victimerasure/add/",
        {"victim": victim.pk, "reason": ErasureReason.VICTIM_ASKED},
    )
    assert response.status_code == 302
    victim.refresh_from_db()
    assert victim.full_name == ANONYMISED_NAME and victim.email == ""
    erasure = VictimErasure.objects.get(victim=victim)
    assert erasure.erased_by == supervisor
    event = AuditEvent.objects.get(action=AuditAction.ERASE, object_type="victim")
    assert event.actor_label == supervisor.username
    assert event.detail["reason"] == "victim_asked"
    assert event.object_id == str(victim.pk)


def test_erasing_again_does_nothing(victim_link, supervisor):
    victim = victim_link.victim
    assert victim_erase(victim=victim, reason="victim_asked", actor=supervisor)
    assert not victim_erase(victim=victim, reason="victim_asked", actor=supervisor)
    assert AuditEvent.objects.filter(action=AuditAction.ERASE).count() == 1


def test_an_officer_without_the_permission_cannot_erase(officer_client, victim_link):
    response = officer_client.post(
        "/admin/privacy/victimerasure/add/",
        {"victim": victim_link.victim.pk, "reason": ErasureReason.VICTIM_ASKED},
    )
    assert response.status_code == 403
    assert not VictimErasure.objects.exists()


def test_staff_cannot_erase_another_forces_victim(client, other_force, victim_link):
    outsider = StaffFactory(
        force=other_force, username="out-sup", group=StaffGroup.SUPERVISOR
    )
    assert outsider.has_perm("privacy.erase_victim")
    response = verified_staff_client(client, outsider).post(
        "/admin/privacy/victimerasure/add/",
        {"victim": victim_link.victim.pk, "reason": ErasureReason.VICTIM_ASKED},
    )
    assert response.status_code == 200  # the form refuses an unknown victim
    assert "victim" in response.context["adminform"].form.errors
    assert not VictimErasure.objects.exists()


def test_the_erase_permission_is_a_permission_of_its_own(db):
    assert Permission.objects.filter(
        content_type__app_label="privacy", codename="erase_victim"
    ).exists()


def test_an_erased_victim_is_signed_out_and_cannot_sign_in(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    sign_in(client, django_capture_on_commit_callbacks, portal, REFERENCE, PORTAL_EMAIL)
    victim_erase(victim=victim_on_case.victim, reason="victim_asked", actor=None)
    assert client.get("/case/")["Location"] == "/sign-in/"


# After the job, the victim's details are in no text column anywhere.


def _text_columns():
    """Every text-like column of every table, as (table, column)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = current_schema()
              AND data_type IN ('character varying', 'text', 'character', 'jsonb',
                                'json', 'inet')
            """
        )
        return cursor.fetchall()


def _where_found(values):
    found = []
    with connection.cursor() as cursor:
        for table, column in _text_columns():
            for value in values:
                cursor.execute(
                    f'SELECT count(*) FROM "{table}" '  # noqa: S608
                    f'WHERE "{column}"::text ILIKE %s',
                    [f"%{value}%"],
                )
                if cursor.fetchone()[0]:
                    found.append((table, column, value))
    return found


@pytest.mark.postgres
def test_after_the_job_the_victim_is_in_no_text_column_of_the_database(
    client,
    django_capture_on_commit_callbacks,
    portal,
    force,
    officer,
    officer_client,
):
    require_postgres()
    case = CaseFactory(force=force, crime_reference=REFERENCE)
    link = CaseVictimFactory(
        case=case,
        victim__full_name=NAME,
        victim__email=EMAIL,
        victim__mobile=MOBILE,
        victim__external_reference="RMS-PERSON-99881",
    )
    victim = link.victim
    # Leave traces everywhere a victim's details can go: a sign-in (codes, audit),
    # messages about updates, staff notes naming them, the admin's own history.
    with django_capture_on_commit_callbacks(execute=True):
        case_add_update(
            case=case,
            actor=officer,
            victim_text=f"Dear {NAME}, we have asked for CCTV.",
            staff_note=f"Rang {NAME} on 07700 900123 and wrote to {EMAIL}.",
        )
    sign_in(client, django_capture_on_commit_callbacks, portal, REFERENCE, EMAIL)
    client.get("/your-data/")
    with django_capture_on_commit_callbacks(execute=True):
        _conversation(link, officer)
    response = officer_client.get(f"/admin/victims/victim/{victim.pk}/change/")
    assert response.status_code == 200
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    LogEntry.objects.log_actions(
        user_id=officer.pk,
        queryset=Victim.objects.filter(pk=victim.pk),
        action_flag=CHANGE,
        change_message="[]",
        single_object=True,
    )
    assert ContentType.objects.get_for_model(Victim)
    values = [NAME, EMAIL, "7700900123", "07700 900123", "RMS-PERSON-99881"]
    assert _where_found([NAME, EMAIL]), "the search must find what is there"
    with django_capture_on_commit_callbacks(execute=True):
        _close(case, officer, note=f"Closed; told {NAME}.")

    retention_run(now=_days_later(366))

    assert _where_found(values) == []
