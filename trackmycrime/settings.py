"""Django settings for Track My Crime.

Every value comes from the environment through `trackmycrime.env`; `.env.example` lists
them all. With DEBUG off the service refuses to start on an insecure default.
"""

import datetime
import re
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp import constants as csp_constants
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from trackmycrime.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

_DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-never-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", _DEVELOPMENT_SECRET_KEY if DEBUG else "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

if not DEBUG:
    if (
        len(SECRET_KEY) < 50
        or len(set(SECRET_KEY)) < 5
        or SECRET_KEY.startswith("django-insecure")
    ):
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random value of at least 50 characters when "
            "DEBUG is off (for local development, set DEBUG=true)."
        )
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS must list this service's host names when DEBUG is off; "
            "'*' is not allowed."
        )

INSTALLED_APPS = [
    "trackmycrime.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "phonenumber_field",
    "axes",
    "accounts",
    "audit",
    "cases",
    "victims",
    "notifications",
    "conversations",
    "rights",
    "privacy",
    "pages",
    "feedback",
]

MIDDLEWARE = [
    "audit.middleware.AuditClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A NUL in a search, filter, form, path or cookie: 400, before any query.
    "trackmycrime.middleware.RefuseUnstorableInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "trackmycrime.languages.BackOfficeInEnglishMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its own page.
    "axes.middleware.AxesMiddleware",
]

# Staff sign-in: django-axes counts wrong passwords and wrong codes alike (the form
# reports a wrong code as a failed sign-in), per username and, separately, per
# address, in the database so that every web worker sees the same counts. A lock-out
# cools off after STAFF_SIGN_IN_COOLOFF_MINUTES: it never lasts for good, so nobody
# can keep an officer out by guessing their username (PITFALLS.md).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("STAFF_SIGN_IN_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = datetime.timedelta(
    minutes=env_int("STAFF_SIGN_IN_COOLOFF_MINUTES", 15, minimum=1)
)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "accounts.sign_in.staff_client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/staff_locked_out.html"
# The audit trail is the record of sign-ins; axes keeps only its live counts, and
# never a code typed (the password is always masked).
AXES_DISABLE_ACCESS_LOG = True
AXES_SENSITIVE_PARAMETERS = ["otp_token"]
# Locked accounts are shown to supervisors by accounts.admin, scoped to their force.
AXES_ENABLE_ADMIN = False

ROOT_URLCONF = "trackmycrime.urls"
WSGI_APPLICATION = "trackmycrime.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "victims.context_processors.portal",
                "pages.context_processors.service",
            ],
        },
    },
]

# Database: PostgreSQL when DATABASE_URL is set, otherwise an embedded SQLite file.
_DATABASE_URL = env_str("DATABASE_URL")
if _DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            _DATABASE_URL,
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
            conn_health_checks=True,
        )
    }
    # A PostgreSQL that is away is given up quickly, for the outage page or the
    # API's 503 (trackmycrime/outages.py), rather than holding the request; libpq
    # counts whole seconds, and at least 2.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int(
        "DATABASE_CONNECT_TIMEOUT_SECONDS", 3, minimum=2
    )
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "trackmycrime.sqlite3"),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The role the web processes and workers connect as, when migrations run as a
# separate owner role (README.md, Database roles): every `migrate` grants it what the
# service needs, and only INSERT and SELECT on the audit table. Unset, no grants.
DATABASE_SERVICE_ROLE = env_str("DATABASE_SERVICE_ROLE")
if DATABASE_SERVICE_ROLE and not re.fullmatch(
    r"[a-z_][a-z0-9_]*", DATABASE_SERVICE_ROLE
):
    raise ImproperlyConfigured(
        "DATABASE_SERVICE_ROLE must be a plain role name (lower-case letters, digits "
        f"and underscores), not {DATABASE_SERVICE_ROLE!r}."
    )

# Redis is the Celery broker and the cache when REDIS_URL is set; otherwise tasks run
# in-process after commit and the cache is local memory.
REDIS_URL = env_str("REDIS_URL")
if not DEBUG and not REDIS_URL:
    # In-process tasks are for development only: they send a victim's sign-in code
    # inside the request, so how long a sign-in takes would tell whether the details
    # matched, and rate limits in local memory are per process.
    raise ImproperlyConfigured(
        "REDIS_URL must be set when DEBUG is off: without it, sign-in codes are sent "
        "inside the request and rate limits are per process."
    )
# Every Redis connection (cache, broker, any result backend) gives up on a Redis that
# is away or frozen within these times, so that no request waits on it for long: a
# cache command answers in well under a millisecond when Redis is well.
REDIS_CONNECT_TIMEOUT_SECONDS = env_float(
    "REDIS_CONNECT_TIMEOUT_SECONDS", 1.0, minimum=0.1
)
REDIS_SOCKET_TIMEOUT_SECONDS = env_float(
    "REDIS_SOCKET_TIMEOUT_SECONDS", 1.0, minimum=0.1
)
# What the 503 answered while PostgreSQL or Redis is away asks clients to wait.
OUTAGE_RETRY_AFTER_SECONDS = env_int("OUTAGE_RETRY_AFTER_SECONDS", 30, minimum=1)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "trackmycrime.cache.SharedClientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "tmc",
            "OPTIONS": {
                "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_SOCKET_TIMEOUT_SECONDS,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Rendered page fragments, per process: they are cheap to make again, and a key that
# changes with the case makes a shared store unnecessary.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
    "OPTIONS": {"MAX_ENTRIES": 5000},
}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fix-up otherwise opens a new database connection for every task;
# trackmycrime/celery.py gives tasks a web request's connection handling instead
# (DATABASE_CONN_MAX_AGE, health checks). The fix-up still drops it every so often.
CELERY_DB_REUSE_MAX = 1000
# Longer than any retry delay, or Redis redelivers a message that is only waiting.
_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 7200, minimum=60)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _VISIBILITY_TIMEOUT,
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_SECONDS,
    "socket_timeout": REDIS_SOCKET_TIMEOUT_SECONDS,
    # A worker reads its queues in the order of CELERY_TASK_QUEUES every time (kombu's
    # default takes them in turn): a sign-in code is the next task a worker takes,
    # whatever backlog of updates waits on the default queue.
    "queue_order_strategy": "priority",
}
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT_SECONDS
# A worker or beat that loses Redis keeps trying to reconnect, however long the
# outage, rather than exiting after Celery's default 100 tries.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A task handed to the broker after commit (notifications_enqueue) gives up after one
# quick retry: the outbox row is committed, and the sweep hands it over later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_CONNECT_TIMEOUT_SECONDS
CELERY_REDIS_SOCKET_TIMEOUT = REDIS_SOCKET_TIMEOUT_SECONDS
CELERY_TIMEZONE = "Europe/London"

# Messages to victims: one provider per channel (file, console, smtp, notify).
NOTIFICATIONS_EMAIL_PROVIDER = env_str("NOTIFICATIONS_EMAIL_PROVIDER", "file")
NOTIFICATIONS_SMS_PROVIDER = env_str("NOTIFICATIONS_SMS_PROVIDER", "file")
for _name, _value, _allowed in (
    (
        "NOTIFICATIONS_EMAIL_PROVIDER",
        NOTIFICATIONS_EMAIL_PROVIDER,
        "file console smtp notify",
    ),
    ("NOTIFICATIONS_SMS_PROVIDER", NOTIFICATIONS_SMS_PROVIDER, "file console notify"),
):
    if _value not in _allowed.split():
        raise ImproperlyConfigured(
            f"{_name} must be one of {_allowed}, not {_value!r}."
        )
NOTIFICATIONS_OUTBOX_DIR = Path(
    env_str("NOTIFICATIONS_OUTBOX_DIR", str(VAR_DIR / "outbox"))
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str(
    "DEFAULT_FROM_EMAIL", "Track My Crime <no-reply@localhost>"
)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20, minimum=1)

# Where victims sign in: the only link a message carries by default. Without it, the
# first allowed host over HTTPS (or the local server in development).
PORTAL_BASE_URL = env_str(
    "PORTAL_BASE_URL",
    "http://127.0.0.1:8000"
    if DEBUG
    else f"https://{ALLOWED_HOSTS[0] if ALLOWED_HOSTS else 'localhost'}",
).rstrip("/")

# The notification outbox (notifications/): retries, quiet hours and the sweep.
# A transient failure is retried with exponential back-off and jitter until
# NOTIFICATIONS_RETRY_PERIOD_SECONDS after the first attempt (GOV.UK Notify itself
# retries for about 4 hours), then the message is a technical failure for staff.
NOTIFICATIONS_RETRY_PERIOD_SECONDS = env_int(
    "NOTIFICATIONS_RETRY_PERIOD_SECONDS", 4 * 60 * 60, minimum=0
)
NOTIFICATIONS_RETRY_BASE_SECONDS = env_int(
    "NOTIFICATIONS_RETRY_BASE_SECONDS", 30, minimum=1
)
NOTIFICATIONS_RETRY_MAX_DELAY_SECONDS = env_int(
    "NOTIFICATIONS_RETRY_MAX_DELAY_SECONDS", 30 * 60, minimum=1
)
if NOTIFICATIONS_RETRY_MAX_DELAY_SECONDS >= _VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured(
        "NOTIFICATIONS_RETRY_MAX_DELAY_SECONDS must be shorter than "
        "CELERY_VISIBILITY_TIMEOUT, or Redis redelivers waiting retries."
    )
# Non-urgent text messages are held from START to END (Europe/London) and sent when
# the quiet hours end; empty to send at any hour. Sign-in codes are never held.
_QUIET_HOURS = env_str("NOTIFICATIONS_QUIET_HOURS", "21:00-08:00").strip()
try:
    NOTIFICATIONS_QUIET_HOURS = (
        tuple(datetime.time.fromisoformat(part) for part in _QUIET_HOURS.split("-"))
        if _QUIET_HOURS
        else None
    )
except ValueError:
    NOTIFICATIONS_QUIET_HOURS = ()
if NOTIFICATIONS_QUIET_HOURS is not None and len(NOTIFICATIONS_QUIET_HOURS) != 2:
    raise ImproperlyConfigured(
        f"NOTIFICATIONS_QUIET_HOURS must be like 21:00-08:00, not {_QUIET_HOURS!r}."
    )
# The sweep (Celery beat) re-queues messages whose task was lost (the broker was down
# at commit, or lost it) and messages stuck mid-send past the sending time-out.
NOTIFICATIONS_SWEEP_SECONDS = env_int("NOTIFICATIONS_SWEEP_SECONDS", 60, minimum=1)
NOTIFICATIONS_REQUEUE_AFTER_SECONDS = env_int(
    "NOTIFICATIONS_REQUEUE_AFTER_SECONDS", 120, minimum=1
)
NOTIFICATIONS_SENDING_TIMEOUT_SECONDS = env_int(
    "NOTIFICATIONS_SENDING_TIMEOUT_SECONDS", 10 * 60, minimum=1
)
NOTIFICATIONS_SWEEP_BATCH = env_int("NOTIFICATIONS_SWEEP_BATCH", 1000, minimum=1)
# A worker's task sends its own message and up to this many minus one other due ones,
# for one database commit each side of the sending.
NOTIFICATIONS_SEND_BATCH = env_int("NOTIFICATIONS_SEND_BATCH", 20, minimum=1)
# A batch's messages go to the provider this many at a time, from threads of the
# worker process (each with its own kept-alive connection to the provider).
NOTIFICATIONS_SEND_CONCURRENCY = env_int(
    "NOTIFICATIONS_SEND_CONCURRENCY", 10, minimum=1
)
# Sign-in codes have a Celery queue of their own, so that a code never waits behind
# a backlog of updates: every worker takes from both (codes first), and
# docker-compose also runs a worker for codes alone. A failing provider is retried
# for a code at most this far apart, until the code expires.
NOTIFICATIONS_UPDATE_QUEUE = "celery"
NOTIFICATIONS_CODE_QUEUE = "sign-in"
NOTIFICATIONS_CODE_RETRY_MAX_DELAY_SECONDS = env_int(
    "NOTIFICATIONS_CODE_RETRY_MAX_DELAY_SECONDS", 30, minimum=1
)
CELERY_TASK_DEFAULT_QUEUE = NOTIFICATIONS_UPDATE_QUEUE
CELERY_TASK_CREATE_MISSING_QUEUES = True
# A worker started without -Q consumes these, in this order.
CELERY_TASK_QUEUES = [
    Queue(NOTIFICATIONS_CODE_QUEUE),
    Queue(NOTIFICATIONS_UPDATE_QUEUE),
]
CELERY_BEAT_SCHEDULE = {
    "notifications-sweep": {
        "task": "notifications.sweep",
        # No expiry: behind a long queue a sweep runs late rather than never, and
        # sweeps that pile up are cheap and safe to run back to back.
        "schedule": float(NOTIFICATIONS_SWEEP_SECONDS),
    },
    # Officers told by email of victims' messages past the promised reply time.
    "conversations-overdue": {
        "task": "conversations.overdue_notify",
        "schedule": float(env_int("MESSAGES_OVERDUE_CHECK_SECONDS", 900, minimum=1)),
    },
}

# GOV.UK Notify (the "notify" provider). Template ids come from the Notify service;
# the *_MESSAGE templates are "((subject))" / "((body))" for any other text.
NOTIFY_API_KEY = env_str("NOTIFY_API_KEY")
NOTIFY_BASE_URL = env_str("NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk")
NOTIFY_TIMEOUT_SECONDS = env_int("NOTIFY_TIMEOUT_SECONDS", 20, minimum=1)
if NOTIFICATIONS_SEND_BATCH * NOTIFY_TIMEOUT_SECONDS >= (
    NOTIFICATIONS_SENDING_TIMEOUT_SECONDS
):
    # A slow batch must finish before the sweep takes its rows for stuck (each
    # message also waits at most a second or so for its slot: notifications.policy).
    raise ImproperlyConfigured(
        "NOTIFICATIONS_SEND_BATCH times NOTIFY_TIMEOUT_SECONDS must be shorter than "
        "NOTIFICATIONS_SENDING_TIMEOUT_SECONDS."
    )
# Notify allows 3,000 requests a minute per API key, sends and look-ups alike, and
# answers 429 beyond. Every worker paces its calls to stay under this, together.
NOTIFY_RATE_LIMIT = env_int("NOTIFY_RATE_LIMIT", 3000, minimum=1)
NOTIFY_RATE_LIMIT_SECONDS = env_int("NOTIFY_RATE_LIMIT_SECONDS", 60, minimum=1)
# Notify may accept a request after our client has given up on it. Such a message is
# looked up again (and only sent if still not found) this long after the time-out:
# longer than Notify can take to finish with a request.
NOTIFY_IN_DOUBT_WAIT_SECONDS = env_int("NOTIFY_IN_DOUBT_WAIT_SECONDS", 60, minimum=1)
if NOTIFY_IN_DOUBT_WAIT_SECONDS <= NOTIFY_TIMEOUT_SECONDS:
    raise ImproperlyConfigured(
        "NOTIFY_IN_DOUBT_WAIT_SECONDS must be longer than NOTIFY_TIMEOUT_SECONDS."
    )
NOTIFY_CALLBACK_TOKEN = env_str("NOTIFY_CALLBACK_TOKEN")
NOTIFY_TEMPLATES = {
    "email:update": env_str("NOTIFY_TEMPLATE_EMAIL_UPDATE"),
    "email:update_detail": env_str("NOTIFY_TEMPLATE_EMAIL_UPDATE_DETAIL"),
    "email:message": env_str("NOTIFY_TEMPLATE_EMAIL_MESSAGE"),
    "sms:update": env_str("NOTIFY_TEMPLATE_SMS_UPDATE"),
    "sms:update_detail": env_str("NOTIFY_TEMPLATE_SMS_UPDATE_DETAIL"),
    "sms:message": env_str("NOTIFY_TEMPLATE_SMS_MESSAGE"),
}
for _channel, _provider in (
    ("email", NOTIFICATIONS_EMAIL_PROVIDER),
    ("sms", NOTIFICATIONS_SMS_PROVIDER),
):
    if _provider == "notify" and not (
        NOTIFY_API_KEY and NOTIFY_TEMPLATES[f"{_channel}:message"]
    ):
        raise ImproperlyConfigured(
            f"The notify provider for {_channel} needs NOTIFY_API_KEY and "
            f"NOTIFY_TEMPLATE_{_channel.upper()}_MESSAGE."
        )

# Operating it: /metrics (Prometheus) answers only with this bearer token, and not at
# all without one; /readyz fails when no worker has recorded a heartbeat (every
# WORKER_HEARTBEAT_SECONDS) for READYZ_WORKER_SILENT_SECONDS, or a message due to go
# has waited READYZ_OLDEST_DUE_SECONDS.
METRICS_TOKEN = env_str("METRICS_TOKEN")
if METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 32 characters.")
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 10, minimum=1)
READYZ_WORKER_SILENT_SECONDS = env_int("READYZ_WORKER_SILENT_SECONDS", 120, minimum=1)
if READYZ_WORKER_SILENT_SECONDS <= 2 * WORKER_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured(
        "READYZ_WORKER_SILENT_SECONDS must be more than twice "
        "WORKER_HEARTBEAT_SECONDS, or one late heartbeat fails readiness."
    )
READYZ_OLDEST_DUE_SECONDS = env_int("READYZ_OLDEST_DUE_SECONDS", 900, minimum=1)

AUTH_USER_MODEL = "accounts.User"
_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS}.UserAttributeSimilarityValidator"},
    {
        "NAME": f"{_VALIDATORS}.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": f"{_VALIDATORS}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATORS}.NumericPasswordValidator"},
]
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Track My Crime")

LANGUAGE_CODE = "en-gb"
# Every language the portal has a catalogue for (locale/), each in its own name, as
# the language switcher shows it. English (British: dates read "20 December 2026,
# 4:44pm", en_GB formats) is always offered; PORTAL_LANGUAGES lets a force offer
# fewer of the others. A language not offered is never served, in a page or a
# message: the victim gets English.
PORTAL_LANGUAGES_AVAILABLE = {
    "cy": "Cymraeg",
    "pl": "Polski",
    "ro": "Română",
    "es": "Español",
    "pt": "Português",
    "bn": "বাংলা",
    "tr": "Türkçe",
    "ar": "العربية",
    "ur": "اردو",
}
PORTAL_LANGUAGES = env_list("PORTAL_LANGUAGES", list(PORTAL_LANGUAGES_AVAILABLE))
_unknown_languages = sorted(set(PORTAL_LANGUAGES) - set(PORTAL_LANGUAGES_AVAILABLE))
if _unknown_languages:
    raise ImproperlyConfigured(
        f"PORTAL_LANGUAGES has no translation for {', '.join(_unknown_languages)}; "
        f"choose from {', '.join(PORTAL_LANGUAGES_AVAILABLE)}."
    )
LANGUAGES = [("en-gb", "English")] + [
    (code, name)
    for code, name in PORTAL_LANGUAGES_AVAILABLE.items()
    if code in PORTAL_LANGUAGES
]
# Remembered for a year, for the portal only, never sent to another site.
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["trackmycrime.formats"]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Staff sessions last a working shift; the victim portal sets its own, shorter limits.
SESSION_COOKIE_AGE = env_int("STAFF_SESSION_SECONDS", 8 * 60 * 60, minimum=300)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# The CSRF token lives in the server-side session, not a cookie of its own, so that
# signing out (which deletes the session and its cookie) leaves nothing in the browser.
CSRF_USE_SESSIONS = True
# The session cookie goes when the browser closes; a signed-in victim's cookie also
# expires soon after their idle limit (victims/portal.py), and staff sessions end on
# the server after STAFF_SESSION_SECONDS.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    if env_bool("TRUST_X_FORWARDED_PROTO", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Structured (JSON) logs in production, readable lines in development.
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    # No crime reference or search term in any line (trackmycrime/log_redaction.py):
    # on the handler, every record whichever logger wrote it; on the loggers that
    # print a path, before any other handler sees it too.
    "filters": {"redact": {"()": "trackmycrime.log_redaction.RedactLogRecords"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["redact"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own handlers for these (a console without the filter when DEBUG
        # is on, mail to ADMINS) go: their records reach the console above.
        "django": {"level": "INFO"},
        # "Not Found: <path>" would carry an API case's crime reference.
        "django.request": {"filters": ["redact"]},
        "django.security": {"filters": ["redact"]},
        # Request lines carry URLs and addresses; gunicorn's access log is enough.
        "django.server": {"level": "WARNING", "filters": ["redact"], "propagate": True},
        # SQL would carry what people typed (a crime reference, an email address).
        "django.db.backends": {"level": "INFO"},
    },
}
if CELERY_TASK_ALWAYS_EAGER:
    # Tasks run inside the web process: a line per task would bury what matters.
    _loggers: dict = LOGGING["loggers"]  # type: ignore[assignment]  # a plain dict
    _loggers["celery.app.trace"] = {"level": "WARNING"}
    _loggers["kombu.connection"] = {"level": "ERROR"}

# Content Security Policy (django-csp): only this site's own files; no inline code but
# GOV.UK Frontend's two script tags, which carry a per-response nonce; never framed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "script-src": [csp_constants.SELF, csp_constants.NONCE],
        "style-src": [csp_constants.SELF],
        "img-src": [csp_constants.SELF],
        "font-src": [csp_constants.SELF],
        "connect-src": [csp_constants.SELF],
        "object-src": [csp_constants.NONE],
        "base-uri": [csp_constants.NONE],
        "form-action": [csp_constants.SELF],
        "frame-ancestors": [csp_constants.NONE],
    }
}

# The victim portal: where "Exit this page" goes, how long a victim stays signed in,
# and how many proxies in front of the service add to X-Forwarded-For.
EXIT_THIS_PAGE_URL = env_str("EXIT_THIS_PAGE_URL", "https://www.bbc.co.uk/weather")
VICTIM_SESSION_IDLE_SECONDS = env_int(
    "VICTIM_SESSION_IDLE_SECONDS", 15 * 60, minimum=60
)
VICTIM_SESSION_MAX_SECONDS = env_int(
    "VICTIM_SESSION_MAX_SECONDS", 12 * 60 * 60, minimum=300
)
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
# Victims' Code compliance (cases/compliance.py): every minute, work out when victims
# were really told, for deadlines not yet met and those met within the receipt window
# (a delivery receipt may still say a "sent" message failed, up to 72 hours later).
CODE_CLOCKS_SETTLE_SECONDS = env_int("CODE_CLOCKS_SETTLE_SECONDS", 60, minimum=1)
CODE_CLOCKS_SETTLE_BATCH = env_int("CODE_CLOCKS_SETTLE_BATCH", 1000, minimum=1)
CODE_CLOCKS_RECEIPT_WINDOW_SECONDS = env_int(
    "CODE_CLOCKS_RECEIPT_WINDOW_SECONDS", 72 * 60 * 60, minimum=0
)
CELERY_BEAT_SCHEDULE["cases-code-clocks-settle"] = {
    "task": "cases.tasks.code_clocks_settle",
    "schedule": float(CODE_CLOCKS_SETTLE_SECONDS),
}
# Signed-in victims are warned this long before the idle limit signs them out
# (WCAG 2.2.1), and can choose to stay signed in.
VICTIM_SESSION_WARNING_SECONDS = env_int(
    "VICTIM_SESSION_WARNING_SECONDS", 2 * 60, minimum=10
)
if VICTIM_SESSION_WARNING_SECONDS >= VICTIM_SESSION_IDLE_SECONDS:
    raise ImproperlyConfigured(
        "VICTIM_SESSION_WARNING_SECONDS must be shorter than "
        "VICTIM_SESSION_IDLE_SECONDS."
    )
CELERY_BEAT_SCHEDULE["victims-delete-old-sign-in-attempts"] = {
    "task": "victims.tasks.sign_in_attempts_delete_old",
    "schedule": 60 * 60,
}

# The REST API for forces' records systems, under /api/v1/ (see api/ and README.md).
INSTALLED_APPS += [
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
]
# Ahead of SecurityMiddleware: plain HTTP to /api/ is refused before it is redirected.
MIDDLEWARE.insert(0, "api.middleware.ApiRequiresHttpsMiddleware")
# Outermost, so that it counts every answer, Django's own error pages included.
MIDDLEWARE.insert(0, "trackmycrime.metrics.ApiResponseCountMiddleware")
API_REQUESTS_PER_MINUTE = env_int("API_REQUESTS_PER_MINUTE", 600, minimum=1)
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 256 * 1024, minimum=1024)
# Arrays and objects inside one another in an API body; a push needs 3 (the case,
# its victims, a victim). Parsing recurses once a level, so keep well under the
# interpreter's recursion limit.
API_MAX_JSON_DEPTH = env_int("API_MAX_JSON_DEPTH", 32, minimum=4)
if API_MAX_JSON_DEPTH > 100:
    raise ImproperlyConfigured("API_MAX_JSON_DEPTH must be 100 or less.")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiClientAuthentication"
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.IsApiClient"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ApiClientRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.LimitedJSONParser"],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Track My Crime API",
    "DESCRIPTION": (
        "For a police force's records system: push cases, victims, stage changes "
        "and updates, so that victims are told exactly as when staff type them in "
        "the back office, and read back what victims were told.\n\n"
        "Authenticate with `Authorization: Bearer <token>`; a client sees only its "
        "own force's cases. Only HTTPS is answered. Request bodies are JSON, "
        f"nested at most {API_MAX_JSON_DEPTH} levels deep, and fields the API does "
        "not know are refused. Each request's schema states the rules the API "
        "checks; those no schema can state are shown as examples of its 400 "
        "response. A POST may carry an "
        "`Idempotency-Key`: sent again with the same body within 24 hours, it "
        "returns the first response and changes nothing."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Fields of the same name with other choices (a Victims' Code request's kind,
    # status and outcome) keep the names the schema had before them.
    "ENUM_NAME_OVERRIDES": {
        "OutcomeEnum": "cases.constants.Outcome",
        "KindEnum": "cases.constants.EntryKind",
        "StatusEnum": "notifications.constants.NotificationStatus",
        "RequestKindEnum": "rights.constants.RightKind",
        "RequestStatusEnum": "rights.constants.RequestStatus",
        "RequestOutcomeEnum": "rights.constants.RequestOutcome",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.forbid_unknown_request_fields",
        "api.schema.one_way_to_be_blank",
        "cases.api.state_which_fields_go_together",
    ],
}

# Who runs the service, for the privacy notice, the help and contact pages and the
# accessibility statement (pages/). The controller is the force, under the Data
# Protection Act 2018 Part 3.
SERVICE_CONTROLLER_NAME = env_str(
    "SERVICE_CONTROLLER_NAME", "the police force that runs this service"
)
SERVICE_CONTACT_PHONE = env_str("SERVICE_CONTACT_PHONE", "101")
SERVICE_CONTACT_EMAIL = env_str("SERVICE_CONTACT_EMAIL")
SERVICE_CONTACT_ADDRESS = env_str("SERVICE_CONTACT_ADDRESS")
DATA_PROTECTION_OFFICER_EMAIL = env_str("DATA_PROTECTION_OFFICER_EMAIL")
# Where the phase banner's feedback link goes; empty for the contact page.
FEEDBACK_URL = env_str("FEEDBACK_URL")
# When the accessibility statement was prepared and last reviewed (YYYY-MM-DD).
_ACCESSIBILITY_DATE = env_str("ACCESSIBILITY_STATEMENT_PREPARED_ON", "2026-12-01")
try:
    ACCESSIBILITY_STATEMENT_PREPARED_ON = datetime.date.fromisoformat(
        _ACCESSIBILITY_DATE
    )
except ValueError:
    raise ImproperlyConfigured(
        "ACCESSIBILITY_STATEMENT_PREPARED_ON must be a date like 2026-12-01, not "
        f"{_ACCESSIBILITY_DATE!r}."
    ) from None

# Retention (privacy/): how long personal data is kept once its purpose is over; the
# privacy notice shows these same figures. README.md says why the defaults.
RETENTION_DAYS_AFTER_CASE_CLOSED = env_int(
    "RETENTION_DAYS_AFTER_CASE_CLOSED", 365, minimum=1
)
RETENTION_SIGN_IN_RECORD_DAYS = env_int("RETENTION_SIGN_IN_RECORD_DAYS", 1, minimum=1)
RETENTION_MESSAGE_BODY_DAYS = env_int("RETENTION_MESSAGE_BODY_DAYS", 30, minimum=1)
# The anonymiser runs once a day at this hour (Europe/London).
RETENTION_RUN_HOUR = env_int("RETENTION_RUN_HOUR", 3, minimum=0)
if RETENTION_RUN_HOUR > 23:
    raise ImproperlyConfigured("RETENTION_RUN_HOUR must be from 0 to 23.")
CELERY_BEAT_SCHEDULE["privacy-retention-run"] = {
    "task": "privacy.tasks.retention_run",
    "schedule": crontab(hour=RETENTION_RUN_HOUR, minute=15),
}

# Victim Voice (feedback/, README.md "Victim Voice"). Answers wait in the pool until
# at least this many alike can be written out together.
FEEDBACK_POOL_BATCH_MIN = env_int("FEEDBACK_POOL_BATCH_MIN", 10, minimum=5)
# The key that seals answers in the pool; derived from SECRET_KEY when empty.
FEEDBACK_POOL_KEY = env_str("FEEDBACK_POOL_KEY")
FEEDBACK_INVITATION_DELAY_HOURS = env_int(
    "FEEDBACK_INVITATION_DELAY_HOURS", 24, minimum=0
)
# Flush the pool straight after an answer: only for the embedded default, which has
# no Celery beat. With beat, the pool is flushed every FEEDBACK_POOL_FLUSH_SECONDS,
# so that a batch holds everything alike answered in that time.
FEEDBACK_FLUSH_AFTER_ANSWER = env_bool("FEEDBACK_FLUSH_AFTER_ANSWER", not REDIS_URL)
FEEDBACK_POOL_FLUSH_SECONDS = env_int("FEEDBACK_POOL_FLUSH_SECONDS", 15 * 60, minimum=1)
FEEDBACK_SNAPSHOT_SECONDS = env_int("FEEDBACK_SNAPSHOT_SECONDS", 60 * 60, minimum=1)
CELERY_BEAT_SCHEDULE["feedback-pool-flush"] = {
    "task": "feedback.pool_flush",
    "schedule": float(FEEDBACK_POOL_FLUSH_SECONDS),
}
CELERY_BEAT_SCHEDULE["feedback-invitations-send"] = {
    "task": "feedback.invitations_send",
    "schedule": float(FEEDBACK_POOL_FLUSH_SECONDS),
}
CELERY_BEAT_SCHEDULE["feedback-snapshots-refresh"] = {
    "task": "feedback.snapshots_refresh",
    "schedule": float(FEEDBACK_SNAPSHOT_SECONDS),
}

# Signed-in victims' page views reach the audit trail through a Redis list, flushed
# by Celery beat every AUDIT_VIEWS_FLUSH_SECONDS (audit/batched.py; README.md,
# "Benchmarks"); a flush killed mid-batch is taken over once its lease runs out.
# Without Redis, and with AUDIT_VIEWS_BATCHED off, they are written in the request.
AUDIT_VIEWS_BATCHED = env_bool("AUDIT_VIEWS_BATCHED", True)
AUDIT_VIEWS_FLUSH_SECONDS = env_int("AUDIT_VIEWS_FLUSH_SECONDS", 5, minimum=1)
AUDIT_VIEWS_FLUSH_BATCH = env_int("AUDIT_VIEWS_FLUSH_BATCH", 500, minimum=1)
AUDIT_VIEWS_FLUSH_LEASE_SECONDS = env_int(
    "AUDIT_VIEWS_FLUSH_LEASE_SECONDS", 30, minimum=5
)
CELERY_BEAT_SCHEDULE["audit-views-flush"] = {
    "task": "audit.views_flush",
    "schedule": float(AUDIT_VIEWS_FLUSH_SECONDS),
    # A flush behind a long queue is worth nothing once the next one is due.
    "options": {"expires": float(AUDIT_VIEWS_FLUSH_SECONDS)},
}
