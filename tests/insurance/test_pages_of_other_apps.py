"""What credit insurance adds to the billing and collections pages through their signals:
the warning before an invoice is issued, the client's panel, each invoice's cover on the
worklist and the insurance events of a client's timeline."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from dunning.signals import invoice_facts
from insurance.models import Cover
from invoices.models import Invoice
from portage.batch import paris_today
from portage.permissions import Role
from tests.factories import make_client, make_invoice, make_member
from tests.insurance.test_cover_and_claims import grant, make_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy(tenant_a):
    """A policy in force today, whatever day the tests run."""
    today = paris_today()
    return make_policy(
        tenant_a, starts_on=today - timedelta(days=400), ends_on=today + timedelta(days=400)
    )


@pytest.fixture
def collector(signed_in, tenant_a):
    return signed_in(make_member(tenant_a, Role.COLLECTOR))


def test_the_issue_page_warns_of_the_part_the_insurer_will_not_cover(policy, collector, tenant_a):
    # No named limit and 6 000 HT over the 5 000 discretionary limit: nothing covered.
    draft = make_invoice(tenant_a)
    page = collector.get(reverse("invoice_issue", args=[draft.pk]))
    [warning] = page.context["warnings"]
    assert "6 000,00" in warning.replace("\u202f", " ").replace("\u00a0", " ")


def test_the_issue_page_warns_of_nothing_without_a_policy(collector, tenant_a):
    draft = make_invoice(tenant_a)
    assert collector.get(reverse("invoice_issue", args=[draft.pk])).context["warnings"] == []


def test_the_client_s_page_shows_its_insurance_panel(policy, collector, tenant_a):
    client = make_client(tenant_a)
    grant(tenant_a, client, policy, "20000.00", on=date(2020, 1, 1))
    page = collector.get(reverse("client_detail", args=[client.pk]))
    assert page.context["insurance"]["policy"] == policy
    assert reverse("insurance_client_limits", args=[client.pk]).encode() in page.content


def test_the_client_s_collections_timeline_shows_the_panel_and_the_insurance_events(
    policy, collector, tenant_a, in_tenant
):
    client = make_client(tenant_a)
    invoice = make_invoice(tenant_a, client=client, issued_on=paris_today() - timedelta(days=40))
    page = collector.get(reverse("dunning_client", args=[client.pk]))
    assert page.context["insurance"]["policy"] == policy
    with in_tenant(tenant_a):
        assert Cover.objects.get(invoice=invoice).uncovered_amount > 0
    assert [event for event in page.context["events"] if event.kind == "insurance"]


def test_the_worklist_shows_each_invoice_s_cover(policy, collector, tenant_a, in_tenant):
    invoice = make_invoice(tenant_a, issued_on=paris_today() - timedelta(days=40))
    assert invoice_facts.has_listeners(Invoice)
    page = collector.get(reverse("dunning_worklist"))
    assert page.context["show_cover"] is True
    [row] = page.context["page"].object_list
    with in_tenant(tenant_a):
        assert row.invoices[0].cover == Cover.objects.get(invoice=invoice)
