"""Two requests at once, on PostgreSQL: the same Idempotency-Key is carried out once,
and a case pushed twice at once is created once, the loser told to send again."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.services import api_client_create
from cases.models import Case, TimelineEntry
from tests.factories import CaseFactory, ForceFactory

pytestmark = pytest.mark.postgres


def _at_once(token, url, body, headers, count=2):
    """Send `count` identical requests in threads released together."""
    barrier = threading.Barrier(count)
    results = []

    def send():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            barrier.wait()
            response = client.post(url, body, format="json", **headers)
            results.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.fixture
def setup(transactional_db):
    force = ForceFactory(code="ns")
    _, token = api_client_create(force=force, name="RMS", actor=None)
    return force, token


def test_one_key_sent_twice_at_once_is_carried_out_once(setup):
    force, token = setup
    CaseFactory(force=force, crime_reference="NS/00001/26")
    results = _at_once(
        token,
        "/api/v1/cases/NS0000126/updates",
        {"victim_text": "We have the CCTV."},
        {"HTTP_IDEMPOTENCY_KEY": "same-key"},
        count=4,
    )
    assert [status for status, _ in results] == [201] * 4
    assert len({body["id"] for _, body in results}) == 1
    assert TimelineEntry.objects.count() == 1


def test_one_new_case_pushed_twice_at_once_is_created_once(setup):
    _, token = setup
    body = {
        "crime_reference": "NS/01234/26",
        "offence_category": "theft",
        "victim_description": "Theft of your bicycle",
    }
    results = _at_once(token, "/api/v1/cases", body, {}, count=4)
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 1
    assert set(statuses) <= {200, 201, 409}
    assert Case.objects.count() == 1
