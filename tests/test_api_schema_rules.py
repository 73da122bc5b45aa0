"""The schema states the rules the API checks, and the API checks what the schema
states; the 400s no schema can state are shown by example, in the API's own words.
(tests/test_api_contract.py fuzzes the same promise with schemathesis.)"""

import re

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from cases.constants import ClosingReason, Outcome, Stage

URL = "/api/v1/cases"


def _schema(db):
    return APIClient().get("/api/schema/?format=json").json()


def _push(**changes):
    body = {
        "crime_reference": "NS/01234/26",
        "offence_category": "burglary",
        "victim_description": "Burglary at your home",
        "victims": [
            {
                "external_reference": "P-1",
                "full_name": "Aisha Khan",
                "contact_preference": "email",
                "email": "aisha@example.com",
            }
        ],
    }
    body.update(changes)
    return body


def _victim(**changes):
    return _push(victims=[{**_push()["victims"][0], **changes}])


def _request_properties(schema):
    """Every property of every request body schema, variants included."""
    for name, component in schema["components"]["schemas"].items():
        if not name.endswith("Request"):
            continue
        for variant in [
            component,
            *component.get("oneOf", []),
            *component.get("anyOf", []),
        ]:
            for field, value in variant.get("properties", {}).items():
                yield f"{name}.{field}", value


def test_every_text_a_client_sends_has_a_pattern_a_format_or_choices(db):
    unstated = [
        name
        for name, field in _request_properties(_schema(db))
        if field.get("type") == "string"
        and not {"pattern", "enum", "format"} & set(field)
    ]
    assert unstated == []


def _pattern(db, component, field):
    return _schema(db)["components"]["schemas"][component]["properties"][field][
        "pattern"
    ]


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("full_name", "Aisha Khan", True),
        ("full_name", "   ", False),
        ("full_name", "Aisha\x00Khan", False),
        ("full_name", "Aisha\u0085", False),
        ("full_name", "\u3000", False),
        ("mobile", "07400 123456", True),
        ("mobile", "+447400123456", True),
        ("mobile", "", True),
        ("mobile", "07400-123456", False),
        ("mobile", "(07400) 123456", False),
    ],
)
def test_the_schema_and_the_api_agree_on_a_victims_details(api, field, value, allowed):
    pattern = _pattern(api, "VictimUpsertRequest", field)
    assert bool(re.search(pattern, value)) is allowed
    contact = {"contact_preference": "email"}
    response = api.post(URL, _victim(**{field: value}, **contact), format="json")
    assert response.status_code == (201 if allowed else 400), response.json()
    if not allowed:
        assert list(response.json()["errors"]) == [f"victims.0.{field}"]


@pytest.mark.parametrize(
    ("value", "allowed"),
    [
        ("NS/01234/26", True),
        ("ns 01234 26", True),
        (" / - ", False),
        ("NS/01234/26\x07", False),
    ],
)
def test_the_schema_and_the_api_agree_on_a_crime_reference(api, value, allowed):
    pattern = _pattern(api, "CaseUpsertRequest", "crime_reference")
    assert bool(re.search(pattern, value)) is allowed
    response = api.post(URL, _push(crime_reference=value), format="json")
    assert response.status_code == (201 if allowed else 400), response.json()


def test_the_length_limit_counts_what_was_sent_before_it_is_trimmed(api):
    response = api.post(URL, _push(victim_description="x" * 200 + " "), format="json")
    assert response.status_code == 400
    assert "200" in response.json()["errors"]["victim_description"][0]
    assert api.post(URL, _push(victim_description="x" * 200)).status_code == 201


@pytest.mark.parametrize(
    ("value", "allowed"),
    [
        ("2026-11-02T10:00:00Z", True),
        ("2026-11-02t10:00:00.123456z", True),
        ("2026-11-02T10:00:00+01:00", True),
        ("2026-11-02T10:00Z", False),
        ("2026-11-02T10:00:00.1234567Z", False),
        ("0001-01-01T00:00:00+01:00", False),
        ("2026-11-02T10:00:00", False),
    ],
)
def test_the_schema_and_the_api_agree_on_a_time(api, value, allowed):
    parameter = next(
        p
        for p in _schema(api)["paths"][URL]["get"]["parameters"]
        if p["name"] == "updated_since"
    )
    assert parameter["schema"]["format"] == "date-time"
    assert bool(re.search(parameter["schema"]["pattern"], value)) is allowed
    response = api.get(URL, {"updated_since": value})
    assert response.status_code == (200 if allowed else 400)


def test_the_schema_says_which_stage_change_fields_go_together(db):
    variants = _schema(db)["components"]["schemas"]["StageChangeRequest"]["oneOf"]
    by_stage = {tuple(v["properties"]["stage"]["enum"]): v for v in variants}
    outcome, closed = by_stage[(Stage.OUTCOME,)], by_stage[(Stage.CLOSED,)]
    assert "outcome" in outcome["required"]
    assert "closing_reason" not in outcome["properties"]
    assert "closing_reason" in closed["required"]
    assert "outcome" not in closed["properties"]
    (others,) = [v for stages, v in by_stage.items() if len(stages) > 1]
    assert not {"outcome", "closing_reason"} & set(others["properties"])
    assert all(v["additionalProperties"] is False for v in variants)


def test_the_schema_says_a_visible_update_needs_words_for_the_victims(db):
    schema = _schema(db)
    variants = schema["components"]["schemas"]["CaseUpdateRequest"]["anyOf"]
    visible = [
        v for v in variants if v["properties"]["visible_to_victim"]["enum"] == [True]
    ]
    assert [v["required"] for v in visible] == [["victim_text"]]
    assert not re.search(visible[0]["properties"]["victim_text"]["pattern"], "  ")
    operation = schema["paths"]["/api/v1/cases/{crime_reference}/updates"]["post"]
    assert operation["requestBody"]["required"] is True


def _examples(db, path, method="post"):
    response = _schema(db)["paths"][path][method]["responses"]["400"]
    return {
        example["summary"]: example["value"]
        for example in response["content"]["application/json"]["examples"].values()
    }


def _same_words(response, example, *, date=None):
    """The API's 400 as the example shows it (the example's date for the case's)."""
    body = response.json()
    if date:
        body = {
            **body,
            "errors": {
                field: [re.sub(r"\d{1,2} [A-Z][a-z]+ \d{4}", date, m) for m in messages]
                for field, messages in body["errors"].items()
            },
        }
    assert response.status_code == 400
    assert body == example


@pytest.mark.parametrize(
    ("start", "body", "summary"),
    [
        (Stage.CHARGED, {"stage": Stage.CHARGED}, "A move to the stage the case is at"),
        (
            Stage.CLOSED,
            {"stage": Stage.CHARGED},
            "A closed case moved anywhere but back to investigation",
        ),
        (
            Stage.OUTCOME,
            {"stage": Stage.REPORTED},
            "A case with an outcome moved anywhere but to closed",
        ),
    ],
)
def test_the_stage_moves_the_schema_shows_are_refused_in_those_words(
    api, case, start, body, summary
):
    case.stage = start
    case.outcome = Outcome.CONVICTED if start == Stage.OUTCOME else ""
    case.closing_reason = ClosingReason.NO_SUSPECT if start == Stage.CLOSED else ""
    case.closed_at = timezone.now() if start == Stage.CLOSED else None
    case.save()
    path = "/api/v1/cases/{crime_reference}/stage-changes"
    response = api.post(
        path.format(crime_reference=case.crime_reference_normalised),
        body,
        format="json",
    )
    _same_words(response, _examples(api, path)[summary])


@pytest.mark.parametrize("operation", ["stage-changes", "updates"])
def test_the_times_the_schema_shows_are_refused_in_those_words(api, case, operation):
    path = f"/api/v1/cases/{{crime_reference}}/{operation}"
    url = path.format(crime_reference=case.crime_reference_normalised)
    examples = _examples(api, path)
    body = (
        {"stage": Stage.CHARGED}
        if operation == "stage-changes"
        else {"victim_text": "We have collected CCTV."}
    )
    future = (timezone.now() + timezone.timedelta(days=2)).isoformat()
    response = api.post(url, {**body, "occurred_at": future}, format="json")
    _same_words(response, examples["A time in the future"])
    response = api.post(
        url, {**body, "occurred_at": "2000-01-01T00:00:00Z"}, format="json"
    )
    _same_words(
        response,
        examples["A time before the case was reported"],
        date="2 November 2026",
    )


def test_the_push_refusals_the_schema_shows_are_in_the_apis_words(api, force):
    force.crime_reference_example = "NS/01234/26"
    force.save()
    examples = _examples(api, URL)
    _same_words(
        api.post(URL, _push(crime_reference="NS/1/26"), format="json"),
        examples["A reference in another format than the force's"],
    )
    _same_words(
        api.post(
            URL,
            _victim(contact_preference="email_and_sms", email=None, mobile=None),
            format="json",
        ),
        examples["A safe channel with no address, for a victim with none on record"],
    )
    _same_words(
        api.post(URL, _victim(enhanced_rights=True), format="json"),
        examples["Enhanced rights with no reason, for a victim with none on record"],
    )
    _same_words(
        api.post(URL, _victim(mobile="+44 7000 0"), format="json"),
        examples["A number written right that does not exist"],
    )
    twice = _push()["victims"][0] | {"external_reference": "P-100234"}
    _same_words(
        api.post(URL, _push(victims=[twice, twice]), format="json"),
        examples["The same victim twice"],
    )


def test_the_cursor_refusal_the_schema_shows_is_in_the_apis_words(api):
    _same_words(
        api.get(URL, {"cursor": "not-one-of-ours"}),
        _examples(api, URL, "get")["A cursor the API did not give"],
    )
