"""The API against its own contract: schemathesis reads the OpenAPI schema the server
serves and sends generated requests, valid and not, to every operation of the running server
with a read-write key. No answer may be a 5xx, and every answer must match what the schema
says (the body for its status, the error shape for 4xx, the content type). Detail routes
are called with ids that exist as well as generated ones."""

from importlib import import_module

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from portage.api.auth import ApiKeyRateThrottle
from portage.api.keys import api_key_create
from portage.api.urls import APPS, router
from portage.permissions import Role
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.factories import TenantFactory, make_member

pytestmark = [
    pytest.mark.schemathesis,
    pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB]),
]

VALID_EXAMPLES = 8
INVALID_EXAMPLES = 4
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def company_with_data():
    """One company with an object of every kind the API serves, and a read-write key."""
    tenant = TenantFactory(legal_name="Gamma Portage")
    ids = {}
    for app in APPS:
        ids.update(import_module(f"tests.{app}.api_world").build(tenant))
    admin = make_member(tenant, Role.ADMIN).user
    with tenant_context(tenant):
        _key, full = api_key_create(tenant=tenant, name="Fuzz", scope="write", by=admin)
    return full, ids


def existing_id(operation, ids):
    """The id of an object of this company for a detail route, from its router prefix."""
    if "{id}" not in operation.path:
        return None
    for prefix, _viewset, basename in router.registry:
        if operation.path.startswith(f"/api/v1/{prefix}/{{id}}/"):
            return ids.get(basename.removeprefix("api-"))
    return None


def test_every_operation_answers_within_its_schema(live_server, monkeypatch):
    # Generated calls come by the hundred: the per-key limit is not under test here.
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api": "100000/min"})
    full_key, ids = company_with_data()
    headers = {"Authorization": f"Bearer {full_key}"}
    # The schema the server serves at /api/v1/schema/, generated as that view does.
    schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        known = existing_id(operation, ids)
        for mode, examples in (
            (GenerationMode.POSITIVE, VALID_EXAMPLES),
            (GenerationMode.NEGATIVE, INVALID_EXAMPLES),
        ):
            strategy = operation.as_strategy(generation_mode=mode)
            if known is not None:
                strategy = st.one_of(
                    strategy, operation.as_strategy(mode, path_parameters={"id": known})
                )

            @given(strategy)
            @settings(
                max_examples=examples,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                database=None,
            )
            def call(case):
                case.call_and_validate(base_url=live_server.url, headers=headers, checks=CHECKS)

            try:
                call()
            except (Exception, BaseExceptionGroup) as error:  # each operation is reported
                failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert operations >= 20
    assert not failures, "\n\n".join(failures)
