"""The API keeps its published contract, fuzzed by schemathesis over every operation.

Schemathesis reads /api/schema/ from the application itself (WSGI, no server) and
sends generated requests, valid and invalid, as the force's records system: no
response may be a server error, and every response must be one the schema lists,
with the body, headers and content type it describes. Examples come first (they
name a case that exists), then boundary cases, then random ones, bounded so the run
takes a few minutes on two cores.
"""

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
from tests.factories import CaseFactory, CaseVictimFactory, ForceFactory

# Generated requests per operation, on top of the examples and boundary cases.
MAX_EXAMPLES = 300
STATUSES: Counter[int] = Counter()


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


# The records system's token, fixed so the schema's configuration can carry it.
KEY_PREFIX = "c0ffee000000"
SECRET = "contract-test-secret-contract-test-secret-x"
TOKEN = f"tmc_{KEY_PREFIX}_{SECRET}"


@pytest.fixture(autouse=True)
def records_system_and_a_case(db):
    """A force, the case the schema's examples name, and its records system."""
    force = ForceFactory(
        code="ns",
        # Any reference: generated pushes then create cases, and their responses
        # are checked too, rather than nearly all being refused for the format.
        crime_reference_pattern=r"^.{1,40}$",
        crime_reference_example="NS/01234/26",
    )
    case = CaseFactory(force=force, crime_reference="NS/01234/26")
    CaseVictimFactory(case=case, victim__external_reference="P-100234")
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
    if reporter is None or capture is None or not STATUSES:
        return
    with capture.global_and_fixture_disabled():
        answers = ", ".join(f"{n} x {status}" for status, n in sorted(STATUSES.items()))
        reporter.write_line(
            f"\nschemathesis: {STATUSES.total()} cases run against the schema; "
            f"answers: {answers}"
        )


# Loaded from the application when the tests are collected (the schema view reads
# no database).
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/?format=json",
    get_wsgi_application(),
    config=schemathesis.config.SchemathesisConfig.from_dict(
        {"auth": {"openapi": {"apiClientToken": {"bearer": TOKEN}}}}
    ),
)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_contract(case):
    # The schema cannot say which references a force uses, or which stage moves
    # are possible, so data valid by the schema alone may rightly get a 400.
    response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
    STATUSES[response.status_code] += 1
