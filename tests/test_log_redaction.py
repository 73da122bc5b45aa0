"""Request logs never carry a crime reference (API paths) or a search term."""

import datetime
import logging
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from gunicorn.config import Config

from tests.html_forms import form_fields
from tests.portal import latest_code
from trackmycrime.log_redaction import RedactingGunicornLogger, redact_path
from trackmycrime.testing import ROOT

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


def _manage(env, *args) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


JOURNEY_REFERENCE = "NS/30046/26"
# Every way the pushed case's reference (and the demo victim's) may be written.
LEAKS = [
    "30046",
    "10001/26",
    "10001-26",
    "10001%2F26",
    "NS1000126",
    "10001 26",
]


@pytest.fixture
def gunicorn_site(tmp_path):
    """The service under real gunicorn (its config, its loggers, an 8-second worker
    time-out) on a fresh embedded database with the demo data, with every line it
    logs going to one file."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DATABASE_SERVICE_ROLE"}
    }
    env.update(
        DEBUG="true",
        VAR_DIR=str(tmp_path / "var"),
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
        NOTIFICATIONS_EMAIL_PROVIDER="file",
        NOTIFICATIONS_SMS_PROVIDER="file",
    )
    _manage(env, "migrate", "--noinput", "-v0")
    seeded = _manage(env, "seed_demo")
    backup = re.search(r"demo\.supervisor\s+backup code (\S+)", seeded).group(1)
    created = _manage(env, "create_api_client", "Niche RMS", "--force", "ns")
    token = re.search(r"Token:\s+(\S+)", created).group(1)
    port = _free_port()
    log = tmp_path / "all.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "tests.slow_wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--timeout",
                "8",
                "--graceful-timeout",
                "1",
                "--access-logfile",
                "-",
                "--error-logfile",
                "-",
                "--log-level",
                "debug",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(url + "/healthz", timeout=5)
            break
        except requests.RequestException:
            time.sleep(0.2)
    try:
        yield {
            "url": url,
            "log": log,
            "token": token,
            "backup": backup,
            "outbox": tmp_path / "var" / "outbox",
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


def _push_case(site) -> None:
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {site['token']}"
    body: dict[str, Any] = {
        "crime_reference": JOURNEY_REFERENCE,
        "offence_category": "burglary",
        "victim_description": "Burglary at your home",
        "reported_on": "2026-11-01",
        "victims": [
            {
                "external_reference": "P-1",
                "full_name": "Aisha Khan",
                "email": "journey@example.com",
                "contact_preference": "email",
            }
        ],
    }
    assert api.post(site["url"] + "/api/v1/cases", json=body).status_code == 201
    for path in ("NS-30046-26", "NS3004626", "NS 30046 26"):
        case_url = f"{site['url']}/api/v1/cases/{path}"
        assert api.get(case_url).status_code == 200
        update = {"victim_text": "We have the CCTV."}
        assert api.post(case_url + "/updates", json=update).status_code == 201
    for missing in ("NS-30046-27", "NS/30046/26", "NS%2F30046%2F26"):
        assert api.get(f"{site['url']}/api/v1/cases/{missing}").status_code == 404
    assert requests.get(site["url"] + "/NS-30046-26/", timeout=10).status_code == 404
    # A request that takes longer than gunicorn's time-out: the worker is killed
    # mid-request and gunicorn's error log names the request.
    with pytest.raises(requests.RequestException):
        api.post(
            site["url"] + "/api/v1/cases/NS-30046-26/updates",
            json={"victim_text": "Slow"},
            headers={"X-Test-Sleep": "60"},
            timeout=90,
        ).raise_for_status()


def _victim_reads_their_case(site) -> None:
    victim = requests.Session()
    page = victim.get(site["url"] + "/sign-in/")
    fields = dict(form_fields(page.text))
    fields.update(crime_reference="NS/10001/26", contact="aisha.khan@example.com")
    assert victim.post(site["url"] + "/sign-in/", data=fields).status_code == 200
    page = victim.get(site["url"] + "/sign-in/code/")
    fields = dict(form_fields(page.text))
    fields["code"] = latest_code(site["outbox"])
    response = victim.post(site["url"] + "/sign-in/code/", data=fields)
    assert response.url.endswith("/case/"), response.url
    assert "NS/10001/26" in response.text


def _supervisor_changes_the_case(site) -> None:
    staff = requests.Session()
    page = staff.get(site["url"] + "/admin/login/")
    sign_in = dict(form_fields(page.text))
    sign_in.update(
        username="demo.supervisor",
        password="demo-password-local-only",
        otp_token=site["backup"],
    )
    response = staff.post(site["url"] + "/admin/login/?next=/admin/", data=sign_in)
    assert response.url == site["url"] + "/admin/", re.findall(
        r"errornote[^>]*>(.*?)<", response.text, re.S
    )
    found = staff.get(site["url"] + "/admin/cases/case/", params={"q": "NS/30046/26"})
    link = re.search(r'href="(/admin/cases/case/\d+/change/)', found.text)
    assert link, (found.url, re.findall(r"errornote[^>]*>(.*?)<", found.text))
    change = link.group(1)
    page = staff.get(site["url"] + change)
    fields = [
        (name, "Burglary at your home, changed" if name == "victim_description" else v)
        for name, v in form_fields(page.text, "case_form")
    ]
    response = staff.post(
        site["url"] + change, data=fields, headers={"Referer": site["url"] + change}
    )
    assert response.status_code == 200
    assert "was changed successfully" in response.text, re.findall(
        r"errorlist[^>]*>(.*?)</ul>", response.text, re.S
    )
    staff.get(site["url"] + "/admin/cases/case/NS-30046-26/change/")


def test_no_log_line_carries_a_crime_reference_through_a_whole_journey(
    gunicorn_site,
):
    _push_case(gunicorn_site)
    _victim_reads_their_case(gunicorn_site)
    _supervisor_changes_the_case(gunicorn_site)
    time.sleep(1)
    lines = gunicorn_site["log"].read_text().splitlines()
    # The journey was logged, the time-out and the 404s included.
    text = "\n".join(lines)
    assert "WORKER TIMEOUT" in text
    assert "Error handling request POST /api/v1/cases/{crime_reference}/updates" in text
    assert "Not Found: /api/v1/cases/{crime_reference}" in text
    assert '"POST /admin/cases/case/' in text
    assert '"GET /case/ HTTP/1.1" 200' in text
    leaking = [line for line in lines if any(leak in line for leak in LEAKS)]
    assert leaking == []


def test_a_404_for_any_path_with_a_reference_in_it_is_logged_without_it():
    assert redact_path("/NS-30046-26/") == "/{redacted}/"
    assert redact_path("/admin/cases/case/NS-30046-26/change/") == (
        "/admin/cases/case/{redacted}/change/"
    )
    # The site's own digits stay: an admin record's id, a built file, the API's v1.
    assert redact_path("/admin/cases/case/13/change/") == "/admin/cases/case/13/change/"
    assert redact_path("/static/build/app.3f2a.css") == "/static/build/app.3f2a.css"
    assert redact_path("/api/v1/cases") == "/api/v1/cases"


def test_a_traceback_and_the_extras_a_json_line_carries_are_redacted_too():
    from pythonjsonlogger.json import JsonFormatter

    from trackmycrime.log_redaction import RedactLogRecords

    try:
        raise ValueError("no case at /api/v1/cases/NS-30046-26/updates")
    except ValueError:
        record = logging.getLogger("tmc.test").makeRecord(
            "tmc.test",
            logging.ERROR,
            __file__,
            1,
            "Error handling request %s %s",
            ("POST", "/api/v1/cases/NS-30046-26/updates?x=NS-30046-26"),
            sys.exc_info(),
            extra={"path": "/api/v1/cases/NS-30046-26"},
        )
    assert RedactLogRecords().filter(record)
    for formatter in (logging.Formatter(), JsonFormatter()):
        line = formatter.format(record)
        assert "30046" not in line
        assert "/api/v1/cases/{crime_reference}/updates" in line


def test_a_celery_workers_own_handlers_get_the_filter():
    from trackmycrime.celery import redact_worker_logs
    from trackmycrime.log_redaction import RedactLogRecords

    worker_root = logging.Logger("worker-root")
    worker_root.addHandler(logging.StreamHandler())
    redact_worker_logs(logger=worker_root)
    redact_worker_logs(logger=worker_root)
    (handler,) = worker_root.handlers
    assert [type(f) for f in handler.filters] == [RedactLogRecords]
