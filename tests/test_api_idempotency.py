"""Idempotency-Key: a POST sent again gets its first response and changes nothing."""

import time_machine

from api.models import IdempotencyRecord
from audit.models import AuditEvent
from cases.models import Case, TimelineEntry
from tests.factories import CaseFactory

UPDATE_URL = "/api/v1/cases/NS0000126/updates"
UPDATE = {"victim_text": "We have the CCTV."}


def _post(api, url, body, key):
    return api.post(url, body, HTTP_IDEMPOTENCY_KEY=key)


def test_without_a_key_a_repeated_update_is_recorded_twice(api, case):
    api.post(UPDATE_URL, UPDATE)
    api.post(UPDATE_URL, UPDATE)
    assert TimelineEntry.objects.count() == 2


def test_the_same_key_and_body_replays_the_first_response(api, case):
    first = _post(api, UPDATE_URL, UPDATE, "key-1")
    audit_rows = AuditEvent.objects.count()
    again = _post(api, UPDATE_URL, UPDATE, "key-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert TimelineEntry.objects.count() == 1
    assert AuditEvent.objects.count() == audit_rows


def test_a_replayed_push_keeps_its_201_and_location(api, force):
    body = {
        "crime_reference": "NS/01234/26",
        "offence_category": "theft",
        "victim_description": "Theft of your bicycle",
    }
    first = _post(api, "/api/v1/cases", body, "push-1")
    again = _post(api, "/api/v1/cases", body, "push-1")
    assert first.status_code == again.status_code == 201
    assert again["Location"] == first["Location"] == "/api/v1/cases/NS0123426"
    assert Case.objects.count() == 1


def test_a_long_location_is_kept_for_the_replay(api, force):
    # A force whose references may hold any character: its case URL, percent-encoded,
    # is far longer than the reference itself.
    force.crime_reference_pattern = r"^.{1,40}$"
    force.save(update_fields=["crime_reference_pattern"])
    body = {
        "crime_reference": "\u00fc" * 40,
        "offence_category": "theft",
        "victim_description": "Theft of your bicycle",
    }
    first = _post(api, "/api/v1/cases", body, "push-long")
    again = _post(api, "/api/v1/cases", body, "push-long")
    assert first.status_code == again.status_code == 201
    assert len(first["Location"]) > 200
    assert again["Location"] == first["Location"]


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(api, case):
    _post(api, UPDATE_URL, UPDATE, "key-1")
    refused = _post(api, UPDATE_URL, {"victim_text": "Something else."}, "key-1")
    assert refused.status_code == 422
    assert refused.json()["code"] == "idempotency_key_reused"
    assert "different request" in refused.json()["detail"]
    assert TimelineEntry.objects.count() == 1


def test_the_same_key_on_another_endpoint_is_refused(api, case):
    _post(api, UPDATE_URL, UPDATE, "key-1")
    other = _post(
        api, "/api/v1/cases/NS0000126/stage-changes", {"stage": "charged"}, "key-1"
    )
    assert other.status_code == 422


def test_keys_belong_to_one_client(api, other_api, case, other_force):
    CaseFactory(force=other_force, crime_reference="NS/00001/26")
    _post(api, UPDATE_URL, UPDATE, "shared-key")
    theirs = _post(other_api, UPDATE_URL, UPDATE, "shared-key")
    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert TimelineEntry.objects.count() == 2


def test_a_failed_request_is_not_remembered(api, case):
    assert _post(api, UPDATE_URL, {}, "key-1").status_code == 400
    assert not IdempotencyRecord.objects.exists()
    assert _post(api, UPDATE_URL, UPDATE, "key-1").status_code == 201


def test_a_key_is_forgotten_after_a_day(api, case):
    with time_machine.travel("2026-11-02 10:00Z"):
        _post(api, UPDATE_URL, UPDATE, "key-1")
    with time_machine.travel("2026-11-03 10:01Z"):
        again = _post(api, UPDATE_URL, {"victim_text": "New news."}, "key-1")
    assert again.status_code == 201
    assert TimelineEntry.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 1


def test_a_malformed_key_is_refused(api, case):
    for key in ["x" * 256, "has space", "caf\u00e9"]:
        response = _post(api, UPDATE_URL, UPDATE, key)
        assert response.status_code == 400, key
        assert list(response.json()["errors"]) == ["Idempotency-Key"]
    assert not TimelineEntry.objects.exists()


def test_no_client_keeps_stored_responses_beyond_a_day(
    api, other_api, case, other_force
):
    CaseFactory(force=other_force, crime_reference="NS/00001/26")
    with time_machine.travel("2026-11-02 10:00Z"):
        _post(other_api, UPDATE_URL, UPDATE, "theirs")
        _post(api, UPDATE_URL, UPDATE, "mine")
    assert IdempotencyRecord.objects.count() == 2
    with time_machine.travel("2026-11-03 10:01Z"):
        _post(api, UPDATE_URL, {"victim_text": "Later."}, "another")
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["another"]
