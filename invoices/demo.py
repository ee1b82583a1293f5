"""Demo billing data for one portage company: consultants, clients, missions, and invoices at
every stage relative to today (see `manage.py seed_demo`). Runs once per company: a company
that already has invoices is left as it is.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from stdnum import luhn
from stdnum.fr import siren as stdnum_siren

from consultants.models import Consultant, LedgerEntry
from consultants.services import pay_out_record
from invoices.models import Client, Invoice
from invoices.services.bank import statement_import
from invoices.services.billing import (
    client_create,
    credit_note_issue,
    invoice_draft_create,
    invoice_issue,
    mission_create,
)
from invoices.services.payments import payment_record
from portage.models import Membership, User
from portage.permissions import Role
from portage.tenancy import tenant_context

D = Decimal

CLIENTS = [
    ("Atelier Numérique SAS", "Lyon", "69002", "12 quai Saint-Antoine"),
    ("Banque Rhodanienne SA", "Lyon", "69003", "40 cours Lafayette"),
    ("Logistique du Sud SARL", "Marseille", "13002", "5 boulevard des Dames"),
    ("Institut Ferrand SAS", "Clermont-Ferrand", "63000", "8 place de Jaude"),
    ("Énergies Alpines SA", "Annecy", "74000", "22 avenue d'Albigny"),
]

OTHER_CONSULTANTS = [("Léa Bernard", "lea.bernard", "8.00"), ("Hugo Petit", "hugo.petit", "12.00")]


@dataclass
class Stage:
    """An invoice to create: issued `issued_ago` days before today (None: a draft)."""

    label: str
    issued_ago: int | None
    days: str
    paid: str = "none"  # none, half, full
    credited: bool = False
    consultant: int = 0
    client: int = 0


# Net 30 days: overdue by N days means issued 30 + N days ago.
STAGES = [
    Stage("overdue 200 days", 230, "12", client=3),
    Stage("overdue 100 days", 130, "15", client=2, consultant=1),
    Stage("paid", 75, "20", paid="full", client=1),
    Stage("credited", 72, "6", credited=True, client=4),
    Stage("overdue 40 days", 70, "18", client=0),
    Stage("overdue 20 days, partly paid", 50, "10", paid="half", client=1),
    Stage("overdue 20 days", 50, "8", client=4, consultant=2),
    Stage("overdue 5 days", 35, "14", client=0),
    Stage("due today", 30, "19", client=2),
    Stage("not due yet", 10, "21", client=3),
    Stage("not due yet, other consultant", 8, "9", client=0, consultant=1),
    Stage("draft", None, "17", client=1),
]


def _siren(seed):
    base = f"{seed:08d}"
    return base + luhn.calc_check_digit(base)


def _consultants(tenant, password):
    main_user = User.objects.get(email=f"consultant@{tenant.slug}.example")
    people = [(main_user, D("10.00"))]
    for full_name, local_part, rate in OTHER_CONSULTANTS:
        email = f"{local_part}@{tenant.slug}.example"
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email, password=password, full_name=full_name
        )
        Membership.objects.get_or_create(
            tenant=tenant, user=user, defaults={"role": Role.CONSULTANT}
        )
        people.append((user, D(rate)))
    return [
        Consultant.objects.get_or_create(
            tenant=tenant,
            user=user,
            defaults={
                "fee_rate": rate,
                "start_date": tenant.created_at.date() - timedelta(days=400),
            },
        )[0]
        for user, rate in people
    ]


def _clients(tenant):
    clients = []
    for position, (name, city, postal_code, street) in enumerate(CLIENTS):
        siren = _siren(tenant.pk * 1000 + position + 31_400_000)
        clients.append(
            Client.objects.filter(tenant=tenant, siren=siren).first()
            or client_create(
                tenant=tenant,
                by=None,
                legal_name=name,
                siren=siren,
                siret="",
                vat_number="FR" + stdnum_siren.to_tva(siren),
                country="FR",
                address_line1=street,
                address_line2="",
                postal_code=postal_code,
                city=city,
                billing_emails=[f"comptabilite@{name.split()[0].lower()}.example"],
                category=Client.Category.PRIVATE,
                payment_terms="net",
                payment_days=30,
            )
        )
    return clients


def _import_statement(tenant, today):
    """A bank statement with three credits: one naming its invoice, one matching an open
    balance, one the collector must place by hand."""
    open_invoices = list(
        Invoice.objects.filter(tenant=tenant, status="issued", kind="invoice").order_by("due_date")
    )
    named, by_amount = open_invoices[-3], open_invoices[-4]
    day = f"{today - timedelta(days=1):%d/%m/%Y}"
    rows = [
        "Date opération;Libellé;Tiers;Montant;Devise;Référence",
        f"{day};VIR SEPA RECU /MOTIF REGLEMENT {named.number};{named.client.legal_name.upper()};"
        f"{named.balance};EUR;DEMO{tenant.pk}-1",
        f"{day};VIR SEPA RECU /MOTIF PAIEMENT PRESTATIONS;{by_amount.client.legal_name.upper()};"
        f"{by_amount.balance};EUR;DEMO{tenant.pk}-2",
        f"{day};VIR SEPA RECU /MOTIF ACOMPTE;SOCIETE INCONNUE;1500.00;EUR;DEMO{tenant.pk}-3",
        f"{day};PRLV SEPA URSSAF;URSSAF;-4200.00;EUR;DEMO{tenant.pk}-4",
    ]
    statement_import(
        tenant=tenant,
        content="\n".join(rows).encode(),
        filename=f"releve-{today:%Y-%m-%d}.csv",
        by=None,
    )


def seed(*, tenant, today, password):
    """The company's consultants, clients, missions and invoices at every stage."""
    with tenant_context(tenant):
        if Invoice.objects.filter(tenant=tenant).exists():
            return False
        consultants = _consultants(tenant, password)
        clients = _clients(tenant)
        missions = {}
        for stage in STAGES:
            key = (stage.consultant, stage.client)
            if key not in missions:
                missions[key] = mission_create(
                    tenant=tenant,
                    consultant=consultants[stage.consultant],
                    client=clients[stage.client],
                    by=None,
                    title=f"Mission de conseil — {clients[stage.client].legal_name}",
                    start_date=today - timedelta(days=300),
                    end_date=None,
                    daily_rate=D("620.00") + 40 * stage.consultant,
                    payment_terms="net",
                    payment_days=30,
                    purchase_order=f"BC-{tenant.pk}{len(missions) + 1:04d}",
                )
        ordered = sorted(STAGES, key=lambda s: (s.issued_ago is None, -(s.issued_ago or 0)))
        for stage in ordered:
            mission = missions[(stage.consultant, stage.client)]
            invoice = invoice_draft_create(
                tenant=tenant,
                client=mission.client,
                consultant=mission.consultant,
                mission=mission,
                by=None,
                lines=[
                    {
                        "description": f"{mission.title} — {stage.days} jours",
                        "quantity": D(stage.days),
                        "unit": "DAY",
                        "unit_price": mission.daily_rate,
                        "vat_rate": D("20.00"),
                    }
                ],
            )
            if stage.issued_ago is None:
                continue
            issued_on = today - timedelta(days=stage.issued_ago)
            invoice = invoice_issue(invoice=invoice, by=None, issued_on=issued_on)
            if stage.credited:
                credit_note_issue(
                    invoice=invoice,
                    by=None,
                    issued_on=issued_on,
                    reason="Mission annulée par le client",
                )
            if stage.paid != "none":
                amount = (
                    invoice.total_ttc
                    if stage.paid == "full"
                    else (invoice.total_ttc / 2).quantize(D("0.01"))
                )
                payment_record(
                    client=invoice.client,
                    amount=amount,
                    by=None,
                    received_on=min(invoice.due_date, today),
                    reference=f"VIR {invoice.number}",
                    allocations=[(invoice, amount)],
                )
        _import_statement(tenant, today)
        pay_out_record(
            consultant=consultants[0],
            kind=LedgerEntry.Kind.SALARY_PAID,
            amount=D("3200.00"),
            booked_on=today - timedelta(days=25),
            label="Salaire du mois précédent",
            by=None,
        )
    return True
