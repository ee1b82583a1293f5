"""Helpers the tests of several apps share: the project's own apps, callers of the REST API
with a company's key, and two requests at the same moment. Objects of the domain are made
in `tests.factories`."""

import threading
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connections
from rest_framework.test import APIClient

from portage.api.keys import api_key_create
from portage.permissions import Role
from portage.tenancy import tenant_context
from tests.factories import make_member


def project_apps():
    """The labels of the installed apps that are this project's (a package at the top of
    the repository), in the order of INSTALLED_APPS."""
    return [
        config.label
        for config in apps.get_app_configs()
        if Path(config.path).parent == Path(settings.BASE_DIR)
    ]


def key_for(tenant, scope="read"):
    """A new API key of `tenant` (`read` or `write`), made by a new admin: (key, secret)."""
    admin = make_member(tenant, Role.ADMIN).user
    with tenant_context(tenant):
        return api_key_create(tenant=tenant, name="Compta", scope=scope, by=admin)


def api(full_key=None, *, language=None):
    """An API client sending `full_key` as its bearer token (none: anonymous), asking for
    answers in `language` when given."""
    client = APIClient()
    if full_key:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {full_key}")
    if language:
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def caller(tenant, scope="write"):
    """A caller with a new key of `tenant`, reading messages in English."""
    return api(key_for(tenant, scope)[1], language="en")


def twins(request):
    """Runs `request()` twice at the same moment, each in its own thread and database
    connection; returns both responses."""
    start = threading.Barrier(2, timeout=20)
    responses = []

    def run():
        try:
            start.wait()
            responses.append(request())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses
