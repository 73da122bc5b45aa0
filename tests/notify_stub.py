"""A stand-in for the GOV.UK Notify API on 127.0.0.1, for tests.

It checks the JSON Web Token the real client signs, records every message it
accepts, and answers the way Notify does: 201 with an id, 400 for an invalid
recipient, 429 for the rate limit, 500 when it is unwell. With `rate_limit`
(requests, seconds) it counts every request, as Notify counts each API key's, and
answers 429 to any beyond that many in the last that many seconds. `script` decides, per
request, whether to fail, or (`Late`) to accept a message only after the client has
given up waiting, as Notify sometimes does; by default everything is accepted. A
look-up by reference lists every message accepted with it, so two sends of one
message show as two notifications, and `receipt` writes the delivery receipt Notify
would post for a message.
"""

import contextlib
import datetime
import json
import socket
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import jwt

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"tmc_test_key-{SERVICE_ID}-{SECRET}"


@dataclass
class Request:
    method: str
    path: str
    kind: str  # "email", "sms" or "lookup"
    reference: str = ""
    to: str = ""
    at: float = field(default_factory=time.monotonic)


@dataclass
class Failure:
    status: int
    message: str
    retry_after: float | None = None


@dataclass
class Late:
    """Accept the message, but only `seconds` after the request arrived: a client
    whose time-out is shorter has given up by then, and its look-up by reference
    finds nothing until then."""

    seconds: float


# Given a request and how many times this reference was asked for before, return a
# Failure to answer with, Late to accept it late, or None to accept it at once.
Script = Callable[[Request, int], Failure | Late | None]


class NotifyStub:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.accepted: list[dict] = []
        self.requests: list[tuple[Request, int]] = []
        self.script: Script | None = None
        self.rate_limit: tuple[int, float] | None = None
        self._arrivals: deque[float] = deque()
        self._tries: Counter = Counter()
        # TCP connections opened by clients, and those still open.
        self.connections = 0
        self._open: set[socket.socket] = set()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> "NotifyStub":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def close_connections(self) -> None:
        """Close every open connection from this end, as Notify does to idle ones."""
        with self.lock:
            for connection in self._open:
                connection.shutdown(socket.SHUT_RDWR)

    def sent_references(self) -> Counter:
        with self.lock:
            return Counter(message["reference"] for message in self.accepted)

    def messages(self) -> list[dict]:
        with self.lock:
            return list(self.accepted)

    def duplicates(self) -> int:
        """How many messages were accepted beyond the first for their reference."""
        sent = self.sent_references()
        return sum(sent.values()) - len(sent)

    @staticmethod
    def receipt(message: dict, status: str = "delivered") -> dict:
        """The delivery receipt Notify posts to our callback for `message`."""
        return {
            "id": message["id"],
            "reference": message["reference"],
            "to": message["to"],
            "status": status,
            "notification_type": message["type"],
        }

    def _over_rate_limit(self, request: Request) -> bool:
        """Count the request; whether it is beyond the limit (under the lock)."""
        if self.rate_limit is None:
            return False
        requests, seconds = self.rate_limit
        self._arrivals.append(request.at)
        while self._arrivals[0] <= request.at - seconds:
            self._arrivals.popleft()
        return len(self._arrivals) > requests

    def busiest_window(self, seconds: float) -> int:
        """The most requests that arrived within any `seconds` of one another."""
        with self.lock:
            times = sorted(request.at for request, _status in self.requests)
        most, start = 0, 0
        for end, at in enumerate(times):
            while times[start] <= at - seconds:
                start += 1
            most = max(most, end - start + 1)
        return most

    def _answer(self, request: Request, payload: dict) -> tuple[int, dict, dict]:
        with self.lock:
            tries = self._tries[(request.kind, request.reference)]
            self._tries[(request.kind, request.reference)] += 1
            limited = self._over_rate_limit(request)
        # Outside the lock: a script may take its time, as a slow Notify would.
        failure = self.script(request, tries) if self.script else None
        if limited:
            requests, seconds = self.rate_limit or (0, 0)
            failure = Failure(
                429,
                f"Exceeded rate limit for key type LIVE of {requests} requests per "
                f"{seconds:g} seconds",
            )
        if isinstance(failure, Late):
            time.sleep(failure.seconds)
            failure = None
        with self.lock:
            self.requests.append((request, failure.status if failure else 200))
            if failure is not None:
                headers = {}
                if failure.retry_after is not None:
                    headers["Retry-After"] = str(failure.retry_after)
                return (
                    failure.status,
                    headers,
                    {
                        "status_code": failure.status,
                        "errors": [{"error": "Error", "message": failure.message}],
                    },
                )
            if request.kind == "lookup":
                found = [
                    m for m in self.accepted if m["reference"] == request.reference
                ]
                return 200, {}, {"notifications": found, "links": {}}
            message = {
                "id": str(uuid.uuid4()),
                "type": request.kind,
                "to": request.to,
                "reference": request.reference,
                "template_id": payload.get("template_id"),
                "personalisation": payload.get("personalisation", {}),
                "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
            }
            self.accepted.append(message)
        return (
            201,
            {},
            {
                "id": message["id"],
                "reference": request.reference or None,
                "content": {},
                "uri": f"{self.url}/v2/notifications/{message['id']}",
                "template": {"id": message["template_id"], "version": 1, "uri": ""},
            },
        )

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            # Notify keeps connections open between requests, as HTTP/1.1 does;
            # without Nagle, the body written after the headers is not held back
            # until the client's delayed ACK.
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def setup(self):
                super().setup()
                with stub.lock:
                    stub.connections += 1
                    stub._open.add(self.connection)

            def finish(self):
                with stub.lock:
                    stub._open.discard(self.connection)
                super().finish()

            def log_message(self, *args):
                pass

            def _reply(self, status: int, headers: dict, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                # The client may have given up waiting (a Late answer).
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

            def _authorised(self) -> bool:
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                try:
                    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
                except jwt.PyJWTError:
                    return False
                return claims.get("iss") == SERVICE_ID

            def do_GET(self):
                if not self._authorised():
                    return self._reply(403, {}, {"status_code": 403, "errors": []})
                url = urlparse(self.path)
                reference = parse_qs(url.query).get("reference", [""])[0]
                request = Request("GET", url.path, "lookup", reference=reference)
                self._reply(*stub._answer(request, {}))

            def do_POST(self):
                # Read the body first: the connection may carry another request.
                length = int(self.headers.get("Content-Length", "0"))
                payload = json.loads(self.rfile.read(length) or b"{}")
                if not self._authorised():
                    return self._reply(403, {}, {"status_code": 403, "errors": []})
                kind = self.path.rstrip("/").rsplit("/", 1)[-1]
                request = Request(
                    "POST",
                    self.path,
                    kind,
                    reference=payload.get("reference") or "",
                    to=payload.get("email_address") or payload.get("phone_number", ""),
                )
                self._reply(*stub._answer(request, payload))

        return Handler


NOTIFY_TEMPLATE_IDS = {
    "email:update": "11111111-1111-4111-8111-111111111111",
    "email:update_detail": "22222222-2222-4222-8222-222222222222",
    "email:message": "33333333-3333-4333-8333-333333333333",
    "sms:update": "44444444-4444-4444-8444-444444444444",
    "sms:update_detail": "55555555-5555-4555-8555-555555555555",
    "sms:message": "66666666-6666-4666-8666-666666666666",
}


def notify_environment(stub: NotifyStub) -> dict[str, str]:
    """The settings, as environment variables, that point a process at the stub."""
    return {
        "NOTIFICATIONS_EMAIL_PROVIDER": "notify",
        "NOTIFICATIONS_SMS_PROVIDER": "notify",
        "NOTIFY_API_KEY": API_KEY,
        "NOTIFY_BASE_URL": stub.url,
        "NOTIFY_TIMEOUT_SECONDS": "5",
        **{
            f"NOTIFY_TEMPLATE_{key.replace(':', '_').upper()}": value
            for key, value in NOTIFY_TEMPLATE_IDS.items()
        },
    }


def notify_settings(stub: NotifyStub) -> dict:
    """The same settings, as Django settings, for the process that started the stub."""
    return {
        "NOTIFICATIONS_EMAIL_PROVIDER": "notify",
        "NOTIFICATIONS_SMS_PROVIDER": "notify",
        "NOTIFY_API_KEY": API_KEY,
        "NOTIFY_BASE_URL": stub.url,
        "NOTIFY_TIMEOUT_SECONDS": 5,
        "NOTIFY_TEMPLATES": dict(NOTIFY_TEMPLATE_IDS),
    }


def serve_in_process(pipe, answer_after: float) -> None:
    """Run a stub that takes `answer_after` seconds to answer every request, for a
    test that starts it in a process of its own (so that its work is not done by the
    process being timed): send its URL down `pipe`, and on any message from the test
    send back how many messages it accepted, and stop."""
    stub = NotifyStub().start()
    stub.script = lambda request, tries: time.sleep(answer_after)
    pipe.send(stub.url)
    pipe.recv()
    pipe.send(len(stub.messages()))
    stub.stop()
