"""Django settings for GridDesk.

Twelve-factor style: everything that differs between a laptop and production
comes from the environment. ``DATABASE_URL`` selects PostgreSQL; without it an
embedded SQLite file under ``var/`` is used.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("GRIDDESK_VAR_DIR", BASE_DIR.parent / "var"))

DEV_SECRET_KEY = "griddesk-insecure-dev-key-change-me-in-production"
# Production mode (``griddesk serve --prod`` sets it): DEBUG off, a real secret
# key and the allowed hosts from the environment or no start at all, HTTPS
# behind a TLS-terminating proxy. See docs/decisions/0020-production-defaults.md.
PRODUCTION = os.environ.get("GRIDDESK_ENV", "").lower() == "production"


def _env_flag(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").strip().lower() in ("1", "true", "yes", "on")


def production_problems(env: Mapping[str, str] = os.environ) -> list[str]:
    """What keeps production mode from starting (an empty list: nothing)."""
    problems = []
    key = env.get("GRIDDESK_SECRET_KEY", "")
    if not key:
        problems.append("GRIDDESK_SECRET_KEY is not set")
    elif key == DEV_SECRET_KEY or key.startswith("django-insecure-"):
        problems.append("GRIDDESK_SECRET_KEY is the public development key")
    elif len(key) < 50 or len(set(key)) < 5:
        problems.append("GRIDDESK_SECRET_KEY is too short (at least 50 characters, 5 different ones)")
    if not [h for h in env.get("GRIDDESK_ALLOWED_HOSTS", "").split(",") if h.strip()]:
        problems.append("GRIDDESK_ALLOWED_HOSTS is not set (comma-separated host names)")
    return problems


if PRODUCTION:
    if _problems := production_problems():
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "production mode (GRIDDESK_ENV=production) refuses to start: " + "; ".join(_problems)
        )
    DEBUG = False
    SECRET_KEY = os.environ["GRIDDESK_SECRET_KEY"]
    ALLOWED_HOSTS = [h.strip() for h in os.environ["GRIDDESK_ALLOWED_HOSTS"].split(",") if h.strip()]
else:
    DEBUG = os.environ.get("GRIDDESK_DEBUG", "1") == "1"
    SECRET_KEY = os.environ.get("GRIDDESK_SECRET_KEY", DEV_SECRET_KEY)
    ALLOWED_HOSTS = os.environ.get("GRIDDESK_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("GRIDDESK_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

# HTTPS. In production the app sits behind a proxy that terminates TLS and sets
# X-Forwarded-Proto (it must overwrite what the client sent); plain HTTP is
# redirected, except the load balancer's health check.
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _env_flag("GRIDDESK_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("GRIDDESK_HSTS_SECONDS", 365 * 24 * 3600))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_flag("GRIDDESK_HSTS_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = _env_flag("GRIDDESK_HSTS_PRELOAD", True)
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "griddesk.common.apps.AxesConfig",  # django-axes, its admin section translated
    "griddesk.common",
    "griddesk.organisation",
    "griddesk.customers",
    "griddesk.workorders",
    "griddesk.web",
    "griddesk.demo",
    "griddesk.imports",
    "griddesk.sla",
    "griddesk.notifications",
    "griddesk.opinion",
    "griddesk.satisfaction",
    "griddesk.assessment",
    "griddesk.attachments",
    "griddesk.webhooks",
    "griddesk.center",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "griddesk.common.middleware.DatabaseUnavailableMiddleware",
    # The declared body size first (it reads nothing), then the body's content.
    "griddesk.common.middleware.RequestTooBigMiddleware",
    # Before sessions, tokens and views: a NUL anywhere in the request is a 400.
    "griddesk.common.middleware.NulCharacterMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "griddesk.common.request_context.RequestContextMiddleware",
    # Last: turns a lockout flagged during the request into its answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "griddesk.urls"
WSGI_APPLICATION = "griddesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "griddesk.workorders.context.sla_banner",
            ],
        },
    }
]

_default_sqlite = f"sqlite:///{VAR_DIR / 'griddesk.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_sqlite), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # BEGIN IMMEDIATE: a writer takes the lock when its transaction starts, so two
    # concurrent actions on one order are serialised instead of both reading the
    # old state. WAL lets readers go on while one writer works.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # Short OLTP queries: PostgreSQL's JIT compiler spent more time compiling the
    # queue's count than running it (benchmarks/RESULTS.md).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    # Parameters stay client-side (literals in the SQL text): PostgreSQL then
    # plans each query for its actual values. Prepared statements' generic
    # plans turned "does this department lead any order?" (LIMIT 1 on a
    # skewed column) into sequential scans; only the intake's own key
    # lookups and INSERTs are prepared (griddesk.common.rows.cursor, ADR 0016).
    # psycopg prepares nothing on its own with Django's client-side cursors;
    # a threshold (not None) lets those explicit prepare=True calls through.
    # GRIDDESK_PG_PREPARE=0 turns them off (PgBouncer in transaction mode < 1.21).
    if os.environ.get("GRIDDESK_PG_PREPARE", "1") == "1":
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 1_000_000
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # django-axes first: a locked-out user or address is refused before the
    # password is even checked (web login, admin login, anything calling authenticate()).
    "griddesk.organisation.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Brute force (django-axes, docs/decisions/0020-production-defaults.md): locked
# after GRIDDESK_LOCKOUT_FAILURES wrong passwords for one user from one address,
# or GRIDDESK_LOCKOUT_IP_FAILURES failures of any kind (passwords, API tokens)
# from one address, for GRIDDESK_LOCKOUT_MINUTES; an administrator unlocks
# earlier in the admin (Access attempts) or with `griddesk axes_reset_username USER`.
AXES_HANDLER = "griddesk.organisation.lockout.LockoutHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_FAILURE_LIMIT = int(os.environ.get("GRIDDESK_LOCKOUT_FAILURES", 5))
GRIDDESK_LOCKOUT_LIMITS = [AXES_FAILURE_LIMIT, int(os.environ.get("GRIDDESK_LOCKOUT_IP_FAILURES", 20))]
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("GRIDDESK_LOCKOUT_MINUTES", 15)))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "griddesk.organisation.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# The client's address: behind GRIDDESK_TRUSTED_PROXIES proxies (production
# default 1, the TLS proxy) it is the one the nearest proxy appended to
# X-Forwarded-For; a client can't choose it by sending its own header.
_proxies = int(os.environ.get("GRIDDESK_TRUSTED_PROXIES", 1 if PRODUCTION else 0))
if _proxies:
    AXES_IPWARE_PROXY_COUNT = _proxies
    AXES_IPWARE_PROXY_ORDER = "right-most"
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:queue"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"  # business rules; storage is UTC (USE_TZ)
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Static files come from the installed packages through WhiteNoise: no
# collectstatic step before `griddesk serve --prod`.
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploaded files (attachments): the local disk under var/media by default;
# GRIDDESK_STORAGE=s3 stores them in S3-compatible object storage (django-storages).
MEDIA_ROOT = Path(os.environ.get("GRIDDESK_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"  # never served directly: downloads go through the API (visibility, log)
if os.environ.get("GRIDDESK_STORAGE", "local") == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["GRIDDESK_S3_BUCKET"],
            "endpoint_url": os.environ.get("GRIDDESK_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("GRIDDESK_S3_REGION") or None,
            "access_key": os.environ.get("GRIDDESK_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("GRIDDESK_S3_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("GRIDDESK_S3_PREFIX", ""),
            "addressing_style": os.environ.get("GRIDDESK_S3_ADDRESSING_STYLE") or None,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

# Request bodies: the bulk endpoint takes up to 1,000 orders; anything larger is
# refused with 413 by RequestTooBigMiddleware rather than a bare 400 page.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("GRIDDESK_MAX_BODY", 8 * 1024 * 1024))
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

# Uploaded CSV/XLSX files (griddesk.common.files, ADR 0017), checked while streaming.
# An upload may be as large as an API request body, so the web forms and the API
# agree. A workbook may unpack to 100 MB (a 50,000-row survey of 40 questions is
# about 60 MB of sheet XML); 100,000 rows is above every import's own row limit;
# 200 columns and 20,000 characters per cell are far above any template's.
FILE_MAX_BYTES = int(os.environ.get("GRIDDESK_FILE_MAX_BYTES", DATA_UPLOAD_MAX_MEMORY_SIZE))
FILE_MAX_DECOMPRESSED_BYTES = int(os.environ.get("GRIDDESK_FILE_MAX_DECOMPRESSED_BYTES", 100 * 1024 * 1024))
FILE_MAX_ROWS = int(os.environ.get("GRIDDESK_FILE_MAX_ROWS", 100_000))
FILE_MAX_COLUMNS = int(os.environ.get("GRIDDESK_FILE_MAX_COLUMNS", 200))
FILE_MAX_CELL_CHARS = int(os.environ.get("GRIDDESK_FILE_MAX_CELL_CHARS", 20_000))
# Parsing costs about a microsecond per cell: 2,000,000 cells (a 50,000-row survey
# of 40 questions) bound a refusal or a read to seconds, not minutes.
FILE_MAX_CELLS = int(os.environ.get("GRIDDESK_FILE_MAX_CELLS", 2_000_000))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "griddesk.organisation.authentication.ActorTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "griddesk.common.errors.api_exception_handler",
    # Bounds JSON nesting and refuses non-object bodies (griddesk/common/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "griddesk.common.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "griddesk.common.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "GridDesk API",
    "DESCRIPTION": "95598 work-order intake and the complaint lifecycle. Codes are stable; labels are translated.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Offline machines: Swagger UI is served from the sidecar package, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # `check --deploy` is about a safe deployment; the schema's naming and
    # serializer-guess warnings are checked with `griddesk spectacular --validate`.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
    # The shared error shape on every operation (griddesk/common/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "griddesk.common.schema.add_error_responses",
    ],
}

# Background work: django-q2 on the ORM broker (no extra server). See
# docs/decisions/0003-task-queue.md. Set GRIDDESK_Q_SYNC=1 to run tasks inline.
# Two queues (griddesk.common.queues, ADR 0021): this default cluster is the
# background one (deliveries, recomputes, schedules); "interactive" (imports,
# satisfaction-index computations) has its own workers so it never waits
# behind a burst. `griddesk serve` starts a qcluster for each.
Q_CLUSTER = {
    "name": "griddesk",
    "orm": "default",
    "workers": int(os.environ.get("GRIDDESK_Q_WORKERS", 2)),
    "timeout": 120,
    "retry": 300,
    "max_attempts": 5,
    "catch_up": False,
    "sync": os.environ.get("GRIDDESK_Q_SYNC", "0") == "1",
    "label": _("Task queue (Django Q)"),
    "ALT_CLUSTERS": {
        "interactive": {
            "workers": int(os.environ.get("GRIDDESK_Q_INTERACTIVE_WORKERS", 1)),
            # An import may run up to an hour (imports.TASK_TIMEOUT_SECONDS sets it per task);
            # a task is handed out again only after `retry` seconds.
            "timeout": 3600,
            "retry": 3660,
        },
    },
}

# Bursts of notices (griddesk.notifications.services.DigestRule): per recipient
# and kind at most `threshold` notices one by one per `window_minutes`; the rest
# of the window become one digest notice, delivered once. threshold 0: off.
GRIDDESK_NOTICE_DIGEST = {
    "window_minutes": int(os.environ.get("GRIDDESK_DIGEST_WINDOW_MINUTES", 10)),
    "threshold": int(os.environ.get("GRIDDESK_DIGEST_THRESHOLD", 20)),
}

# How far in the future a received_at may lie (clock skew between systems).
GRIDDESK_FUTURE_TOLERANCE_SECONDS = 300
GRIDDESK_BULK_MAX = 1000
# Deepest JSON nesting an API body may have (griddesk.common.parsers).
GRIDDESK_JSON_MAX_DEPTH = 64
# Dates and times the API takes lie in these years (griddesk.common.validation);
# received/published times also no later than now + the tolerance above.
GRIDDESK_DATE_MIN_YEAR = int(os.environ.get("GRIDDESK_DATE_MIN_YEAR", 2000))
GRIDDESK_DATE_MAX_YEAR = int(os.environ.get("GRIDDESK_DATE_MAX_YEAR", 2100))
# Connections a deadline recompute (after a calendar or SLA-policy change) uses
# at once on PostgreSQL; unset: the machine's cores, at most 4.
_recompute_workers = os.environ.get("GRIDDESK_RECOMPUTE_WORKERS")
GRIDDESK_RECOMPUTE_WORKERS = int(_recompute_workers) if _recompute_workers else None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GRIDDESK_LOG_LEVEL", "WARNING")},
}

# Content-Security-Policy (django-csp): scripts only from this site (the few
# inline ones carry the request's nonce), no plugins, no framing, forms post
# only here. Inline style attributes stay allowed (charts, progress bars).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Permissions-Policy (django-permissions-policy): camera and location for this
# site only (photos from phones on site visits); everything else off.
PERMISSIONS_POLICY = {
    "camera": ["self"],
    "geolocation": ["self"],
    **{
        feature: []
        for feature in (
            "accelerometer", "autoplay", "display-capture", "encrypted-media", "fullscreen", "gyroscope",
            "hid", "idle-detection", "magnetometer", "microphone", "midi", "payment",
            "publickey-credentials-get", "screen-wake-lock", "serial", "usb", "xr-spatial-tracking",
        )
    },
}

# Webhooks (ADR 0029): hosts or CIDRs a webhook URL may resolve to even though
# they are internal (loopback, private, link-local …); comma-separated, empty by default.
GRIDDESK_WEBHOOK_ALLOWED_HOSTS = os.environ.get("GRIDDESK_WEBHOOK_ALLOWED_HOSTS", "")
