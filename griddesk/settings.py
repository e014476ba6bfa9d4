"""Django settings for GridDesk.

Twelve-factor style: everything that differs between a laptop and production
comes from the environment. ``DATABASE_URL`` selects PostgreSQL; without it an
embedded SQLite file under ``var/`` is used.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("GRIDDESK_VAR_DIR", BASE_DIR.parent / "var"))

DEBUG = os.environ.get("GRIDDESK_DEBUG", "1") == "1"
SECRET_KEY = os.environ.get("GRIDDESK_SECRET_KEY", "griddesk-insecure-dev-key-change-me-in-production")
ALLOWED_HOSTS = os.environ.get("GRIDDESK_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before sessions, tokens and views: a NUL anywhere in the request is a 400.
    "griddesk.common.middleware.NulCharacterMiddleware",
    "griddesk.common.middleware.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "griddesk.common.middleware.RequestTooBigMiddleware",
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
                "griddesk.sla.context.sla_banner",
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
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
]
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
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Request bodies: the bulk endpoint takes up to 1,000 orders; anything larger is
# refused with 413 by RequestTooBigMiddleware rather than a bare 400 page.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("GRIDDESK_MAX_BODY", 8 * 1024 * 1024))
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

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
    # The shared error shape on every operation (griddesk/common/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "griddesk.common.schema.add_error_responses",
    ],
}

# Background work: django-q2 on the ORM broker (no extra server). See
# docs/decisions/0003-task-queue.md. Set GRIDDESK_Q_SYNC=1 to run tasks inline.
Q_CLUSTER = {
    "name": "griddesk",
    "orm": "default",
    "workers": int(os.environ.get("GRIDDESK_Q_WORKERS", 2)),
    "timeout": 120,
    "retry": 300,
    "max_attempts": 5,
    "catch_up": False,
    "sync": os.environ.get("GRIDDESK_Q_SYNC", "0") == "1",
    "label": "Django Q",
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
