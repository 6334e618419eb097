"""Nexus settings: one env-driven file (STYLE R19). See .env.example."""

import os
from pathlib import Path

import environ
import orjson
from csp.constants import NONE, SELF, UNSAFE_HASHES, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("NEXUS_VAR_DIR", BASE_DIR / "var"))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# ------------------------------------------------------------------------------
# Core
# ------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env(
    "DJANGO_SECRET_KEY",
    default="dev-only-insecure-key-change-me-0123456789abcdef"
    if DEBUG
    else environ.Env.NOTSET,
)
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
NEXUS_DEMO = env.bool("NEXUS_DEMO", default=False)
NEXUS_ALLOW_REGISTRATION = env.bool("NEXUS_ALLOW_REGISTRATION", default=False)
# A pepper for API-key hashes; separate from SECRET_KEY so rotating one keeps the other.
NEXUS_API_KEY_PEPPER = env("NEXUS_API_KEY_PEPPER", default=SECRET_KEY)
# Bad API keys from one address within the window before it gets 429.
NEXUS_API_KEY_FAILURE_LIMIT = env.int("NEXUS_API_KEY_FAILURE_LIMIT", default=50)
NEXUS_API_KEY_FAILURE_WINDOW = env.int("NEXUS_API_KEY_FAILURE_WINDOW", default=600)
# Fernet keys (comma separated, first is current) for secrets stored in the database.
NEXUS_FIELD_ENCRYPTION_KEYS = env.list("NEXUS_FIELD_ENCRYPTION_KEYS", default=[])
# Absolute links in emails (e.g. https://nexus.example.com); empty = relative links.
NEXUS_BASE_URL = env("NEXUS_BASE_URL", default="")
# A closed ticket reopens on a public reply within this many days.
NEXUS_TICKET_REOPEN_DAYS = env.int("NEXUS_TICKET_REOPEN_DAYS", default=14)
NEXUS_PORTAL_TICKET_RATE = env("NEXUS_PORTAL_TICKET_RATE", default="60/hour")
# Fleet agents: offline after this many minutes without a report; upload limits.
NEXUS_FLEET_OFFLINE_MINUTES = env.int("NEXUS_FLEET_OFFLINE_MINUTES", default=10)
NEXUS_FLEET_MAX_SCREENSHOT_BYTES = env.int(
    "NEXUS_FLEET_MAX_SCREENSHOT_BYTES", default=1024 * 1024
)
NEXUS_FLEET_MAX_INGEST_BYTES = env.int(
    "NEXUS_FLEET_MAX_INGEST_BYTES", default=2 * 1024 * 1024
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "django_guid",
    "csp",
    "axes",
    "simple_history",
    "import_export",
    # nexus
    "nexus",
    "accounts",
    "companies",
    "contacts",
    "assets",
    "tickets",
    "projects",
    "knowledge",
    "manufacturing",
    "integrations",
]

# nexus.middleware's are the Django/third-party ones of the same name, skipped for
# API requests that carry an API key or bearer token (they need no session,
# CSRF, messages or htmx); every other request runs them.
MIDDLEWARE = [
    "django_guid.middleware.guid_middleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "nexus.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Django's own, by name: `check --deploy` looks for it (security.W003). For
    # DRF's views (csrf_exempt) it costs next to nothing.
    "django.middleware.csrf.CsrfViewMiddleware",
    "nexus.middleware.AuthenticationMiddleware",
    "nexus.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "nexus.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "nexus.urls"
WSGI_APPLICATION = "nexus.wsgi.application"
ASGI_APPLICATION = "nexus.asgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "nexus" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "nexus.navigation.navigation",
            ],
        },
    },
]

# ------------------------------------------------------------------------------
# Databases: SQLite (WAL) by default, PostgreSQL with DATABASE_URL
# ------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'nexus.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets the web server read while the worker writes; IMMEDIATE makes a
            # writer take the lock at BEGIN, so concurrent writers queue instead of
            # failing with "database is locked" half-way through a transaction.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                " PRAGMA busy_timeout=20000;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", 60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
# The asset API's page query is sent as a named prepared statement (planned once
# per connection); turn off behind a pooler in transaction mode that does not
# support prepared statements (PgBouncer < 1.21, or max_prepared_statements=0).
NEXUS_API_PREPARED_STATEMENTS = env.bool("NEXUS_API_PREPARED_STATEMENTS", default=True)
# How long a sync run's start and end writes wait for the database to come back
# (a PostgreSQL restart or failover) before the run is left to the reaper.
NEXUS_SYNC_DB_RETRY_SECONDS = env.float("NEXUS_SYNC_DB_RETRY_SECONDS", default=60.0)

# ------------------------------------------------------------------------------
# Cache and Celery: Redis with REDIS_URL, else shared file cache + filesystem broker
# ------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Degrades to "no cache" while Redis is down (nexus/cache.py).
            "BACKEND": "nexus.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("NEXUS_CACHE_PREFIX", default="nexus"),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3 * 3600}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
    CELERY_BROKER_URL = "nexusfs://localhost//"  # nexus.broker: atomic filesystem
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_TIME_LIMIT = 2 * 3600
CELERY_TASK_SOFT_TIME_LIMIT = 2 * 3600 - 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE: dict = {}
CELERY_TIMEZONE = env("DJANGO_TIME_ZONE", default="UTC")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# ------------------------------------------------------------------------------
# Auth
# ------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.EmailOrUsernameBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

AXES_FAILURE_LIMIT = env.int("NEXUS_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("NEXUS_LOGIN_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "accounts.axes.get_username"
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout"
AXES_VERBOSE = False

# ------------------------------------------------------------------------------
# i18n
# ------------------------------------------------------------------------------
LANGUAGE_CODE = env("DJANGO_LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("el", _("Greek"))]
LOCALE_PATHS = [BASE_DIR / "nexus" / "locale"]
TIME_ZONE = env("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
FORMS_URLFIELD_ASSUME_HTTPS = True

# ------------------------------------------------------------------------------
# Static and media
# ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=VAR_DIR / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploads live outside the static root and are never served by a URL of their own:
# each app serves them through a permission-checked view.
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "/media-not-served/"
NEXUS_MAX_UPLOAD_BYTES = env.int("NEXUS_MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

# ------------------------------------------------------------------------------
# Email
# ------------------------------------------------------------------------------
vars().update(env.email_url("DJANGO_EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="nexus@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# ------------------------------------------------------------------------------
# REST framework
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # API keys first: simplejwt rejects any Bearer value that is not a JWT.
        "accounts.authentication.ApiKeyAuthentication",
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["nexus.permissions.ModelPermissions"],
    "DEFAULT_PAGINATION_CLASS": "nexus.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        # Refuse blank, malformed and repeated filter values with a 400 (issue 10).
        "nexus.filters.FilterBackend",
        "nexus.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "nexus.renderers.JSONRenderer",  # orjson; may embed pre-rendered rows
        "nexus.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "drf_orjson_renderer.parsers.ORJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "nexus.schema.ListOnGetAutoSchema",
    "EXCEPTION_HANDLER": "nexus.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        # Two counters per caller, one cache round trip (DRF's keep a list).
        "nexus.throttling.AnonRateThrottle",
        "nexus.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("NEXUS_THROTTLE_ANON", default="120/min"),
        "user": env("NEXUS_THROTTLE_USER", default="6000/min"),
        "login": env("NEXUS_THROTTLE_LOGIN", default="20/min"),
        "ingest": env("NEXUS_THROTTLE_INGEST", default="120/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # DRF keys errors of nested lists by index (ints); render them instead of failing.
    "ORJSON_RENDERER_OPTIONS": (orjson.OPT_NON_STR_KEYS,),
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": __import__("datetime").timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": __import__("datetime").timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Nexus API",
    "DESCRIPTION": "PSA and client database for MSPs and small manufacturers.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api",
    "ENUM_NAME_OVERRIDES": {},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "nexus.schema.add_error_responses",
        "nexus.schema.drop_unicode_slug_patterns",
    ],
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key"}
        }
    },
    "SECURITY": [{"ApiKeyAuth": []}],
}

# ------------------------------------------------------------------------------
# Import/export, history
# ------------------------------------------------------------------------------
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
SIMPLE_HISTORY_HISTORY_ID_USE_UUID = False

# ------------------------------------------------------------------------------
# Request IDs and logging
# ------------------------------------------------------------------------------
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": False,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": True,
    "UUID_LENGTH": 32,
    "INTEGRATIONS": [],
}
LOG_JSON = env.bool("NEXUS_LOG_JSON", default=not DEBUG)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "django_guid.log_filters.CorrelationId"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s [%(correlation_id)s] %(name)s: "
            "%(message)s"
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(correlation_id)s %(name)s "
            "%(message)s",
            "rename_fields": {"correlation_id": "request_id"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_JSON else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": env("NEXUS_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django_guid": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},  # one INFO line per upstream request otherwise
    },
}

# ------------------------------------------------------------------------------
# Security (production: DEBUG off)
# ------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^api/status/?$", r"^api/health/?$"]
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Content-Security-Policy (django-csp) on every response: script only from our
# own static files (templates carry no inline script or handler; nexus/ui.js
# does their work from data attributes), no eval (htmx runs with allowEval off).
# Inline styles stay allowed: templates and htmx's indicator styles use them.
# script-src-attr: the one inline handler left in a third-party template,
# django-import-export's "Select all" box on the admin export page, by its hash
# (nexus/tests/test_csp.py fails if that handler's text changes).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "script-src-attr": [
            UNSAFE_HASHES,
            "'sha256-wid4zL8fR53ZYy1ljOepzR77Dn6vWUUxuNnnWWBP3I8='",  # the handler's text
        ],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "img-src": [SELF, "data:"],
        "style-src": [SELF, UNSAFE_INLINE],
    },
}

# ------------------------------------------------------------------------------
# Integrations (defaults; connections are editable in the admin)
# ------------------------------------------------------------------------------
NEXUS_DATTO_API_URL = env("NEXUS_DATTO_API_URL", default="")
NEXUS_DATTO_API_KEY = env("NEXUS_DATTO_API_KEY", default="")
NEXUS_DATTO_API_SECRET = env("NEXUS_DATTO_API_SECRET", default="")
NEXUS_FRESHSERVICE_URL = env("NEXUS_FRESHSERVICE_URL", default="")
NEXUS_FRESHSERVICE_API_KEY = env("NEXUS_FRESHSERVICE_API_KEY", default="")
