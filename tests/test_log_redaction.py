"""Request logs never carry a crime reference (API paths) or a search term."""

import datetime
import logging
from types import SimpleNamespace

from gunicorn.config import Config

from trackmycrime.log_redaction import RedactingGunicornLogger, redact_path

REFERENCE = "NS/12345/26"


def test_an_api_case_path_keeps_its_shape_but_not_its_reference():
    assert redact_path("/api/v1/cases/NS%2F12345%2F26/updates") == (
        "/api/v1/cases/{crime_reference}/updates"
    )
    assert redact_path("/api/v1/cases/NS-12345-26") == (
        "/api/v1/cases/{crime_reference}"
    )
    assert redact_path("/admin/cases/case/?q=NS-12345") == "/admin/cases/case/"
    assert redact_path("/api/v1/cases?updated_since=2026") == "/api/v1/cases"


def test_a_missing_case_is_logged_without_its_reference(api, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = api.get("/api/v1/cases/NS-99999-26")
    assert response.status_code == 404
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records
    for record in records:
        assert "99999" not in record.getMessage()
        assert "99999" not in str(vars(record))
    assert "/api/v1/cases/{crime_reference}" in records[0].getMessage()


def test_gunicorns_access_log_line_hides_references_and_searches():
    logger = RedactingGunicornLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/api/v1/cases/NS-12345-26/updates?x=1",
        "PATH_INFO": "/api/v1/cases/NS-12345-26/updates",
        "QUERY_STRING": "x=1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.0.2.1",
        "HTTP_REFERER": "https://tmc.example.org/admin/cases/case/?q=NS-12345-26",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    atoms = logger.atoms(
        response, SimpleNamespace(headers=[]), environ, datetime.timedelta(0)
    )
    line = logger.cfg.access_log_format % atoms
    assert "12345" not in line
    assert '"GET /api/v1/cases/{crime_reference}/updates HTTP/1.1" 200' in line
    assert '"https://tmc.example.org/admin/cases/case/"' in line
