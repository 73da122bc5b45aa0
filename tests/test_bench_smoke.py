"""The benchmark at tiny sizes, so that `make bench` cannot rot unnoticed.

It runs the real thing (its own database, gunicorn, wrk, a Celery worker) and checks
that every figure is reported; the targets are judged only at full size.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from trackmycrime.testing import redis_url

ROOT = Path(__file__).resolve().parent.parent


def _bench_urls() -> tuple[str, str]:
    database_url = os.environ["DATABASE_URL"]
    base, name = database_url.rsplit("/", 1)
    return f"{base}/{name}_bench_smoke", redis_url().rsplit("/", 1)[0] + "/8"


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.wrk
def test_the_benchmark_reports_every_figure(tmp_path):
    database_url, redis_url = _bench_urls()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--smoke",
            "--database-url",
            database_url,
            "--redis-url",
            redis_url,
            "--output",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    figures = json.loads((tmp_path / "smoke.json").read_text())
    assert figures["machine"]["cores"] >= 1
    assert {"python", "django", "postgresql", "redis", "wrk"} <= set(
        figures["versions"]
    )
    for size in ("small", "large"):
        scale = figures["scale"][size]
        assert scale["case_page"]["p95_ms"] > 0
        assert scale["sign_in_look_up"]["p95_ms"] > 0
        assert set(scale["admin_case_list"]) == {
            "default_page",
            "search_by_reference",
            "filter_by_stage",
        }
        assert set(scale["officer_pages"]) == {
            "my_work",
            "compliance",
            "messages_inbox",
        }
        assert scale["messages_page"]["p95_ms"] > 0
    # The same number of queries at either size.
    small, large = figures["scale"]["small"], figures["scale"]["large"]
    assert small["messages_page_queries"] == large["messages_page_queries"]
    assert small["messages_inbox_queries"] == large["messages_inbox_queries"]
    assert figures["web"]["case_page"]["requests_per_second"] > 0
    assert figures["web"]["health_check"]["requests_per_second"] > 0
    assert figures["web"]["web_worker_peak_rss_mb"] > 0
    pipeline = figures["pipeline"]
    assert pipeline["messages"]["count"] == 20
    assert pipeline["messages"]["duplicates"] == 0
    assert pipeline["messages"]["lost"] == 0
    assert pipeline["celery_worker_peak_rss_mb"] > 0
    paced = pipeline["paced"]
    assert paced["messages"] == 60
    assert paced["refused_429"] == 0
    assert 0 < paced["busiest_window"] <= paced["limit"]
    assert paced["drain_seconds"] > 0 and paced["rate_vs_limit"] > 0
    codes = pipeline["code_ahead"]
    assert codes["codes"] == len(codes["seconds"]) == 2
    assert all(waiting > 0 for waiting in codes["updates_waiting"])
    assert set(figures["targets"]) == {
        "case_page_ratio",
        "case_page_p95_growth",
        "officer_pages_p95_ms",
        "admin_list_p95_ms",
        "pipeline_ratio",
        "feedback_dashboard_p95_ms",
        "public_page_p95_ms",
        "messages_page_vs_case_page_p95",
        "messages_inbox_p95_ms",
        "survey_post_vs_case_page_p95",
        "paced_429s",
        "paced_rate_vs_limit",
        "code_behind_backlog_s",
    }
    assert figures["feedback"]["dashboard"]["p95_ms"] > 0
    assert figures["feedback"]["public_page"]["p95_ms"] > 0
    assert "Targets:" in result.stdout
