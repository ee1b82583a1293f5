"""Test profile: the real PostgreSQL and Redis, on their own Redis databases."""

from .base import *  # noqa: F403
from .base import env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
REDIS_URL = env("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CACHES = {
    "default": {
        "BACKEND": "portage.cache.FailOpenRedisCache",
        "LOCATION": env("TEST_CACHE_URL", "redis://127.0.0.1:6379/15"),
        "KEY_PREFIX": "portage-test",
        "OPTIONS": CACHE_OPTIONS,  # noqa: F405
    }
}
MEDIA_ROOT = BASE_DIR / "var" / "test-media"  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Serve static files from the app folders, as in development, without collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Webhook receivers in the tests listen on 127.0.0.1 over plain http.
WEBHOOKS_ALLOW_PRIVATE = True
# A session running the suite beside another names its own test database.
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", "test_portage")}  # noqa: F405
