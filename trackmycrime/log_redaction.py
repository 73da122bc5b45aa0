"""Keep crime references and search terms out of every log line.

The API addresses a case by its crime reference (`/api/v1/cases/<reference>`) and
staff search the admin with `?q=`: a path logged as it came would put both in the
logs, which are kept longer and seen more widely than the records. Every line is
redacted by one function, `redact`, wherever it is written:

1. gunicorn's access log, through `RedactingGunicornLogger.atoms`;
2. gunicorn's error log ("Error handling request POST /api/v1/cases/...", written
   when a worker times out), through the filter the same logger adds to it;
3. everything Django and the service log (django.request, django.server,
   django.security, our own loggers), through the filter on the console handler
   (settings.LOGGING), which sees every record whichever logger wrote it;
4. a Celery worker's log, through the same filter on the handlers Celery sets up
   (trackmycrime/celery.py). Tasks take ids, never a reference, but an error's
   message or a request path in a traceback would still pass through here.
"""

import logging
import re
from urllib.parse import quote, urlsplit, urlunsplit

from django.http import HttpRequest
from gunicorn.glogging import Logger

PLACEHOLDER = "{crime_reference}"
REDACTED = "{redacted}"
# Everything after /api/v1/cases/ up to the end of the path, but a known action: a
# reference may hold (encoded) slashes, so no single segment is "the" reference.
API_CASE_PATH = re.compile(r"^(/api/v1/cases/)[^\s\"'?#]*?(/updates|/stage-changes)?$")
# Paths whose digits are the site's own: built files, and an admin record's id.
KEEPS_DIGITS = re.compile(
    r"^/static/|^/admin/[a-z_]+/[a-z_]+/\d+/(change|delete|history)/$"
)
# A path in running text: starts a word (not a file's name in a traceback, which
# follows a quote, nor the host part of a URL, which follows "//").
PATH_IN_TEXT = re.compile(r"(?<![\w\"'/:.])/[^\s\"'#]*")
# What a LogRecord carries of its own; anything else on it came from `extra=`, which
# a JSON formatter writes out too.
_RECORD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _redact_one_path(path: str) -> str:
    path = path.split("?", 1)[0]
    if match := API_CASE_PATH.match(path):
        return f"{match[1]}{PLACEHOLDER}{match[2] or ''}"
    if KEEPS_DIGITS.match(path):
        return path
    # Anywhere else a segment with a digit in it may be someone's crime reference
    # (a 404 for /NS-30046-26/); the site's own paths have none but /api/v1/.
    return "/".join(
        REDACTED if segment != "v1" and any(c.isdigit() for c in segment) else segment
        for segment in path.split("/")
    )


def redact(text: str) -> str:
    """Return `text` with every URL path in it redacted: no query string, no API
    case's crime reference, and no other path segment with a digit in it, where a
    reference could be, but a static file's name or an admin record's id."""
    return PATH_IN_TEXT.sub(lambda match: _redact_one_path(match[0]), text)


def redact_path(path: str) -> str:
    """The same for a path on its own, which may hold spaces once decoded."""
    return redact(quote(path, safe="/?=&%:;,+@!$'()*~"))


def redact_url(url: str) -> str:
    """The same for a full URL (a Referer), keeping its scheme and host."""
    if not url or url == "-":
        return url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, redact_path(parts.path), "", ""))


def _redact_value(value):
    if isinstance(value, str):
        return redact_path(value) if value.startswith("/") else redact(value)
    if isinstance(value, HttpRequest):
        return f"{value.method} {redact_path(value.path)}"
    return value


class RedactLogRecords(logging.Filter):
    """Redact a record's message, arguments, extras and traceback before any
    formatter sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):
            record.args = {k: _redact_value(v) for k, v in record.args.items()}
        elif record.args:
            record.args = tuple(_redact_value(arg) for arg in record.args)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg, record.args = redact(message), ()
        for name, value in list(vars(record).items()):
            if name not in _RECORD_ATTRIBUTES:
                setattr(record, name, _redact_value(value))
        if record.exc_info:
            # Formatted here so that no formatter formats the original again.
            text = record.exc_text or logging.Formatter().formatException(
                record.exc_info
            )
            record.exc_info, record.exc_text = None, redact(text)
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


# The name settings.LOGGING used before the filter covered every record.
RedactRequestPaths = RedactLogRecords


class RedactingGunicornLogger(Logger):
    """gunicorn's logs with every path redacted (configured in gunicorn.conf.py):
    the access log's request line, path and referer, and the error log's lines."""

    def setup(self, cfg):
        super().setup(cfg)
        self.error_log.addFilter(_GUNICORN_FILTER)
        self.access_log.addFilter(_GUNICORN_FILTER)

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        method, protocol = environ["REQUEST_METHOD"], environ["SERVER_PROTOCOL"]
        atoms["r"] = f"{method} {redact_path(environ['RAW_URI'])} {protocol}"
        atoms["U"] = redact_path(environ.get("PATH_INFO") or "")
        atoms["q"] = "-"
        atoms["f"] = redact_url(atoms["f"])
        return atoms


_GUNICORN_FILTER = RedactLogRecords()
