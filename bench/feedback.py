"""Victim Voice at scale: 1,000,000 responses across 5 forces, then the analysts'
dashboard (one force's year, a fifth of them) and the public page read from its
snapshot, timed in-process through Django's client.

    python -m bench.feedback                 # 1,000,000 responses, on its own
    python -m bench.feedback --responses 200000

`make bench` runs it too (bench/run.py). Responses are written with COPY, straight
to the table: the pool and its batches are not what is measured here.
"""

import argparse
import os
import sys
import time

FORCES = 5


def _forces() -> list:
    from bench.data import bench_force
    from cases.models import Force

    forces = [bench_force()]
    for number in range(2, FORCES + 1):
        force, _ = Force.objects.get_or_create(
            code=f"bench{number}",
            defaults={
                "name": f"Benchmark Force {number}",
                "crime_reference_pattern": r"^BX\d{7}\d{2}$",
                "crime_reference_example": "BX/0000001/26",
            },
        )
        forces.append(force)
    return forces


def load_feedback(count: int) -> dict:
    """Write `count` made-up responses, spread over 5 forces and 12 months, and
    count their groups."""
    from django.db import connection

    from feedback.demo import demo_responses
    from feedback.models import FeedbackResponse

    started = time.perf_counter()
    forces = _forces()
    columns = [
        "id",
        "force_id",
        "month",
        "offence_group",
        "stage_group",
        "wave",
        "language",
        "via",
        "overall",
        "informed",
        "fairness",
        "contact",
        "improve",
    ]
    table = FeedbackResponse._meta.db_table
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for index, force in enumerate(forces):
                share = count // FORCES + (1 if index < count % FORCES else 0)
                for response in demo_responses(
                    force_id=force.pk, count=share, seed=index
                ):
                    copy.write_row([getattr(response, c) for c in columns])
        cursor.execute(f"ANALYZE {table}")
    from feedback.services import feedback_counts_rebuild

    groups = feedback_counts_rebuild()
    return {
        "responses": count,
        "forces": FORCES,
        "groups": groups,
        "seconds": round(time.perf_counter() - started, 1),
    }


def measure_feedback(*, repeat: int) -> dict:
    """The dashboard's p50/p95 for one force's year, the snapshot refresh for every
    force, and the public page's p50/p95 from its snapshot."""
    from django.test import Client

    from bench.data import bench_force
    from bench.scale import _staff_client
    from bench.timing import time_calls
    from feedback.analysis import feedback_snapshots_refresh

    force = bench_force()
    staff = _staff_client(force)

    def dashboard():
        response = staff.get("/admin/feedback/feedbackresponse/", {"months": "12"})
        assert response.status_code == 200, response.status_code

    started = time.perf_counter()
    feedback_snapshots_refresh()
    refresh_seconds = round(time.perf_counter() - started, 2)
    public = Client(SERVER_NAME="localhost")

    def public_page():
        response = public.get(f"/how-we-are-doing/{force.code}/")
        assert response.status_code == 200, response.status_code

    return {
        "dashboard": time_calls(dashboard, repeat=repeat),
        "public_page": time_calls(public_page, repeat=max(repeat, 20)),
        "snapshot_refresh_seconds": refresh_seconds,
    }


def main(argv: list[str] | None = None) -> int:
    from bench.run import (
        DEFAULT_DATABASE_URL,
        DEFAULT_REDIS_URL,
        _recreate_database,
        _setup_django,
    )
    from bench.web import production_env

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    )
    args = parser.parse_args(argv)
    env = production_env(DATABASE_URL=args.database_url, REDIS_URL=args.redis_url)
    _recreate_database(args.database_url)
    _setup_django(env)
    loaded = load_feedback(args.responses)
    measured = measure_feedback(repeat=args.repeat)
    print(f"Loaded {loaded['responses']:,} responses in {loaded['seconds']} s")
    for name in ("dashboard", "public_page"):
        timing = measured[name]
        print(f"  {name:<12} p50 {timing['p50_ms']:.2f}  p95 {timing['p95_ms']:.2f} ms")
    print(f"  snapshots refreshed in {measured['snapshot_refresh_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
