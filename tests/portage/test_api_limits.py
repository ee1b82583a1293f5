"""Bodies are bounded before they are parsed, for every API route: a JSON body, or a field
of it, nested 1,000 or 100,000 levels deep is a 400 in the error shape (never a 500); a
body of 20 MB, JSON or upload, is a 413 in the error shape; and nothing is recorded."""

import json

import pytest
from django.test import override_settings

from invoices.models import Client
from portage.api.limits import depth
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.helpers import api, key_for

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])


def nested(levels):
    return "[" * levels + "]" * levels


def post_raw(caller, body, content_type="application/json"):
    return caller.generic("POST", "/api/v1/clients/", body, content_type=content_type)


def test_depth_counts_the_levels():
    assert [depth(1), depth([]), depth({"a": [1]}), depth([[[]]])] == [0, 1, 2, 3]


@pytest.mark.parametrize("levels", [1_000, 100_000])
def test_a_deeply_nested_body_is_a_400(tenant_a, levels):
    caller = api(key_for(tenant_a, "write")[1])
    for body in (nested(levels), '{"legal_name": ' + nested(levels) + "}"):
        response = post_raw(caller, body)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "too_deep"
    with tenant_context(tenant_a):
        assert not Client.objects.exists()


def test_a_body_within_the_depth_is_judged_as_usual(tenant_a):
    caller = api(key_for(tenant_a, "write")[1])
    response = post_raw(caller, json.dumps({"legal_name": [[["x"]]]}))
    assert response.status_code == 400
    assert "legal_name" in response.json()["error"]["fields"]


@pytest.mark.parametrize("debug", [True, False])
def test_a_body_of_20_mb_is_a_413_in_the_error_shape(tenant_a, debug):
    caller = api(key_for(tenant_a, "write")[1])
    body = json.dumps({"legal_name": "x" * 20_000_000})
    with override_settings(DEBUG=debug):
        response = post_raw(caller, body)
        upload = caller.generic(
            "POST",
            "/api/v1/bank-statements/",
            b"-" * 20_000_000,
            content_type="multipart/form-data; boundary=x",
        )
    for answer in (response, upload):
        assert answer.status_code == 413
        assert answer["Content-Type"] == "application/json"
        assert answer.json()["error"]["code"] == "too_large"
    with tenant_context(tenant_a):
        assert not Client.objects.exists()
