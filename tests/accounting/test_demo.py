"""The FEC of the demo company balances: overall, entry by entry, and each client's account
holds exactly what the client still owes (a strong check that nothing is missing)."""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest

from accounting.fec import FIELDS, fec_export
from accounting.selectors import client_aux
from insurance import demo as insurance_demo
from insurance.models import Claim
from insurance.services.batch import run_insurance
from invoices import demo as billing_demo
from invoices.models import Client, Invoice, Payment
from invoices.services.payments import unallocated
from portage import demo
from portage.batch import paris_today
from portage.models import Tenant
from portage.money import ZERO
from portage.permissions import Role
from portage.tenancy import tenant_context
from tests.factories import make_member

pytestmark = [pytest.mark.demo, pytest.mark.django_db]


def amount(text):
    return Decimal(text.replace(",", "."))


@pytest.fixture
def horizon():
    """One demo company, its billing and credit insurance; instead of replaying the ladder
    day by day, the insurance batch runs once today (claims for every invoice past the
    waiting period), then the demo indemnifies the oldest claim."""
    today = paris_today()
    tenant = Tenant.objects.create(**demo.TENANTS[0])
    make_member(tenant, Role.CONSULTANT, email="consultant@horizon.example")
    billing_demo.seed(tenant=tenant, today=today, password="demo-pass-2026")
    insurance_demo.seed(tenant=tenant, today=today)
    with tenant_context(tenant):
        run_insurance(tenant=tenant, today=today)
    insurance_demo.claims_in_several_states(tenant=tenant, today=today)
    return tenant, today


def test_the_demo_s_fec_balances_and_each_client_s_account_is_what_it_owes(horizon):
    tenant, today = horizon
    with tenant_context(tenant):
        name, content = fec_export(
            tenant=tenant, date_from=today - timedelta(days=365), date_to=today
        )
        owed = defaultdict(lambda: ZERO)
        for invoice in Invoice.objects.filter(kind=Invoice.Kind.INVOICE).select_related("client"):
            owed[client_aux(invoice.client)] += invoice.balance
        for payment in Payment.objects.select_related("client"):
            owed[client_aux(payment.client)] -= unallocated(payment)
        clients = list(Client.objects.all())
        assert Claim.objects.filter(indemnity_amount__gt=0).count() == 1
    assert name == f"812345676FEC{today:%Y%m%d}.txt"
    rows = [
        dict(zip(FIELDS, line.split("\t"), strict=True))
        for line in content.decode("iso8859_15").split("\r\n")[1:-1]
    ]
    debit = defaultdict(lambda: ZERO)
    credit = defaultdict(lambda: ZERO)
    on_411 = defaultdict(lambda: ZERO)
    for row in rows:
        entry = (row["JournalCode"], row["EcritureNum"])
        debit[entry] += amount(row["Debit"])
        credit[entry] += amount(row["Credit"])
        if row["CompteNum"] == "411000":
            on_411[row["CompAuxNum"]] += amount(row["Debit"]) - amount(row["Credit"])
    assert {journal for journal, _number in debit} == {"VT", "BQ", "AS"}
    assert debit == credit
    assert sum(debit.values()) == sum(credit.values()) > 0
    assert {aux: on_411[aux] for aux in owed} == dict(owed)
    # Lines lettered together cancel out; the demo's paid invoice is lettered.
    lettered = defaultdict(lambda: ZERO)
    for row in rows:
        if row["EcritureLet"]:
            lettered[row["EcritureLet"]] += amount(row["Debit"]) - amount(row["Credit"])
    assert lettered and set(lettered.values()) == {ZERO}
    assert set(on_411) <= {client_aux(client) for client in clients}
    # Numbers run on in each journal, without a gap.
    for journal in ("VT", "BQ", "AS"):
        numbers = sorted(int(n[len(journal) :]) for j, n in debit if j == journal)
        assert numbers == list(range(1, len(numbers) + 1))
