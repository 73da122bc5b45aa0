"""The API keeps its published contract, fuzzed by schemathesis over every operation
with every check on.

Schemathesis reads /api/schema/ from the application itself (WSGI, no server) and
sends generated requests as the force's records system, in two runs:

- positive: requests the schema says are valid must be accepted
  (positive_data_acceptance), and every response must be one the schema lists, with
  the body, headers and content type it describes;
- negative: requests the schema says are not valid must be refused with a 4xx
  (negative_data_rejection), never a 2xx or a server error.

Every built-in check runs on every operation. Where a check cannot be satisfied by
any schema, the exception is narrow and documented in the schema itself:

- A few rules depend on the case as it stands, the force's own format or the time
  (a stage move, a time in the future, a reference in another force's format, a
  cursor the API did not give). The schema lists them as examples of the
  operation's 400 response; a positive request refused *only* for rules its
  operation's examples show is not held against positive_data_acceptance. Any
  other 400 to a schema-valid request fails the test.
- Which cases exist, which Idempotency-Keys were used (422 with another body) and
  which stage a case is at are state, not request: before each positive request
  the test makes the state one in which the request can succeed (the case the
  path names exists, no key has been used, the case is at a stage it can leave
  for the one requested). A reference with no letter or digit names no case
  (404, which positive_data_acceptance accepts).

The run is bounded and reproducible (max_examples, derandomize): about 50 s of CPU
on two cores; README.md has the figures.
"""

import datetime
import re
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from accounts.models import ApiClient
from accounts.services import api_secret_hash
from api.models import IdempotencyRecord
from cases.constants import Stage
from cases.models import Case, Force, normalise_crime_reference
from tests.factories import (
    CaseFactory,
    CaseVictimFactory,
    ForceFactory,
    StaffFactory,
)

# Generated requests per operation and run, on top of the schema's examples and the
# boundary cases schemathesis derives from the schema (its coverage phase).
POSITIVE_EXAMPLES = 60
NEGATIVE_EXAMPLES = 30
RUNS: dict[str, Counter] = {"positive": Counter(), "negative": Counter()}
EXCUSED: Counter[str] = Counter()

# The records system's token, fixed so the schema's configuration can carry it.
KEY_PREFIX = "c0ffee000000"
SECRET = "contract-test-secret-contract-test-secret-x"
TOKEN = f"tmc_{KEY_PREFIX}_{SECRET}"
REFERENCE = "NS/01234/26"


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    settings.API_REQUESTS_PER_MINUTE = 1_000_000


@pytest.fixture(autouse=True)
def keep_the_test_transaction():
    """Called as a real WSGI application, Django closes the database connection
    around each request, which would end the test's transaction; Django's own test
    client holds these signals back in the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def records_system_and_a_case(db):
    """A force, the case the schema's examples name, and its records system."""
    force = ForceFactory(
        code="ns",
        # Any reference the schema's pattern allows: generated pushes then create
        # cases, and their responses are checked too. A force's own, narrower
        # format is one of the 400s the schema shows by example.
        crime_reference_pattern=r"^.{1,40}$",
        crime_reference_example=REFERENCE,
    )
    case = CaseFactory(force=force, crime_reference=REFERENCE)
    CaseVictimFactory(case=case, victim__external_reference="P-100234")
    # The officer the schema's example reply names.
    StaffFactory(force=force, username="jevans")
    ApiClient.objects.create(
        force=force,
        name="Contract test RMS",
        key_prefix=KEY_PREFIX,
        secret_hash=api_secret_hash(SECRET),
    )


@pytest.fixture(scope="module", autouse=True)
def report_cases_run(request):
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None or not any(RUNS.values()):
        return
    with capture.global_and_fixture_disabled():
        for mode, statuses in RUNS.items():
            if not statuses:
                continue
            answers = ", ".join(f"{n} x {code}" for code, n in sorted(statuses.items()))
            reporter.write_line(
                f"\nschemathesis {mode}: {statuses.total()} requests; answers: "
                f"{answers}"
            )
        if EXCUSED:
            excused = ", ".join(f"{n} on {op}" for op, n in sorted(EXCUSED.items()))
            reporter.write_line(
                "schemathesis positive: refused only for rules the schema shows by "
                f"example: {excused}"
            )


def _config(mode: str) -> schemathesis.config.SchemathesisConfig:
    return schemathesis.config.SchemathesisConfig.from_dict(
        {
            "auth": {"openapi": {"apiClientToken": {"bearer": TOKEN}}},
            "generation": {"mode": mode},
        }
    )


# Loaded from the application when the tests are collected (the schema view reads
# no database).
positive_schema = schemathesis.openapi.from_wsgi(
    "/api/schema/?format=json", get_wsgi_application(), config=_config("positive")
)
negative_schema = schemathesis.openapi.from_wsgi(
    "/api/schema/?format=json", get_wsgi_application(), config=_config("negative")
)
BOUNDED = settings(
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


def _comparable(field: str, message: str) -> tuple[str, str]:
    """A field and message as the schema's examples write them: the first victim
    stands for any, a date for any date and a repeated reference for any."""
    message = re.sub(r"\d{1,2} [A-Z][a-z]+ \d{4}", "DATE", message)
    return (
        re.sub(r"\.\d+(?=\.|$)", ".0", field),
        re.sub(r"repeated: .*", "repeated: REFERENCES", message),
    )


def _refused_only_for_documented_rules(case, response) -> bool:
    """Whether every error in a 400 is one the operation's 400 examples show."""
    if response.status_code != 400 or response.json().get("code") != "invalid":
        return False
    content = case.operation.definition.raw["responses"]["400"]["content"]
    documented = {
        _comparable(field, message)
        for example in content["application/json"].get("examples", {}).values()
        for field, messages in example["value"]["errors"].items()
        for message in messages
    }
    return all(
        _comparable(field, message) in documented
        for field, messages in response.json()["errors"].items()
        for message in messages
    )


def _make_the_request_possible(case) -> None:
    """Make the state one in which this request can succeed: the case its path names
    exists and was reported in 1900, no Idempotency-Key has been used, and the case
    is at a stage it may leave for the one requested (moves depend on the case: a
    400 the schema shows by example)."""
    IdempotencyRecord.objects.all().delete()
    reference = (case.path_parameters or {}).get("crime_reference")
    if reference is None or not normalise_crime_reference(reference):
        return
    existing = Case.objects.filter(
        crime_reference_normalised=normalise_crime_reference(reference)
    )
    if not existing.exists():
        CaseFactory(force=Force.objects.get(code="ns"), crime_reference=reference)
    # Reported before any time the schema allows, so that only a time in the future
    # (which depends on the clock) is refused.
    existing.update(reported_on=datetime.date(1900, 1, 1))
    if isinstance(case.body, dict) and case.body.get("stage") in Stage.values:
        existing.update(
            stage=Stage.REPORTED
            if case.body["stage"] != Stage.REPORTED
            else Stage.UNDER_INVESTIGATION
        )


@positive_schema.parametrize()
@settings(BOUNDED, max_examples=POSITIVE_EXAMPLES)
def test_the_api_accepts_every_request_its_schema_allows(case):
    _make_the_request_possible(case)
    response = case.call()
    excused = _refused_only_for_documented_rules(case, response)
    if excused:
        EXCUSED[case.operation.label] += 1
    case.validate_response(
        response, excluded_checks=[positive_data_acceptance] if excused else []
    )
    RUNS["positive"][response.status_code] += 1


@negative_schema.parametrize()
@settings(BOUNDED, max_examples=NEGATIVE_EXAMPLES)
def test_the_api_refuses_every_request_its_schema_forbids(case):
    response = case.call_and_validate()
    RUNS["negative"][response.status_code] += 1


def test_every_check_schemathesis_has_runs():
    """Nothing is switched off: the configuration enables every built-in check, on
    every operation, with schemathesis's own expected statuses."""
    for schema in (positive_schema, negative_schema):
        checks = schema.config.checks_config_for()
        names = [
            name
            for name in type(checks).__dataclass_fields__
            if not name.startswith("_") and name != "max_response_time"
        ]
        assert len(names) >= 14
        assert all(getattr(checks, name).enabled for name in names), names
        for operation in schema.get_all_operations():
            config = schema.config.checks_config_for(operation=operation.ok())
            assert config.positive_data_acceptance.expected_statuses == [
                "2xx",
                "3xx",
                "401",
                "403",
                "404",
                "409",
                "429",
                "5xx",
            ]
