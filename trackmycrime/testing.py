"""Helpers shared by the tests.

A test that needs something beyond the embedded default says so with one marker
(`postgres`, `redis`, `chromium`, `wrk`); `tests/conftest.py` checks each marker
before the test runs. On a developer's machine a missing service skips the test with
its reason; with REQUIRE_SERVICES=1 (CI) it fails instead.
"""

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


def services_required() -> bool:
    return os.environ.get("REQUIRE_SERVICES", "") in {"1", "true", "yes"}


def skip_or_fail(reason: str) -> None:
    if services_required():
        pytest.fail(f"REQUIRE_SERVICES is set but {reason}")
    pytest.skip(reason)


def require_postgres() -> None:
    if connection.vendor != "postgresql":
        skip_or_fail(
            "this test needs PostgreSQL: set DATABASE_URL to a postgres:// URL"
        )


def redis_url() -> str:
    """Return REDIS_URL; only for tests marked `redis`, which checked it answers."""
    return os.environ["REDIS_URL"]


def require_redis() -> None:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        skip_or_fail("this test needs Redis: set REDIS_URL")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        skip_or_fail(f"Redis at REDIS_URL does not answer: {error}")


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        skip_or_fail(
            f"this test needs Debian's chromium at {CHROMIUM}: apt-get install chromium"
        )
    if not (ROOT / "static" / "build" / "application.css").exists():
        skip_or_fail("this test needs the front end: run `make frontend`")


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        skip_or_fail("this test needs wrk (apt-get install wrk)")


# What each marker needs, checked in this one place (tests/conftest.py).
SERVICE_MARKERS: dict[str, Callable[[], None]] = {
    "postgres": require_postgres,
    "redis": require_redis,
    "chromium": require_chromium,
    "wrk": require_wrk,
}


def _free_port(ports: range) -> int:
    import socket

    for port in ports:
        with socket.socket() as probe:
            # As redis-server and PostgreSQL do: a port left in TIME_WAIT by an
            # earlier test's server is free to listen on.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip(f"no free port in {ports.start}-{ports.stop - 1}")


class PrivateRedis:
    """A Redis of one test's own, on a private port (6391-6395), for a test to stop,
    kill or freeze without touching the machine's shared one."""

    PORTS = range(6391, 6396)

    def __init__(self) -> None:
        import subprocess

        if shutil.which("redis-server") is None:
            skip_or_fail("this test needs redis-server on the PATH")
        self.port = _free_port(self.PORTS)
        self.process = subprocess.Popen(  # noqa: S603
            [  # noqa: S607
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_until_it_answers()

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def _wait_until_it_answers(self) -> None:
        import time

        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        for _ in range(50):
            try:
                client.ping()
                return
            except redis.RedisError:
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"redis-server on port {self.port} did not start")

    def freeze(self) -> None:
        """Stop the process without closing its sockets: connections are accepted
        by the kernel and then nothing answers, as with a hung Redis."""
        import signal

        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        import signal

        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.thaw()
            self.process.kill()
        self.process.wait(timeout=10)


POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")


class PrivatePostgres:
    """A throwaway PostgreSQL cluster on a private port (5441-5445), in a directory
    of its own, for a test to stop or freeze; run as the postgres user when the tests
    run as root (initdb refuses root). `remove` stops it and deletes it."""

    PORTS = range(5441, 5446)

    def __init__(self) -> None:
        import tempfile

        if not (POSTGRES_BIN / "initdb").exists():
            skip_or_fail(f"this test needs PostgreSQL's programs in {POSTGRES_BIN}")
        self.port = _free_port(self.PORTS)
        directory = Path(tempfile.mkdtemp(prefix="tmc-postgres-"))
        self.directory = directory
        self.data = directory / "data"
        self._as_owner: list[str] = []
        if os.geteuid() == 0:
            import pwd

            owner = pwd.getpwnam("postgres")
            os.chown(directory, owner.pw_uid, owner.pw_gid)
            self._as_owner = ["runuser", "-u", "postgres", "--"]
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        )

    def _run(self, program: str, *args: str) -> None:
        import subprocess

        subprocess.run(  # noqa: S603
            [*self._as_owner, str(POSTGRES_BIN / program), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def start(self) -> None:
        if self.running:
            return
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off",
            "-l",
            str(self.directory / "log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        """Stop at once, as a crash would, closing every connection."""
        if self.running:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def settings_dict(self, template: dict) -> dict:
        """Django's settings for this cluster's `postgres` database, with the rest
        (time-outs, connection age) as in `template`."""
        return {
            **template,
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "postgres",
            "USER": "postgres",
            "PASSWORD": "",
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
        }
