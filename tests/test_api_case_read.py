"""GET /api/v1/cases/{reference}: a case with its timeline and messages sent."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.constants import AuditAction
from audit.models import AuditEvent
from cases.services import case_add_update, case_change_stage
from notifications.constants import NotificationStatus
from notifications.models import Notification
from tests.factories import CaseVictimFactory

URL = "/api/v1/cases/NS0000126"


@pytest.fixture
def busy_case(case, officer):
    CaseVictimFactory(
        case=case, victim__full_name="Aisha Khan", victim__external_reference="P-1"
    )
    case_change_stage(
        case=case, stage="under_investigation", actor=officer, staff_note="CCTV"
    )
    case_add_update(case=case, actor=officer, victim_text="We spoke to a witness.")
    return case


def test_it_returns_the_case_with_victims_timeline_and_staff_notes(
    api, busy_case, officer
):
    response = api.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["crime_reference"] == "NS/00001/26"
    assert body["reference_key"] == "NS0000126"
    assert body["url"] == URL
    assert body["stage"] == "under_investigation"
    assert body["outcome"] is None
    assert [victim["full_name"] for victim in body["victims"]] == ["Aisha Khan"]
    assert body["victims"][0]["external_reference"] == "P-1"
    assert [entry["kind"] for entry in body["timeline"]] == ["update", "stage_change"]
    assert body["timeline"][1]["staff_note"] == "CCTV"
    assert body["timeline"][1]["recorded_by"] == officer.display_name


def test_it_lists_every_message_about_the_case_whatever_became_of_it(api, busy_case):
    # Two changes the victim can see, each to their email and mobile: four rows, the
    # second change told with the first (one message per channel).
    sent = Notification.objects.filter(case=busy_case).order_by("id").first()
    Notification.objects.filter(pk=sent.pk).update(
        status=NotificationStatus.SENT,
        sent_at=sent.created_at,
        provider="file",
        provider_id="abc123",
    )
    messages = api.get(URL).json()["messages"]
    assert len(messages) == 4
    assert {message["channel"] for message in messages} == {"email", "sms"}
    statuses = sorted(message["status"] for message in messages)
    assert statuses == ["merged", "merged", "pending", "sent"]
    assert [m["sent_at"] is None for m in messages].count(False) == 1


def test_another_cases_messages_are_not_listed(api, case, officer, force):
    other = CaseVictimFactory(case__force=force, case__crime_reference="NS/00002/26")
    case_add_update(case=other.case, actor=officer, victim_text="Not about yours.")
    assert api.get(URL).json()["messages"] == []


@pytest.mark.parametrize("reference", ["NS-00001-26", "ns0000126", "ns 00001 26"])
def test_any_spelling_of_the_reference_finds_the_case(api, case, reference):
    assert api.get(f"/api/v1/cases/{reference}").status_code == 200


def test_each_read_is_in_the_audit_trail_with_the_client_as_actor(
    api, records_system, case
):
    api.get(URL, REMOTE_ADDR="10.1.2.3")
    view = AuditEvent.objects.get(action=AuditAction.VIEW, case_id=case.pk)
    assert view.actor_kind == "api_client"
    assert view.actor_id == str(records_system[0].pk)
    assert view.actor_label == "Niche RMS (API client)"
    assert view.ip_address == "10.1.2.3"


def test_another_forces_client_gets_404_and_nothing_is_recorded(other_api, case):
    assert other_api.get(URL).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW).exists()


def test_a_reference_no_force_could_have_is_404(api, case):
    for reference in ["x" * 41, "%00", "NS%2F00001%2F26"]:
        assert api.get(f"/api/v1/cases/{reference}").status_code == 404


def _queries(api):
    with CaptureQueriesContext(connection) as queries:
        assert api.get(URL).status_code == 200
    return len(queries)


def test_the_query_count_is_fixed_whatever_the_size_of_the_case(
    api, busy_case, officer
):
    api.get(URL)  # records the client's last use, which then holds for a minute
    # Token, case, victims, timeline, messages, the audit row.
    assert _queries(api) == 6
    for number in range(5):
        case_add_update(case=busy_case, actor=officer, victim_text=f"Update {number}")
        CaseVictimFactory(case=busy_case)
    assert _queries(api) == 6


def test_times_are_given_in_utc_whatever_the_season(api, case, officer):
    import time_machine

    with time_machine.travel("2026-07-01 09:30Z", tick=False):
        case_add_update(case=case, actor=officer, victim_text="Summer news.")
    entry = api.get(URL).json()["timeline"][0]
    assert entry["recorded_at"] == "2026-07-01T09:30:00Z"
