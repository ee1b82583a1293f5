"""The Celery app: broker Redis, schedule in the database (django-celery-beat)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portage.settings.base")

app = Celery("portage")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
