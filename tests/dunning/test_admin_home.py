"""The administrator's home names the collection emails that could not be sent (they bear
the company's name) and the open litigation files, and only the company's own."""

import pytest

from tests.dunning.test_litigation import failed_message
from tests.factories import make_client, make_member

pytestmark = pytest.mark.django_db


def test_the_admin_home_counts_the_emails_not_sent(tenant_a, tenant_b, signed_in):
    failed_message(tenant_a, make_client(tenant_a))
    failed_message(tenant_a, make_client(tenant_a))
    failed_message(tenant_b, make_client(tenant_b))
    page = signed_in(make_member(tenant_a, "admin")).get("/")
    assert "dunning/home/admin.html" in [t.name for t in page.templates]
    panel = next(c for c in page.context if "failed_messages" in c)
    assert (panel["failed_messages"], panel["litigation_open"]) == (2, 0)
