import pytest

from audit.constants import AuditAction
from audit.models import AuditEvent
from cases.constants import EntryKind, Stage
from cases.models import Case, TimelineEntry


def _case_form(case, **changes):
    data = {
        "crime_reference": case.crime_reference,
        "offence_category": case.offence_category,
        "victim_description": case.victim_description,
        "officer_in_charge": case.officer_in_charge_id or "",
        "reported_on": case.reported_on.isoformat(),
        "update_interval_days": case.update_interval_days,
        "stage": case.stage,
        "stage_message": "",
        "outcome": case.outcome,
        "closing_reason": case.closing_reason,
        "closing_explanation": case.closing_explanation,
        "case_victims-TOTAL_FORMS": "0",
        "case_victims-INITIAL_FORMS": "0",
        "timeline-TOTAL_FORMS": "0",
        "timeline-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_a_stage_change_writes_the_timeline_and_the_audit_trail(
    officer_client, officer, case
):
    response = officer_client.post(
        f"/admin/cases/case/{case.pk}/change/",
        _case_form(
            case,
            stage=Stage.SUSPECT_ARRESTED,
            stage_message="A man was arrested this morning.",
        ),
    )
    assert response.status_code == 302, response.context["adminform"].errors
    case.refresh_from_db()
    assert case.stage == Stage.SUSPECT_ARRESTED
    assert case.suspect_interviewed
    entry = case.timeline.get(kind=EntryKind.STAGE_CHANGE)
    assert entry.victim_text == "A man was arrested this morning."
    assert entry.recorded_by == officer
    assert entry.code_deadline is not None
    change = AuditEvent.objects.get(
        case_id=case.pk, action=AuditAction.CHANGE, object_type="case"
    )
    assert change.actor_label == officer.username
    assert "stage" in change.changed_fields
    assert change.detail == {"stage_from": "reported", "stage_to": "suspect_arrested"}


def test_the_stage_change_shows_on_the_case_page_timeline(officer_client, case):
    officer_client.post(
        f"/admin/cases/case/{case.pk}/change/",
        _case_form(case, stage=Stage.UNDER_INVESTIGATION, stage_message="Looking now."),
    )
    response = officer_client.get(f"/admin/cases/case/{case.pk}/change/")
    assert "Looking now." in response.content.decode()


def test_an_impossible_stage_move_is_refused_with_a_reason(officer_client, case):
    Case.objects.filter(pk=case.pk).update(
        stage=Stage.CLOSED, closing_reason="no_suspect"
    )
    case.refresh_from_db()
    response = officer_client.post(
        f"/admin/cases/case/{case.pk}/change/", _case_form(case, stage=Stage.CHARGED)
    )
    assert response.status_code == 200
    assert "A closed case can only be reopened" in response.content.decode()
    case.refresh_from_db()
    assert case.stage == Stage.CLOSED


def test_closing_needs_a_reason(officer_client, case):
    response = officer_client.post(
        f"/admin/cases/case/{case.pk}/change/", _case_form(case, stage=Stage.CLOSED)
    )
    assert response.status_code == 200
    assert "Say why the case is being closed." in response.content.decode()


def test_adding_an_update_goes_through_the_service_and_is_audited(
    officer_client, officer, case
):
    data = _case_form(
        case,
        **{
            "timeline-TOTAL_FORMS": "1",
            "timeline-0-victim_text": "We have the CCTV.",
            "timeline-0-staff_note": "",
            "timeline-0-visible_to_victim": "on",
        },
    )
    response = officer_client.post(f"/admin/cases/case/{case.pk}/change/", data)
    assert response.status_code == 302
    entry = TimelineEntry.objects.get(case=case, kind=EntryKind.UPDATE)
    assert entry.victim_text == "We have the CCTV."
    assert entry.recorded_by == officer
    assert AuditEvent.objects.filter(
        object_type="timeline_entry", object_id=str(entry.pk), action=AuditAction.CREATE
    ).exists()


def test_a_visible_update_without_text_is_refused(officer_client, case):
    data = _case_form(
        case,
        **{
            "timeline-TOTAL_FORMS": "1",
            "timeline-0-victim_text": "",
            "timeline-0-staff_note": "Internal only",
            "timeline-0-visible_to_victim": "on",
        },
    )
    response = officer_client.post(f"/admin/cases/case/{case.pk}/change/", data)
    assert response.status_code == 200
    assert "Write what the victim will be told." in response.content.decode()
    assert not TimelineEntry.objects.filter(case=case).exists()


def test_changing_details_audits_field_names_without_values(officer_client, case):
    officer_client.post(
        f"/admin/cases/case/{case.pk}/change/",
        _case_form(case, victim_description="Burglary of your shed"),
    )
    change = AuditEvent.objects.get(case_id=case.pk, action=AuditAction.CHANGE)
    assert change.changed_fields == ["victim_description"]
    assert "shed" not in str(change.detail)


def test_creating_a_case_in_the_admin_puts_it_in_the_officers_force(
    officer_client, force
):
    response = officer_client.post(
        "/admin/cases/case/add/",
        {
            "crime_reference": "ns 77777 26",
            "offence_category": "theft",
            "victim_description": "Theft of your bicycle",
            "officer_in_charge": "",
            "reported_on": "2026-11-01",
            "update_interval_days": "28",
            "stage": "reported",
            "case_victims-TOTAL_FORMS": "0",
            "case_victims-INITIAL_FORMS": "0",
            "timeline-TOTAL_FORMS": "0",
            "timeline-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].errors
    case = Case.objects.get(crime_reference_normalised="NS7777726")
    assert case.force == force
    assert case.timeline.filter(kind=EntryKind.CREATED).exists()
    assert AuditEvent.objects.filter(
        case_id=case.pk, action=AuditAction.CREATE, object_type="case"
    ).exists()


@pytest.mark.parametrize(
    "search", ["NS/00001/26", "ns 00001 26", "ns-00001-26", "NS0000"]
)
def test_searching_by_reference_ignores_spacing_and_case(officer_client, case, search):
    response = officer_client.get("/admin/cases/case/", {"q": search})
    assert list(response.context["cl"].result_list) == [case]


def test_searching_by_victim_name_finds_the_case(officer_client, case):
    from tests.factories import CaseVictimFactory

    CaseVictimFactory(case=case, victim__full_name="Aisha Khan")
    response = officer_client.get("/admin/cases/case/", {"q": "aisha"})
    assert list(response.context["cl"].result_list) == [case]


def test_overdue_filter_lists_cases_whose_update_is_late(officer_client, force):
    from django.utils import timezone

    from tests.factories import CaseFactory

    late = CaseFactory(
        force=force, next_update_due=timezone.now() - timezone.timedelta(days=1)
    )
    CaseFactory(
        force=force, next_update_due=timezone.now() + timezone.timedelta(days=1)
    )
    response = officer_client.get("/admin/cases/case/", {"overdue": "yes"})
    assert list(response.context["cl"].result_list) == [late]
