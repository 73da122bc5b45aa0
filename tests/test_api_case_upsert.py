"""POST /api/v1/cases: a force's records system pushes a case and its victims."""

import pytest
from django.db import IntegrityError
from django.test import override_settings

from audit.constants import AuditAction
from audit.models import AuditEvent
from cases.constants import EntryKind
from cases.models import Case, TimelineEntry
from tests.factories import CaseVictimFactory, VictimFactory
from victims.models import CaseVictim, Victim

URL = "/api/v1/cases"


def _push(**changes):
    body = {
        "crime_reference": "NS/01234/26",
        "offence_category": "burglary",
        "victim_description": "Burglary at your home",
        "reported_on": "2026-11-01",
        "update_interval_days": 14,
        "victims": [
            {
                "external_reference": "P-1",
                "full_name": "Aisha Khan",
                "email": "Aisha@Example.com",
                "mobile": "07400 123456",
                "contact_preference": "email_and_sms",
            }
        ],
    }
    body.update(changes)
    return body


def _counts():
    return [
        model.objects.count()
        for model in (Case, Victim, CaseVictim, TimelineEntry, AuditEvent)
    ]


def test_a_first_push_creates_the_case_and_its_victims(api, force, records_system):
    response = api.post(URL, _push())
    assert response.status_code == 201, response.json()
    assert response["Location"] == "/api/v1/cases/NS0123426"
    assert response.json()["reference_key"] == "NS0123426"
    case = Case.objects.get()
    assert case.force == force
    assert case.update_interval_days == 14
    assert case.timeline.get().kind == EntryKind.CREATED
    victim = case.victims.get()
    assert (victim.external_reference, victim.email) == ("P-1", "aisha@example.com")
    assert str(victim.mobile) == "+447400123456"
    created = AuditEvent.objects.get(object_type="case", action=AuditAction.CREATE)
    assert created.actor_kind == "api_client"
    assert created.actor_id == str(records_system[0].pk)


def test_the_same_push_twice_changes_and_records_nothing(api):
    assert api.post(URL, _push()).status_code == 201
    before = _counts()
    again = api.post(URL, _push())
    assert again.status_code == 200
    assert _counts() == before


def test_a_changed_push_updates_the_case_and_audits_the_field_names(api):
    api.post(URL, _push())
    response = api.post(URL, _push(victim_description="Burglary of your shed"))
    assert response.status_code == 200
    assert response.json()["victim_description"] == "Burglary of your shed"
    change = AuditEvent.objects.get(object_type="case", action=AuditAction.CHANGE)
    assert change.changed_fields == ["victim_description"]
    assert change.actor_kind == "api_client"


def test_the_reference_matches_in_any_spelling(api):
    api.post(URL, _push())
    response = api.post(URL, _push(crime_reference="ns 01234 26"))
    assert response.status_code == 200
    assert Case.objects.count() == 1


def test_a_victim_is_matched_on_the_records_system_reference(api):
    api.post(URL, _push())
    victim = _push()["victims"][0]
    moved = {**victim, "email": "new@example.com"}
    extra = {
        "external_reference": "P-2",
        "full_name": "Tom Hughes",
        "contact_preference": "none",
    }
    assert api.post(URL, _push(victims=[moved, extra])).status_code == 200
    assert Victim.objects.count() == 2
    assert Victim.objects.get(external_reference="P-1").email == "new@example.com"


def test_victims_left_out_of_a_push_stay_on_the_case(api):
    api.post(URL, _push())
    api.post(URL, _push(victims=[]))
    assert Case.objects.get().victims.count() == 1


def test_a_known_victim_from_another_case_is_linked_not_copied(api, force, case):
    known = VictimFactory(force=force, external_reference="P-1")
    CaseVictimFactory(case=case, victim=known)
    api.post(URL, _push())
    assert Victim.objects.count() == 1
    assert known.cases.count() == 2


def test_another_force_pushing_the_same_reference_gets_its_own_case(
    api, other_api, force, other_force
):
    api.post(URL, _push())
    response = other_api.post(URL, _push(victim_description="Theirs"))
    assert response.status_code == 201
    assert Case.objects.get(force=force).victim_description == "Burglary at your home"
    assert Case.objects.get(force=other_force).victim_description == "Theirs"
    assert Victim.objects.filter(external_reference="P-1").count() == 2


def _errors(response):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    return body["errors"]


def test_unknown_fields_are_refused_by_name(api):
    body = _push(colour="blue", stage="charged")
    body["victims"][0]["shoe_size"] = 9
    errors = _errors(api.post(URL, body))
    assert set(errors) == {"colour", "stage", "victims.0.shoe_size"}
    assert "stage-changes" in errors["stage"][0]


@pytest.mark.parametrize("reference", ["hello", "NS/1/26", "", "NS/01234/26/7"])
def test_a_malformed_crime_reference_is_refused(api, reference):
    errors = _errors(api.post(URL, _push(crime_reference=reference)))
    assert list(errors) == ["crime_reference"]


def test_a_reference_in_another_forces_format_is_refused_with_the_example(api, force):
    force.crime_reference_pattern = r"^NS\d{7}$"
    force.crime_reference_example = "NS/01234/26"
    force.save()
    errors = _errors(api.post(URL, _push(crime_reference="WS/01234/26")))
    assert "NS/01234/26" in errors["crime_reference"][0]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mobile", "12345"),
        ("mobile", "not a number"),
        ("email", "not-an-email"),
        ("email", "a@b"),
        ("contact_preference", "carrier pigeon"),
        ("full_name", "x" * 151),
        ("external_reference", "x" * 65),
        ("detail_by_sms", "yes"),
        ("enhanced_rights", 1),
    ],
)
def test_a_bad_victim_field_is_refused_by_name(api, field, value):
    body = _push()
    body["victims"][0][field] = value
    errors = _errors(api.post(URL, body))
    assert list(errors) == [f"victims.0.{field}"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("victim_description", "x" * 201),
        ("victim_description", ""),
        ("offence_category", "jaywalking"),
        ("update_interval_days", "28"),
        ("update_interval_days", 0),
        ("update_interval_days", 366),
        ("reported_on", "yesterday"),
        ("crime_reference", 1234),
        ("victims", {"external_reference": "P-1"}),
        ("victims", [{}] * 51),
    ],
)
def test_a_bad_case_field_is_refused_by_name(api, field, value):
    errors = _errors(api.post(URL, _push(**{field: value})))
    assert field in {name.split(".")[0] for name in errors}


@pytest.mark.parametrize("text", ["\x1f" + "x" * 200, "Burglary\x18 at home"])
def test_control_characters_in_text_are_refused(api, text):
    errors = _errors(api.post(URL, _push(victim_description=text)))
    assert "control character" in errors["victim_description"][0]


def test_line_breaks_in_an_update_are_kept(api):
    api.post(URL, _push())
    response = api.post(
        "/api/v1/cases/NS0123426/updates", {"victim_text": "First line.\nSecond."}
    )
    assert response.status_code == 201
    assert response.json()["victim_text"] == "First line.\nSecond."


def test_a_rule_of_the_services_comes_back_as_a_field_error(api):
    body = _push()
    body["victims"][0].update(email="", contact_preference="email")
    errors = _errors(api.post(URL, body))
    assert errors == {
        "victims.0.email": ["Enter an email address, or choose other safe channels."]
    }


def test_a_victim_given_twice_is_refused(api):
    victim = _push()["victims"][0]
    errors = _errors(api.post(URL, _push(victims=[victim, victim])))
    assert "P-1" in errors["victims"][0]


def test_nothing_is_half_written_when_a_later_victim_is_refused(api):
    good = _push()["victims"][0]
    bad = {"external_reference": "P-2", "full_name": "No Contact Details"}
    before = _counts()
    errors = _errors(api.post(URL, _push(victims=[good, bad])))
    assert "victims.1.email" in errors
    assert _counts() == before


def test_a_body_that_is_not_json_is_refused(api):
    response = api.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    form = api.post(URL, "a=b", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415


def test_a_body_that_is_not_an_object_is_refused(api):
    errors = _errors(api.post(URL, [1, 2], format="json"))
    assert list(errors) == ["non_field_errors"]


@override_settings(API_MAX_BODY_BYTES=1024)
def test_a_body_over_the_limit_is_refused_with_413(api):
    response = api.post(URL, _push(victim_description="x" * 2000))
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert Case.objects.count() == 0


def test_a_push_that_loses_a_race_is_a_409_to_send_again(api, monkeypatch):
    def lose_the_race(**kwargs):
        raise IntegrityError("UNIQUE constraint failed: cases_case.crime_reference")

    monkeypatch.setattr("cases.api.case_upsert", lose_the_race)
    response = api.post(URL, _push())
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


def test_a_push_does_not_undo_a_safeguarding_decision_by_staff(api, officer):
    from victims.services import victim_update

    body = _push()
    body["victims"][0]["portal_access_allowed"] = True
    api.post(URL, body)
    victim = Victim.objects.get()
    victim_update(
        victim=victim,
        actor=officer,
        changes={"portal_access_allowed": False, "contact_preference": "none"},
    )
    assert api.post(URL, body).status_code == 200
    victim.refresh_from_db()
    assert (victim.portal_access_allowed, victim.contact_preference) == (False, "none")
