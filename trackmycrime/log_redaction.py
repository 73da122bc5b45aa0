"""Keep crime references and search terms out of request logs.

The API addresses a case by its crime reference (`/api/v1/cases/<reference>`) and
staff search the admin with `?q=`: a request line logged as it came would put both
in the logs, which are kept longer and seen more widely than the records.
"""

import logging
import re
from urllib.parse import urlsplit, urlunsplit

from gunicorn.glogging import Logger

API_CASE_PATH = re.compile(r"^(/api/v1/cases/)[^/]+")
REDACTED_REFERENCE = r"\1{crime_reference}"


def redact_path(path: str) -> str:
    """Return `path` without its query string, and with any API case's crime
    reference replaced by a placeholder."""
    return API_CASE_PATH.sub(REDACTED_REFERENCE, path.split("?", 1)[0])


def redact_url(url: str) -> str:
    """The same for a full URL (a Referer), keeping its scheme and host."""
    if not url or url == "-":
        return url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, redact_path(parts.path), "", ""))


class RedactingGunicornLogger(Logger):
    """gunicorn's access log with the request line, path and referer redacted
    (configured in gunicorn.conf.py)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        method, protocol = environ["REQUEST_METHOD"], environ["SERVER_PROTOCOL"]
        atoms["r"] = f"{method} {redact_path(environ['RAW_URI'])} {protocol}"
        atoms["U"] = redact_path(environ.get("PATH_INFO") or "")
        atoms["q"] = "-"
        atoms["f"] = redact_url(atoms["f"])
        return atoms


def _is_path(value) -> bool:
    return isinstance(value, str) and value.startswith("/")


class RedactRequestPaths(logging.Filter):
    """For Django's request loggers ("Not Found: /api/v1/cases/..."): redact the
    path in the message and replace the request kept on the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_path(arg)
                if isinstance(arg, str) and arg.startswith("/")
                else arg
                for arg in record.args
            )
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "path"):
            record.request = f"{request.method} {redact_path(request.path)}"
        return True
