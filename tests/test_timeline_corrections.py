"""A supervisor corrects a timeline entry recorded wrongly: the victims see a
correction, never a silent deletion; the original stays; both are in the audit
trail; and a corrected Right 6 event stops counting in the compliance figures."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone

from accounts.constants import StaffGroup
from audit.constants import AuditAction, ObjectType
from audit.models import AuditEvent
from cases.compliance import code_clocks_settle, code_compliance
from cases.constants import EntryKind, Stage
from cases.models import CodeClock, TimelineEntry
from cases.services import (
    case_add_update,
    case_change_stage,
    timeline_entry_correct,
)
from notifications.models import Notification
from tests.factories import CaseVictimFactory, StaffFactory, verified_staff_client
from victims.selectors import victim_timeline

REASON = "The arrest was on another case."
TEXT = "Our last update was meant for another case. No one has been arrested."


@pytest.fixture
def wrong_arrest(case, officer):
    """An arrest recorded on the wrong case, five working days ago (so late)."""
    CaseVictimFactory(case=case, victim__email="victim@example.com")
    return case_change_stage(
        case=case,
        stage=Stage.SUSPECT_ARRESTED,
        actor=officer,
        occurred_at=timezone.now() - datetime.timedelta(days=10),
    )


@pytest.fixture
def supervisor_client(client, supervisor):
    return verified_staff_client(client, supervisor)


def _url(entry):
    return f"/admin/cases/case/{entry.case_id}/timeline/{entry.pk}/correct/"


def _correct(client, entry, **data):
    return client.post(_url(entry), {"victim_text": TEXT, "reason": REASON, **data})


def test_a_supervisor_corrects_an_entry_and_the_original_stays(
    supervisor_client, wrong_arrest
):
    response = _correct(supervisor_client, wrong_arrest)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/cases/case/{wrong_arrest.case_id}/change/"
    wrong_arrest.refresh_from_db()
    assert wrong_arrest.corrected_at is not None
    assert wrong_arrest.stage == Stage.SUSPECT_ARRESTED  # nothing rewritten
    correction = TimelineEntry.objects.get(kind=EntryKind.CORRECTION)
    assert correction.corrects == wrong_arrest
    assert correction.victim_text == TEXT
    assert correction.staff_note == REASON
    assert correction.visible_to_victim


def test_the_victims_timeline_shows_the_correction_and_the_original(
    supervisor, wrong_arrest
):
    timeline_entry_correct(
        entry=wrong_arrest, actor=supervisor, victim_text=TEXT, reason=REASON
    )
    entries = victim_timeline(case_id=wrong_arrest.case_id)
    kinds = [entry.kind for entry in entries]
    assert EntryKind.CORRECTION in kinds and EntryKind.STAGE_CHANGE in kinds
    html = render_to_string("components/timeline.html", {"entries": entries})
    assert TEXT in html
    assert "Suspect arrested or interviewed" in html
    assert "this was recorded wrongly" in html
    assert "Correction" in html


def test_the_victims_are_sent_the_correction(supervisor, wrong_arrest):
    correction = timeline_entry_correct(
        entry=wrong_arrest, actor=supervisor, victim_text=TEXT, reason=REASON
    )
    sent_before = Notification.objects.filter(entry=wrong_arrest).count()
    assert sent_before > 0
    assert Notification.objects.filter(entry=correction).count() == sent_before


def test_both_entries_and_the_withdrawn_deadline_are_audited(supervisor, wrong_arrest):
    clock = CodeClock.objects.get(entry=wrong_arrest)
    correction = timeline_entry_correct(
        entry=wrong_arrest, actor=supervisor, victim_text=TEXT, reason=REASON
    )
    staff = {"actor_kind": "staff", "actor_id": str(supervisor.pk)}
    created = AuditEvent.objects.get(
        action=AuditAction.CREATE,
        object_type=ObjectType.TIMELINE_ENTRY,
        object_id=str(correction.pk),
        **staff,
    )
    assert created.detail["corrects"] == wrong_arrest.pk
    original = AuditEvent.objects.get(
        action=AuditAction.CHANGE,
        object_type=ObjectType.TIMELINE_ENTRY,
        object_id=str(wrong_arrest.pk),
        **staff,
    )
    assert original.changed_fields == ["corrected_at"]
    assert original.case_id == wrong_arrest.case_id
    withdrawn = AuditEvent.objects.get(
        action=AuditAction.CHANGE,
        object_type=ObjectType.CODE_CLOCK,
        object_id=str(clock.pk),
        **staff,
    )
    assert withdrawn.changed_fields == ["withdrawn_at"]


def test_a_corrected_right_6_event_stops_counting(supervisor, force, wrong_arrest):
    code_clocks_settle()
    assert code_compliance(force_id=force.pk, days=90).overall.late == 1
    timeline_entry_correct(
        entry=wrong_arrest, actor=supervisor, victim_text=TEXT, reason=REASON
    )
    clock = CodeClock.objects.get(entry=wrong_arrest)
    assert clock.withdrawn_at is not None
    code_clocks_settle()
    report = code_compliance(force_id=force.pk, days=90)
    assert report.overall.events == 0
    assert report.late == []


def test_an_officer_cannot_correct_an_entry(officer, officer_client, wrong_arrest):
    assert officer_client.get(_url(wrong_arrest)).status_code == 403
    assert _correct(officer_client, wrong_arrest).status_code == 403
    with pytest.raises(PermissionDenied):
        timeline_entry_correct(
            entry=wrong_arrest, actor=officer, victim_text=TEXT, reason=REASON
        )
    wrong_arrest.refresh_from_db()
    assert wrong_arrest.corrected_at is None
    assert not TimelineEntry.objects.filter(kind=EntryKind.CORRECTION).exists()
    assert CodeClock.objects.get(entry=wrong_arrest).withdrawn_at is None


def test_another_forces_supervisor_cannot_correct_an_entry(
    client, other_force, wrong_arrest
):
    outsider = StaffFactory(
        force=other_force, username="other.sup", group=StaffGroup.SUPERVISOR
    )
    verified_staff_client(client, outsider)
    assert client.get(_url(wrong_arrest)).status_code == 404
    assert _correct(client, wrong_arrest).status_code == 404
    with pytest.raises(PermissionDenied):
        timeline_entry_correct(
            entry=wrong_arrest, actor=outsider, victim_text=TEXT, reason=REASON
        )
    assert not TimelineEntry.objects.filter(kind=EntryKind.CORRECTION).exists()


def test_an_entry_of_another_case_is_not_found_through_this_case(
    supervisor_client, force, wrong_arrest
):
    from tests.factories import CaseFactory

    other_case = CaseFactory(force=force, crime_reference="NS/00002/26")
    url = f"/admin/cases/case/{other_case.pk}/timeline/{wrong_arrest.pk}/correct/"
    assert supervisor_client.get(url).status_code == 404


def test_a_correction_needs_a_reason_and_what_the_victims_are_told(
    supervisor_client, wrong_arrest
):
    response = _correct(supervisor_client, wrong_arrest, victim_text="", reason="")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Write what the victims will be told." in page
    assert "Say, for staff, what was wrong with the entry." in page
    assert not TimelineEntry.objects.filter(kind=EntryKind.CORRECTION).exists()


def test_an_entry_is_corrected_only_once_and_a_correction_never(
    supervisor, wrong_arrest
):
    correction = timeline_entry_correct(
        entry=wrong_arrest, actor=supervisor, victim_text=TEXT, reason=REASON
    )
    for entry in (wrong_arrest, correction):
        with pytest.raises(ValidationError):
            timeline_entry_correct(
                entry=entry, actor=supervisor, victim_text=TEXT, reason=REASON
            )
    assert TimelineEntry.objects.filter(kind=EntryKind.CORRECTION).count() == 1


def test_a_staff_only_entry_is_corrected_without_telling_the_victims(
    supervisor, case, officer
):
    CaseVictimFactory(case=case)
    note = case_add_update(
        case=case, actor=officer, staff_note="Wrong note", visible_to_victim=False
    )
    correction = timeline_entry_correct(
        entry=note, actor=supervisor, victim_text="", reason=REASON
    )
    assert not correction.visible_to_victim
    assert not Notification.objects.filter(entry=correction).exists()


def test_the_case_page_offers_the_correction_to_a_supervisor_only(
    supervisor, officer, wrong_arrest
):
    page = f"/admin/cases/case/{wrong_arrest.case_id}/change/"
    as_supervisor = verified_staff_client(Client(), supervisor)
    as_officer = verified_staff_client(Client(), officer)
    assert _url(wrong_arrest) in as_supervisor.get(page).content.decode()
    assert _url(wrong_arrest) not in as_officer.get(page).content.decode()


def test_the_correction_form_shows_the_entry_and_suggests_words(
    supervisor_client, wrong_arrest
):
    response = supervisor_client.get(_url(wrong_arrest))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Suspect arrested or interviewed" in page
    assert "was recorded wrongly" in page
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW,
        object_type=ObjectType.TIMELINE_ENTRY,
        object_id=str(wrong_arrest.pk),
    ).exists()
