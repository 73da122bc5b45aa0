"""The API refuses JSON nested deeper than API_MAX_JSON_DEPTH with a 400 in its own
error format, before parsing could recurse and fail with a 500."""

import json
import time

import pytest
from django.test import override_settings

from api.json_depth import json_depth_exceeds
from cases.models import Case

URL = "/api/v1/cases"


def _post_raw(api, body: str, url: str = URL):
    return api.generic("POST", url, body, content_type="application/json")


def _assert_refused_as_too_deep(response):
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "too_deep"
    assert "nested too deeply" in body["detail"]
    assert "32" in body["detail"]


def _push(**changes):
    body = {
        "crime_reference": "NS/01234/26",
        "offence_category": "burglary",
        "victim_description": "Burglary at your home",
        "victims": [
            {
                "external_reference": "P-1",
                "full_name": "Aisha Khan",
                "email": "aisha@example.com",
                "contact_preference": "email",
            }
        ],
    }
    body.update(changes)
    return body


def test_100000_nested_arrays_are_refused_with_a_400(api):
    body = "[" * 100_000 + "]" * 100_000
    assert len(body) < 256 * 1024
    _assert_refused_as_too_deep(_post_raw(api, body))
    assert Case.objects.count() == 0


def test_20000_nested_objects_are_refused_with_a_400(api):
    body = '{"a":' * 20_000 + "1" + "}" * 20_000
    assert len(body) < 256 * 1024
    _assert_refused_as_too_deep(_post_raw(api, body))


def test_deep_nesting_inside_victims_is_refused_with_a_400(api):
    deep = "[" * 50_000 + "]" * 50_000
    body = json.dumps(_push()).replace(
        '"full_name": "Aisha Khan"', f'"full_name": {deep}'
    )
    assert deep in body
    _assert_refused_as_too_deep(_post_raw(api, body))
    assert Case.objects.count() == 0


def test_deep_nesting_is_refused_on_every_write(api, case):
    deep = '{"victim_text": ' + "[" * 10_000 + "]" * 10_000 + "}"
    for url in (
        f"/api/v1/cases/{case.crime_reference_normalised}/updates",
        f"/api/v1/cases/{case.crime_reference_normalised}/stage-changes",
    ):
        _assert_refused_as_too_deep(_post_raw(api, deep, url))
    assert case.timeline.count() == 0


def test_a_body_at_the_limit_is_parsed_and_checked_as_usual(api):
    # 32 levels: the push's own object, then 31 arrays in one field.
    body = json.dumps(_push(victim_description=[[]]))
    body = body.replace("[[]]", "[" * 31 + "]" * 31)
    response = _post_raw(api, body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == ["victim_description"]


def test_one_level_over_the_limit_is_refused(api):
    body = json.dumps(_push(victim_description=[[]]))
    body = body.replace("[[]]", "[" * 32 + "]" * 32)
    _assert_refused_as_too_deep(_post_raw(api, body))


def test_a_legitimately_nested_push_still_works(api):
    response = api.post(URL, _push(), format="json")
    assert response.status_code == 201, response.json()
    assert Case.objects.get().victims.get().full_name == "Aisha Khan"


def test_brackets_inside_text_do_not_count_as_nesting(api):
    brackets = "[{" * 90 + '\\"[' + "}]" * 90
    response = api.post(
        URL, _push(victim_description=f"Damage {brackets[:150]}"), format="json"
    )
    assert response.status_code == 201, response.json()
    assert Case.objects.get().victim_description.startswith("Damage [{[{")


@override_settings(API_MAX_JSON_DEPTH=4)
def test_the_limit_is_a_setting(api):
    body = json.dumps(_push(victim_description=[[[[]]]]))
    _assert_refused_as_too_deep_at(_post_raw(api, body), 4)
    assert api.post(URL, _push(), format="json").status_code == 201


def _assert_refused_as_too_deep_at(response, limit):
    assert response.status_code == 400
    assert response.json()["code"] == "too_deep"
    assert f"no more than {limit} levels" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "deeper_than_two"),
    [
        (b"[[]]", False),
        (b"[[[]]]", True),
        (b'{"a": {"b": {}}}', True),
        (b'["[[[[", "]]]]"]', False),
        # An escaped quote does not end a string; an escaped backslash does not
        # escape the quote after it.
        (b'["\\"[[[[["]', False),
        (b'["\\\\", [[]]]', True),
        (b"[[], [], [], []]", False),
    ],
)
def test_the_scan_counts_only_brackets_outside_strings(body, deeper_than_two):
    assert json.loads(body) is not None
    assert json_depth_exceeds(body, 2) is deeper_than_two


def test_the_scan_of_a_full_body_of_shallow_brackets_is_quick():
    body = b"[" + b"[]," * 87_000 + b"[]]"
    started = time.perf_counter()
    assert json_depth_exceeds(body, 32) is False
    assert time.perf_counter() - started < 1.0
