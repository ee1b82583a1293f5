"""Production profile: everything in `base`, hardened; `manage.py check --deploy` is clean.

DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS must be set; the platform sits behind a TLS
terminating load balancer that sets X-Forwarded-Proto.
"""

from .base import *  # noqa: F403
from .base import STORAGES, env, envbool, envint, envlist

SECRET_KEY = env("DJANGO_SECRET_KEY")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(  # noqa: F405
        "DJANGO_SECRET_KEY must be set to a random value of at least 50 characters"
    )
DEBUG = False
ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list the platform's host names")  # noqa: F405

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
# The load balancer probes /healthz over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
