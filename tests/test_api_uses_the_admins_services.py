"""A change pushed through the API is the same change as one made in the back office:
the same service functions run, so the same rows are written (timeline, audit trail,
and whatever else those services write, such as messages to victims)."""

import pytest
from django.apps import apps

from audit.models import AuditEvent
from tests.factories import CaseFactory, CaseVictimFactory
from tests.test_admin_case_changes import _case_form

# Written by the admin's own machinery, not by the services.
NOT_FROM_THE_SERVICES = {"admin.LogEntry", "sessions.Session"}


def _row_counts():
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.label not in NOT_FROM_THE_SERVICES
    }


def _written(before, after):
    return {
        label: after[label] - before[label]
        for label in after
        if after[label] != before[label]
    }


def _entries(case):
    return [
        (
            entry.kind,
            entry.stage,
            entry.victim_text,
            entry.staff_note,
            entry.visible_to_victim,
            entry.code_deadline is not None,
        )
        for entry in case.timeline.order_by("id")
    ]


def _audit(case, since_id):
    return sorted(
        (
            event.action,
            event.object_type,
            event.changed_fields,
            event.detail.get("stage_to"),
        )
        for event in AuditEvent.objects.filter(case_id=case.pk, id__gt=since_id)
    )


@pytest.fixture
def two_cases(force):
    """Two cases alike, each with one victim: one for the admin, one for the API."""
    cases = [
        CaseFactory(force=force, crime_reference=reference)
        for reference in ("NS/00001/26", "NS/00002/26")
    ]
    for case in cases:
        CaseVictimFactory(case=case)
    return cases


def _last_audit_id():
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_a_pushed_stage_change_writes_what_the_admins_writes(
    officer_client, api, two_cases
):
    by_admin, by_api = two_cases
    start = _last_audit_id()
    before = _row_counts()
    officer_client.post(
        f"/admin/cases/case/{by_admin.pk}/change/",
        _case_form(by_admin, stage="suspect_arrested", stage_message="Arrested."),
    )
    between = _row_counts()
    response = api.post(
        "/api/v1/cases/NS0000226/stage-changes",
        {"stage": "suspect_arrested", "victim_text": "Arrested."},
    )
    assert response.status_code == 201
    after = _row_counts()

    assert _written(before, between) == _written(between, after) != {}
    assert _entries(by_admin) == _entries(by_api)
    assert _audit(by_admin, start) == _audit(by_api, start)
    by_admin.refresh_from_db()
    by_api.refresh_from_db()
    assert (by_admin.stage, by_admin.suspect_interviewed) == (
        by_api.stage,
        by_api.suspect_interviewed,
    )


def test_a_pushed_update_writes_what_the_admins_writes(officer_client, api, two_cases):
    by_admin, by_api = two_cases
    start = _last_audit_id()
    before = _row_counts()
    officer_client.post(
        f"/admin/cases/case/{by_admin.pk}/change/",
        _case_form(
            by_admin,
            **{
                "timeline-TOTAL_FORMS": "1",
                "timeline-0-victim_text": "We have the CCTV.",
                "timeline-0-staff_note": "",
                "timeline-0-visible_to_victim": "on",
            },
        ),
    )
    between = _row_counts()
    api.post("/api/v1/cases/NS0000226/updates", {"victim_text": "We have the CCTV."})
    after = _row_counts()

    assert _written(before, between) == _written(between, after) != {}
    assert _entries(by_admin) == _entries(by_api)
    assert _audit(by_admin, start) == _audit(by_api, start)
