"""Settings for every environment, read from environment variables.

The defaults are safe for a developer's machine (PostgreSQL and Redis on 127.0.0.1);
`portage.settings.production` hardens them for a deployment.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name, default=""):
    return os.environ.get(name, default)


def envbool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def envlist(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# Persistent connections: a process keeps its connection to PostgreSQL for this many seconds
# (0: one per request or task), checked before each request or task reuses it. Safe with the
# tenancy (tests/portage/test_persistent_connections.py): the tenant is a transaction-local
# setting, gone with the transaction, and a connection left in a transaction or broken by an
# error is closed rather than reused.
DB_CONN_MAX_AGE = envint("DB_CONN_MAX_AGE", 60)


def database(name, default, **extra):
    config = dj_database_url.parse(
        env(name, default),
        conn_max_age=DB_CONN_MAX_AGE,
        conn_health_checks=envbool("DB_CONN_HEALTH_CHECKS", True),
    )
    config.update(extra)
    return config


SECRET_KEY = env("DJANGO_SECRET_KEY", "dev-only-key-not-for-production-7c1f0e9a")
DEBUG = envbool("DJANGO_DEBUG", True)
ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    # First, so that its `migrate` (which connects as the table owner) wins over Django's.
    "portage",
    "consultants",
    "invoices",
    "einvoicing",
    "dunning",
    "insurance",
    "webhooks",
    "accounting",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_filters",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portage.middleware.LanguageMiddleware",
    "portage.api.limits.ApiBodyLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portage.middleware.TenantMiddleware",
    "portage.middleware.MfaRequiredMiddleware",
]

ROOT_URLCONF = "portage.urls"
WSGI_APPLICATION = "portage.wsgi.application"
ASGI_APPLICATION = "portage.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portage.context_processors.navigation",
            ],
        },
    },
]

# Three PostgreSQL roles, one database (see README, "Database roles"):
# - default: the application; neither owns the tables nor bypasses row-level security;
# - platform: cross-tenant platform jobs, bypasses row-level security, used explicitly;
# - the owner (DATABASE_OWNER_USER) runs migrations only: `manage.py migrate` connects as it.
DATABASES = {
    "default": database(
        "DATABASE_URL",
        "postgres://portage_app:portage_app@127.0.0.1:5432/portage",
        ATOMIC_REQUESTS=True,
    ),
    "platform": database(
        "DATABASE_PLATFORM_URL",
        "postgres://portage_platform:portage_platform@127.0.0.1:5432/portage",
        TEST={"MIRROR": "default"},
    ),
}
DATABASE_OWNER_USER = env("DATABASE_OWNER_USER", "portage_owner")
DATABASE_OWNER_PASSWORD = env("DATABASE_OWNER_PASSWORD", "portage_owner")
# A superuser connection, used only by `manage.py setup_database` to create the roles.
DATABASE_ADMIN_URL = env("DATABASE_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DATABASE_ROUTERS = ["portage.db.PlatformRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
# The cache is Redis. Redis down, a read finds nothing and a write is lost, each logged: pages
# and the API keep working, the API without its throttle. Sign-in's rate limits and used
# two-factor codes are kept in PostgreSQL instead, Redis up or down (portage/cache.py,
# docs/security.md).
CACHE_OPTIONS = {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
CACHES = {
    "default": {
        "BACKEND": "portage.cache.FailOpenRedisCache",
        "LOCATION": env("CACHE_URL", "redis://127.0.0.1:6379/1"),
        "KEY_PREFIX": "portage",
        "OPTIONS": CACHE_OPTIONS,
    }
}

# Content-Security-Policy (django-csp): scripts and styles from our own static files only,
# no inline script, nothing from another site (the platform works offline anyway).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

AUTH_USER_MODEL = "portage.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"

# Sign-in (django-allauth): by email, verified, rate-limited; no public sign-up, since a
# tenant admin invites the company's users.
ACCOUNT_ADAPTER = "portage.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Portage] "
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "login": "30/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Portage"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The empty choice of a list's filters (django-filter) reads "All", not "---------".
FILTERS_EMPTY_CHOICE_LABEL = _("All")
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Portage <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The right-hand side of the Message-ID of collection emails (no DNS lookup at send time).
EMAIL_MESSAGE_ID_DOMAIN = env("EMAIL_MESSAGE_ID_DOMAIN", "portage.localhost")

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_RESULT_EXPIRES = 7 * 24 * 3600
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis down: a request that enqueues a task gives up within a second or two (the work is
# kept in the database, where a sweep or the next run finds it) instead of hanging for the
# 20 s of Celery's default retries, after which the result backend asks for a restart.
_QUICK_RETRIES = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = _QUICK_RETRIES
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": _QUICK_RETRIES}
# A task taken by a worker that died (SIGKILL, lost machine) is handed out again after this
# many seconds; longer than any task runs (acks_late: a task is acknowledged when done).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 3600)}
# The dunning batch splits a company's day into tasks of this many clients each.
DUNNING_CHUNK_CLIENTS = envint("DUNNING_CHUNK_CLIENTS", 200)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# A worker keeps its database connections from one task to the next, as a web process does
# from one request to the next (portage.celery), and opens them again after this many tasks.
CELERY_DB_REUSE_MAX = 1000 if DB_CONN_MAX_AGE else None

# A POST with an Idempotency-Key is hashed whole, uploads included: room for the largest
# bank statement (invoices.forms.STATEMENT_MAX_BYTES, 5 MB) and its multipart envelope.
DATA_UPLOAD_MAX_MEMORY_SIZE = 6_000_000
# An API body nested deeper than this is refused (portage.api.limits).
API_JSON_MAX_DEPTH = 32

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "portage.api.schema.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portage.api.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "portage.api.auth.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["portage.api.input.QueryFilters"],
    "DEFAULT_THROTTLE_CLASSES": ["portage.api.auth.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": env("API_RATE", "600/min")},
    "EXCEPTION_HANDLER": "portage.api.base.handle_exception",
    "DEFAULT_PARSER_CLASSES": [
        "portage.api.limits.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Portage API",
    "DESCRIPTION": (
        "The API of a portage salarial company's account on the platform: clients, "
        "consultants, missions, invoices, payments, collections and credit insurance. "
        "Authenticate with an API key created by the company's admin: "
        "`Authorization: Bearer ptg_...`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portage.api.schema.add_error_responses",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # WeasyPrint and fontTools narrate every render at INFO.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
