"""Settings of the workers started by the reliability tests: the test profile, with each
email written to a file, so that what two worker processes sent can be counted."""

import os

from portage.settings.test import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["RELIABILITY_MAIL_DIR"]
