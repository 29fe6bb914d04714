"""Wennuan settings: one module, driven by environment variables, that runs with none set.

Every variable read here is documented in docs/configuration.md.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("WENNUAN_VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str) -> str:
    """Return the variable, or the default when it is unset or empty."""
    return os.environ.get(name) or default


def env_bool(name: str, default: bool) -> bool:
    """Read 1/0, true/false, yes/no, on/off; anything else is a configuration error."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    """Read a whole number; a malformed value stops start-up with the variable's name."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from exc


def env_float(name: str, default: float) -> float:
    """Read a number; a malformed value stops start-up with the variable's name."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, not {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# The development key is only acceptable while nobody sets production values;
# `check --deploy` flags it, and docs/operations.md says to set SECRET_KEY.
SECRET_KEY = env_str("SECRET_KEY", "django-insecure-wennuan-development-key-change-me")
# Former SECRET_KEYs (comma-separated) that still verify sessions, tokens and the two-factor
# secrets' derived key while a key change settles (docs/security.md).
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "django_tasks_rq",
    "django_rq",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "wennuan.core",
    "wennuan.people",
    "wennuan.grid",
    "wennuan.community",
    "wennuan.notify",
    "wennuan.service",
    "wennuan.open311",
    "wennuan.api",
    "wennuan.operations",
    "wennuan.fuel",
    "wennuan.emergency",
    "wennuan.inspections",
    "wennuan.reports",
    "wennuan.portal",
    "wennuan.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy and Permissions-Policy on every page (static files skip them).
    "csp.middleware.CSPMiddleware",
    "wennuan.core.security.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Staff of TWO_FACTOR_REQUIRED_ROLES set up two-factor login before anything else.
    "wennuan.people.middleware.TwoFactorEnrolmentMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "wennuan.urls"
WSGI_APPLICATION = "wennuan.wsgi.application"

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
                "django.template.context_processors.i18n",
                "wennuan.core.context_processors.navigation",
                "wennuan.emergency.context_processors.emergency",
            ],
        },
    },
]

# Database: SQLite under var/ by default, PostgreSQL (or any URL) through DATABASE_URL.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'wennuan.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Connections persist like PostgreSQL's (one per worker process): a new SQLite
    # connection starts with a cold page cache and re-runs the pragmas below.
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so a read-then-write transaction
        # waits for the lock (busy timeout) instead of failing with "database is locked".
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_BUSY_TIMEOUT_SECONDS", 10),
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
            "PRAGMA cache_size=-65536;"
        ),
    }
    # Tests use a file too: an in-memory database shares one cache across threads and
    # answers "table is locked" where a real file (WAL + busy timeout) waits its turn.
    # One file per test process, so two test runs on one machine never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-wennuan-{os.getpid()}.sqlite3")}

elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side binding sends the same SQL text for every lookup, so psycopg
    # prepares it after a few runs and PostgreSQL stops re-planning the 11-table
    # household chain join (planning, not execution, dominated its latency).
    # Set PG_PREPARE_THRESHOLD=0 behind a transaction-pooling PgBouncer, which
    # cannot keep prepared statements.
    prepare_threshold = env_int("PG_PREPARE_THRESHOLD", 5)
    DATABASES["default"]["OPTIONS"] = {
        "server_side_binding": env_bool("PG_SERVER_SIDE_BINDING", True),
        "prepare_threshold": prepare_threshold or None,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "people.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Only staff have passwords (residents prove their phone with a texted code): at least ten
# characters, not like the user's name, not a common or an all-digit password.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling: this many failures for one user name (or from one address)
# within the window locks further attempts until the window has passed.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 900)
# Two-factor login (TOTP): staff in these roles (comma list of role codes, e.g.
# "manager,admin,dispatcher") must enrol before they can use anything else.
TWO_FACTOR_REQUIRED_ROLES = env_list("TWO_FACTOR_REQUIRED_ROLES", [])
# The key that encrypts TOTP secrets in the database: a Fernet key (44 characters, from
# `Fernet.generate_key()`); empty derives one from SECRET_KEY. Keys listed as old ones still
# decrypt, so the key can be rotated (docs/security.md).
TWO_FACTOR_ENCRYPTION_KEY = env_str("TWO_FACTOR_ENCRYPTION_KEY", "")
TWO_FACTOR_ENCRYPTION_OLD_KEYS = env_list("TWO_FACTOR_ENCRYPTION_OLD_KEYS", [])

LANGUAGE_CODE = env_str("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "wennuan" / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
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
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"

# Background work: the Django Tasks API. The database queue (django-tasks-db) is the
# embedded default: nothing more to run, and a task commits with the work it is about.
# At scale, TASKS_BACKEND=rq puts the queue in Redis (django-tasks-rq) and any number of
# `manage.py worker` processes on any machine take from it (docs/deployment.md, ADR 0006).
_TASKS_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
}
TASKS_BACKEND = env_str("TASKS_BACKEND", "database")
if TASKS_BACKEND not in _TASKS_BACKENDS:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND must be one of {', '.join(_TASKS_BACKENDS)}, not {TASKS_BACKEND!r}"
    )
TASKS = {"default": {"BACKEND": _TASKS_BACKENDS[TASKS_BACKEND], "QUEUES": ["default"]}}
# The Redis database of the RQ queue (only read with TASKS_BACKEND=rq). Give it a Redis that
# persists (appendonly yes): a queued task lost with Redis is only caught up by the next sweep.
TASKS_REDIS_URL = env_str("TASKS_REDIS_URL", "redis://127.0.0.1:6379/0")
if not TASKS_REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(f"TASKS_REDIS_URL must be a redis:// URL, not {TASKS_REDIS_URL!r}")
RQ_QUEUES = {
    "default": {
        "URL": TASKS_REDIS_URL,
        # A job still running after this long is stopped and marked failed (seconds).
        "DEFAULT_TIMEOUT": env_int("TASKS_RQ_TIMEOUT_SECONDS", 1800),
        # Finished results are kept this long for the admin (seconds); failures a week.
        "DEFAULT_RESULT_TTL": 3600,
        "DEFAULT_FAILURE_TTL": 7 * 24 * 3600,
    }
}
# RQ's queue dashboard in the admin (superusers), only where the queue is in Redis.
RQ_SHOW_ADMIN_LINK = TASKS_BACKEND == "rq"
# The scheduler holds a lease in the database so that only one instance enqueues.
SCHEDULER_LEASE_SECONDS = env_int("SCHEDULER_LEASE_SECONDS", 30)
SCHEDULER_TICK_SECONDS = env_int("SCHEDULER_TICK_SECONDS", 5)
# Finished task results older than this are pruned nightly.
TASK_RESULT_KEEP_DAYS = env_int("TASK_RESULT_KEEP_DAYS", 7)

# Notifications: an outbox table, delivered by the worker through one transport per
# channel. "console" writes to the log and var/outbox.log (development); "http" posts
# to an SMS gateway; e-mail goes through Django's EMAIL_BACKEND.
NOTIFY_SMS_TRANSPORT = env_str("NOTIFY_SMS_TRANSPORT", "console")
NOTIFY_SMS_GATEWAY_URL = env_str("NOTIFY_SMS_GATEWAY_URL", "")
NOTIFY_SMS_GATEWAY_KEY = env_str("NOTIFY_SMS_GATEWAY_KEY", "")
NOTIFY_SMS_TIMEOUT_SECONDS = env_int("NOTIFY_SMS_TIMEOUT_SECONDS", 10)
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 8)
NOTIFY_RETRY_BASE_SECONDS = env_int("NOTIFY_RETRY_BASE_SECONDS", 30)
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "wennuan@localhost")
# The SMTP relay, with EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend.
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)  # STARTTLS, usually port 587
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)  # TLS from the start, usually port 465
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("Set EMAIL_USE_TLS or EMAIL_USE_SSL, not both")
# The public address residents reach the portal on (links in SMS messages).
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000")

# Service requests.
# A staff member with this many open requests is skipped by dispatch.
SERVICE_OPEN_WORK_CAP = env_int("SERVICE_OPEN_WORK_CAP", 15)
# The heating season (month-day, inclusive): SLAs run 24/7 inside it and on working
# hours (Mon–Fri 08:00–17:00) outside it.
HEATING_SEASON_START = env_str("HEATING_SEASON_START", "11-15")
HEATING_SEASON_END = env_str("HEATING_SEASON_END", "04-05")
# Requests from vulnerable households, or with an indoor temperature below this,
# get one level more priority and SLA targets multiplied by the factor (percent).
SERVICE_COLD_CELSIUS = env_int("SERVICE_COLD_CELSIUS", 16)
SERVICE_URGENT_SLA_PERCENT = env_int("SERVICE_URGENT_SLA_PERCENT", 50)
# A due time is "about to breach" once this share (percent) of its window has passed.
SERVICE_AT_RISK_PERCENT = env_int("SERVICE_AT_RISK_PERCENT", 80)
# A breach escalates to the owner's supervisor, then, this many minutes later, to the
# dispatcher on duty.
SERVICE_ESCALATION_STEP_MINUTES = env_int("SERVICE_ESCALATION_STEP_MINUTES", 30)
# Resolved requests close by themselves when the resident has not answered in this many days.
SERVICE_AUTO_CLOSE_DAYS = env_int("SERVICE_AUTO_CLOSE_DAYS", 3)
# A network incident forms when this many "not warm" requests come from one station's
# buildings within the window (one is enough when the station has an open alarm).
INCIDENT_MIN_REQUESTS = env_int("INCIDENT_MIN_REQUESTS", 5)
INCIDENT_WINDOW_MINUTES = env_int("INCIDENT_WINDOW_MINUTES", 30)
# A heat-source incident forms when the window's complaints come from this many of its stations.
INCIDENT_SOURCE_MIN_STATIONS = env_int("INCIDENT_SOURCE_MIN_STATIONS", 3)
# The dashboard proposes to resolve an incident once its station's telemetry has been back on
# the curve this long.
INCIDENT_RECOVERY_MINUTES = env_int("INCIDENT_RECOVERY_MINUTES", 30)
# Whether residents see the phone number of the staff member handling their request.
SERVICE_SHOW_STAFF_PHONE = env_bool("SERVICE_SHOW_STAFF_PHONE", False)
# Resident verification codes.
OTP_TTL_MINUTES = env_int("OTP_TTL_MINUTES", 10)
OTP_MAX_ATTEMPTS = env_int("OTP_MAX_ATTEMPTS", 5)
OTP_MAX_PER_HOUR = env_int("OTP_MAX_PER_HOUR", 5)

# Open311 GeoReport v2 (/open311/v2/) and the REST API (/api/v1/).
# Checked when set: a request naming another jurisdiction_id gets 404.
OPEN311_JURISDICTION_ID = env_str("OPEN311_JURISDICTION_ID", "")
OPEN311_CONTACT = env_str("OPEN311_CONTACT", "Wennuan heating service, hotline 0535-96777")
OPEN311_KEY_SERVICE = env_str(
    "OPEN311_KEY_SERVICE", "Ask the heating company's service manager for an API key."
)
# A point (lat/long) is placed at the nearest building within this distance, or refused.
OPEN311_LOCATION_RADIUS_METRES = env_int("OPEN311_LOCATION_RADIUS_METRES", 150)
# Calls per minute: per client address for every Open311 call, per key for POSTs (0: no limit).
OPEN311_RATE_PER_MINUTE_IP = env_int("OPEN311_RATE_PER_MINUTE_IP", 120)
OPEN311_RATE_PER_MINUTE_KEY = env_int("OPEN311_RATE_PER_MINUTE_KEY", 600)
# Resident portal POSTs (code requests, submissions, tracking) per client address; high,
# because many residents share one carrier address (carrier-grade NAT). 0: no limit.
PORTAL_RATE_PER_MINUTE_IP = env_int("PORTAL_RATE_PER_MINUTE_IP", 300)
# REST API calls per minute per authenticated user.
API_RATE_PER_MINUTE_USER = env_int("API_RATE_PER_MINUTE_USER", 600)
# Idempotency-Key records of API POSTs are kept at least this long.
API_IDEMPOTENCY_KEEP_HOURS = env_int("API_IDEMPOTENCY_KEEP_HOURS", 48)
# How many reverse proxies (nginx, a load balancer) add to X-Forwarded-For in front of
# the app; 0 trusts none and rate-limits by the connecting address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "wennuan.api.pagination.Pages",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # 0 switches the limit off (the API fuzzing tier sends thousands of calls a minute).
    "DEFAULT_THROTTLE_CLASSES": (
        ["rest_framework.throttling.UserRateThrottle"] if API_RATE_PER_MINUTE_USER else []
    ),
    "DEFAULT_THROTTLE_RATES": {"user": f"{API_RATE_PER_MINUTE_USER}/min"},
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Wennuan REST API",
    "DESCRIPTION": (
        "Service requests, households, buildings, stations, zones and staff availability "
        "for the heating company's own tools and integrations. Authenticate with "
        "`Authorization: Token <key>` (`manage.py drf_create_token <login>`) or a "
        "back-office session. POSTs accept an `Idempotency-Key` header."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No badge from validator.swagger.io: it would send the schema's address to a third party
    # (and the Content-Security-Policy blocks its image anyway).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RequestStatusEnum": "wennuan.service.choices.Status",
        "InspectionRoundStatusEnum": "wennuan.inspections.choices.RoundStatus",
    },
}

# Cache: rate-limit counts. Per process by default; a redis:// URL shares them.
CACHE_URL = env_str("CACHE_URL", "")
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(f"CACHE_URL must be a redis:// URL, not {CACHE_URL!r}")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Heating operation (telemetry).
# The place whose outdoor temperature drives the heating curves (OutdoorTemperature.place).
WEATHER_PLACE = env_str("WEATHER_PLACE", "yantai")
# Raw readings older than this are deleted by `manage.py prune_telemetry` (hourly roll-ups stay).
TELEMETRY_KEEP_DAYS = env_int("TELEMETRY_KEEP_DAYS", 400)
# MQTT broker of the `mqtt` process (manage.py mqtt_ingest).
MQTT_HOST = env_str("MQTT_HOST", "127.0.0.1")
MQTT_PORT = env_int("MQTT_PORT", 1883)
MQTT_USERNAME = env_str("MQTT_USERNAME", "")
MQTT_PASSWORD = env_str("MQTT_PASSWORD", "")
# The listener's session at the broker: one listener per client id (a second one with the same
# id takes the session over). MQTT_TLS connects with TLS, checking the broker's certificate
# against MQTT_TLS_CA_FILE (or the system's CAs when empty).
MQTT_CLIENT_ID = env_str("MQTT_CLIENT_ID", "wennuan-mqtt-ingest")
MQTT_TLS = env_bool("MQTT_TLS", False)
MQTT_TLS_CA_FILE = env_str("MQTT_TLS_CA_FILE", "")
# The MQTT listener writes a batch when it holds this many readings or this many seconds passed.
MQTT_BATCH_SIZE = env_int("MQTT_BATCH_SIZE", 500)
MQTT_BATCH_SECONDS = env_int("MQTT_BATCH_SECONDS", 1)

# A planned stop texts the households beneath it this many per background batch.
STOP_FANOUT_BATCH = env_int("STOP_FANOUT_BATCH", 1000)

# Emergency mode: requests filed while it is on get this percentage of their usual SLA times
# (50: half); requests filed before keep theirs.
EMERGENCY_SLA_PERCENT = env_int("EMERGENCY_SLA_PERCENT", 50)
if not 1 <= EMERGENCY_SLA_PERCENT <= 100:
    raise ValueError("EMERGENCY_SLA_PERCENT must be between 1 and 100")
# Exposure tracing: acting on a trace takes the person off work (a leave) for this many days.
EXPOSURE_QUARANTINE_DAYS = env_int("EXPOSURE_QUARANTINE_DAYS", 14)
# Inspection rounds: in emergency mode every plan's interval is divided by this (2: twice as
# often), and back to normal when emergency mode is switched off.
INSPECTION_EMERGENCY_MULTIPLIER = env_float("INSPECTION_EMERGENCY_MULTIPLIER", 2.0)
if INSPECTION_EMERGENCY_MULTIPLIER < 1:
    raise ValueError("INSPECTION_EMERGENCY_MULTIPLIER must be 1 or more")

# Coal reserve and forecasting (the fuel app).
# Heating degree days: base temperature, and which days count as heating days — "daily"
# (the day's mean <= the threshold) or "moving5" (the mean of that day and the four before).
FUEL_HDD_BASE_C = env_float("FUEL_HDD_BASE_C", 18.0)
FUEL_HEATING_THRESHOLD_C = env_float("FUEL_HEATING_THRESHOLD_C", 5.0)
FUEL_HEATING_DAY_RULE = env_str("FUEL_HEATING_DAY_RULE", "daily")
if FUEL_HEATING_DAY_RULE not in {"daily", "moving5"}:
    raise ValueError(
        f"FUEL_HEATING_DAY_RULE must be daily or moving5, not {FUEL_HEATING_DAY_RULE!r}"
    )
# The reserve rule: at least this many days of forecast burn in the yard, and at the start
# of the season at least this share of the season's forecast use.
FUEL_MIN_COVER_DAYS = env_int("FUEL_MIN_COVER_DAYS", 15)
FUEL_SEASON_START_SHARE = env_float("FUEL_SEASON_START_SHARE", 0.5)
# Days the fuel pages, the morning check and `fuel_forecast` look ahead by default.
FUEL_HORIZON_DAYS = env_int("FUEL_HORIZON_DAYS", 30)
# An order must be placed this many days before the yard falls below the rule.
FUEL_ORDER_LEAD_DAYS = env_int("FUEL_ORDER_LEAD_DAYS", 3)
# Normal daily mean temperature of each month, January first (approximate normals of Yantai),
# used beyond the forecast until the place has three years of its own observations.
FUEL_NORMALS_MONTHLY = [
    float(v)
    for v in env_list(
        "FUEL_NORMALS_MONTHLY",
        [
            "-1.1",
            "0.7",
            "5.6",
            "12.2",
            "18.2",
            "22.0",
            "25.3",
            "25.4",
            "21.4",
            "15.4",
            "8.0",
            "1.6",
        ],
    )
]
if len(FUEL_NORMALS_MONTHLY) != 12:
    raise ValueError("FUEL_NORMALS_MONTHLY needs twelve values, January to December")
# The weather service adapter: an Open-Meteo-style JSON forecast URL (hourly temperature_2m,
# daily temperature_2m_mean/min/max, with a timezone). Empty: no fetching; forecasts are
# entered or uploaded.
WEATHER_FORECAST_URL = env_str("WEATHER_FORECAST_URL", "")
WEATHER_TIMEOUT_SECONDS = env_int("WEATHER_TIMEOUT_SECONDS", 10)

# Domain settings.
COVERAGE_MAX_HOUSEHOLDS_PER_OWNER = env_int("COVERAGE_MAX_HOUSEHOLDS_PER_OWNER", 2500)
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "wennuan-demo")
IMPORT_MAX_UPLOAD_BYTES = env_int("IMPORT_MAX_UPLOAD_BYTES", 50 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Security: production values switch these on; `check --deploy` then reports nothing.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", SECURE_SSL_REDIRECT)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", SECURE_SSL_REDIRECT)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", SECURE_HSTS_SECONDS > 0)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE_HSTS_SECONDS > 0)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600)
# No script reads a cookie: the CSRF token reaches JavaScript from the form's hidden field.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SAMESITE = "Lax"

# Content-Security-Policy (django-csp; docs/security.md). No page runs inline script: page
# code is in static/js/ and its data and translated labels come from json_script blocks and
# data- attributes, so scripts load from this site only, without 'unsafe-inline' or
# 'unsafe-eval' (ECharts, Bootstrap and htmx run without eval; htmx's eval features are off,
# base.html). Style *elements* and stylesheets also come from this site only (style-src-elem),
# but style *attributes* are allowed (style-src-attr 'unsafe-inline'): templates size chart
# boxes and progress bars with style="...", and ECharts writes its tooltips as HTML with style
# attributes. style-src carries 'unsafe-inline' for browsers that predate the -elem/-attr split.
csp_directives: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "style-src-elem": ["'self'"],
    "style-src-attr": ["'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# Where browsers send violation reports (empty: nowhere).
if csp_report_uri := env_str("CSP_REPORT_URI", ""):
    csp_directives["report-uri"] = [csp_report_uri]
# CSP_REPORT_ONLY=true sends the policy as Content-Security-Policy-Report-Only: browsers report
# what it would block and block nothing (to try a changed policy on real traffic first).
csp_report_only = env_bool("CSP_REPORT_ONLY", False)
CONTENT_SECURITY_POLICY = None if csp_report_only else {"DIRECTIVES": csp_directives}
CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": csp_directives} if csp_report_only else None
# Browser features pages may use (wennuan.core.security.PermissionsPolicyMiddleware): the camera
# and the location for this site only (technicians and residents take photos on their phones);
# everything else for nobody.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "camera": ["self"],
    "geolocation": ["self"],
    **{
        feature: []
        for feature in (
            "accelerometer",
            "autoplay",
            "display-capture",
            "encrypted-media",
            "gyroscope",
            "hid",
            "magnetometer",
            "microphone",
            "midi",
            "payment",
            "screen-wake-lock",
            "serial",
            "usb",
            "xr-spatial-tracking",
        )
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
