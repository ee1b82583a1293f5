"""The worklist's clients counted, sorted and paged by the database: what the collector sees
on a page is the same as when every overdue invoice was read."""

from datetime import timedelta
from decimal import Decimal

import pytest

from dunning import selectors
from portage.batch import paris_today
from tests.factories import day_line, make_client, make_invoice

pytestmark = pytest.mark.django_db

TODAY = paris_today()


@pytest.fixture
def three_clients(tenant_a):
    """Small (1 day, 80 days late), large (2 invoices of 5 days, 20 and 10 days late), and
    medium (3 days, 40 days late); plus an invoice not due yet, which is not on the list."""
    small, large, medium = (
        make_client(tenant_a, legal_name=name) for name in ("Bleu SA", "Atlas SAS", "Cèdre SARL")
    )
    # Issued in date order: numbers follow the dates.
    for client, days, ago in [(small, 1, 110), (medium, 3, 70), (large, 5, 50), (large, 5, 40)]:
        make_invoice(
            tenant_a, client=client, lines=[day_line(days)], issued_on=TODAY - timedelta(ago)
        )
    make_invoice(tenant_a, client=small, issued_on=TODAY - timedelta(days=5))
    return small, large, medium


def names(rows):
    return [row.client.legal_name for row in rows]


def test_the_worklist_sorts_clients_by_amount_lateness_and_name(three_clients, in_tenant, tenant_a):
    with in_tenant(tenant_a):
        assert names(selectors.worklist(today=TODAY)) == ["Atlas SAS", "Cèdre SARL", "Bleu SA"]
        assert names(selectors.worklist(today=TODAY, sort="late")) == [
            "Bleu SA",
            "Cèdre SARL",
            "Atlas SAS",
        ]
        assert names(selectors.worklist(today=TODAY, sort="client")) == [
            "Atlas SAS",
            "Bleu SA",
            "Cèdre SARL",
        ]


def test_a_page_of_the_worklist_holds_its_clients_with_all_their_overdue_invoices(
    three_clients, in_tenant, tenant_a
):
    with in_tenant(tenant_a):
        rows = selectors.worklist(today=TODAY)
        (second,) = rows[1:2]
        first = rows[0]
        assert len(rows) == 3
    assert first.client.legal_name == "Atlas SAS"
    assert len(first.invoices) == 2
    assert first.total == sum(invoice.balance_due for invoice in first.invoices)
    assert first.oldest_days == 20
    assert second.client.legal_name == "Cèdre SARL"


def test_the_worklist_totals_count_every_client_and_invoice_overdue(
    three_clients, in_tenant, tenant_a
):
    with in_tenant(tenant_a):
        rows = selectors.worklist(today=TODAY)
        totals = selectors.worklist_totals(rows)
        every = [invoice for row in rows for invoice in row.invoices]
    assert totals["clients"] == 3
    assert totals["invoices"] == 4
    assert totals["amount"] == sum((invoice.balance_due for invoice in every), Decimal("0"))


def test_the_minimum_leaves_out_the_clients_who_owe_less(three_clients, in_tenant, tenant_a):
    with in_tenant(tenant_a):
        rows = selectors.worklist(today=TODAY)
        medium_total = rows[1].total
        kept = selectors.worklist(today=TODAY, minimum=medium_total)
        assert names(kept) == ["Atlas SAS", "Cèdre SARL"]
        assert selectors.worklist_totals(kept)["clients"] == 2
