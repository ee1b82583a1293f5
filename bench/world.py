"""Bench data: portage companies with thousands of issued invoices, written in bulk.

Issuing 200,000 invoices through `invoice_issue` would take hours (a counter lock, an audit
row, a cover decision and a PDF task each), so the rows the services would leave are
written directly with `bulk_create`, inside each company's `tenant_context` (row-level
security applies as usual): issued invoices numbered in date order with their line, frozen
seller and buyer, due date and fee rate; payments with their allocation for the paid and
partly paid ones; a credit insurance policy, credit limits and each invoice's cover; the
company's default dunning policy and reference rates.

Ages are spread so that about half of the invoices are overdue, from 1 to 230 days, a third
not due yet, and the rest paid. The dunning policy catches up (`catch_up`): the measured
day is the company's first day on the ladder, when every overdue invoice gets its step at
once — the heaviest day the batch can have.
"""

import random
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password

from consultants.models import Consultant
from dunning.models import Policy
from dunning.services.defaults import tenant_defaults_ensure
from insurance.models import Cover, CreditLimit, InsurancePolicy, Insurer
from invoices.models import (
    Allocation,
    Client,
    Invoice,
    InvoiceLine,
    Mission,
    NumberCounter,
    Payment,
)
from invoices.services.billing import _buyer, _seller
from portage.models import Membership, Tenant, User
from portage.money import ZERO, to_cents
from portage.permissions import Role
from portage.tenancy import tenant_context

D = Decimal
VAT = D("20.00")
BATCH = 2000
CITIES = [
    ("Paris", "75008"),
    ("Lyon", "69002"),
    ("Marseille", "13002"),
    ("Nantes", "44000"),
    ("Lille", "59000"),
    ("Toulouse", "31000"),
    ("Bordeaux", "33000"),
    ("Strasbourg", "67000"),
]
KINDS = ["SAS", "SA", "SARL", "SASU"]


def luhn_siren(seed):
    """A valid SIREN (Luhn) from a number."""
    base = f"{seed:08d}"[-8:]
    for check in range(10):
        digits = [int(c) for c in base + str(check)]
        total = 0
        for position, digit in enumerate(reversed(digits)):
            if position % 2:
                digit *= 2
                digit -= 9 if digit > 9 else 0
            total += digit
        if total % 10 == 0:
            return base + str(check)
    raise AssertionError


def vat_of(siren):
    key = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{key:02d}{siren}"


def build(
    *,
    tenants,
    invoices_per_tenant,
    today,
    clients_per_tenant=250,
    consultants_per_tenant=None,
    first_index=0,
    seed=7,
):
    """Creates `tenants` companies of `invoices_per_tenant` issued invoices; returns them.
    Each consultant works for four clients unless `consultants_per_tenant` says otherwise."""
    rng = random.Random(seed)  # noqa: S311 (reproducible data, not secrets)
    password = make_password(None)
    made = []
    for index in range(first_index, first_index + tenants):
        made.append(
            _company(
                index,
                invoices_per_tenant=invoices_per_tenant,
                clients=clients_per_tenant,
                consultants=consultants_per_tenant or max(1, clients_per_tenant // 4),
                today=today,
                rng=rng,
                password=password,
            )
        )
    return made


def _company(index, *, invoices_per_tenant, clients, consultants, today, rng, password):
    siren = luhn_siren(70_000_000 + index)
    tenant = Tenant.objects.create(
        slug=f"bench-{index:02d}",
        legal_name=f"Bench Portage {index:02d} SAS",
        siren=siren,
        vat_number=vat_of(siren),
        address_line1=f"{index + 1} rue du Banc",
        postal_code="75011",
        city="Paris",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
    )
    with tenant_context(tenant):
        people = _people(tenant, index, consultants, password)
        client_rows = _clients(tenant, index, clients)
        missions = _missions(tenant, client_rows, people["consultants"], today, rng)
        invoices = _invoices(tenant, missions, invoices_per_tenant, today, rng)
        _payments(tenant, invoices, people["admin"])
        _insurance(tenant, client_rows, invoices, today, rng)
        tenant_defaults_ensure(tenant)
        Policy.objects.filter(is_default=True).update(catch_up=True)
    return tenant


def _people(tenant, index, consultants, password):
    """An admin, a collector and the consultants, as members of the company."""
    users = [
        User(email=f"admin@bench-{index:02d}.example", full_name="Admin Bench", password=password),
        User(
            email=f"recouvrement@bench-{index:02d}.example",
            full_name="Collector Bench",
            password=password,
        ),
    ] + [
        User(
            email=f"consultant{number}@bench-{index:02d}.example",
            full_name=f"Consultant {number} Bench",
            password=password,
        )
        for number in range(consultants)
    ]
    users = User.objects.bulk_create(users)
    roles = [Role.ADMIN, Role.COLLECTOR] + [Role.CONSULTANT] * consultants
    Membership.objects.bulk_create(
        Membership(tenant=tenant, user=user, role=role)
        for user, role in zip(users, roles, strict=True)
    )
    rows = Consultant.objects.bulk_create(
        Consultant(
            tenant=tenant,
            user=user,
            fee_rate=D("8.00") + (number % 5),
            start_date=tenant.created_at.date() - timedelta(days=700),
        )
        for number, user in enumerate(users[2:])
    )
    return {"admin": users[0], "collector": users[1], "consultants": rows}


def _clients(tenant, index, count):
    rows = []
    for number in range(count):
        siren = luhn_siren(30_000_000 + index * 10_000 + number)
        city, postal_code = CITIES[number % len(CITIES)]
        name = f"Client {index:02d}-{number:04d} {KINDS[number % len(KINDS)]}"
        rows.append(
            Client(
                tenant=tenant,
                legal_name=name,
                siren=siren,
                vat_number=vat_of(siren),
                address_line1=f"{number + 1} avenue des Clients",
                postal_code=postal_code,
                city=city,
                billing_emails=[f"compta{number}@client{index:02d}.example"],
                category=Client.Category.PRIVATE,
                payment_terms="net",
                payment_days=30,
            )
        )
    return Client.objects.bulk_create(rows, batch_size=BATCH)


def _missions(tenant, clients, consultants, today, rng):
    """One mission per client, each consultant working for a few clients."""
    return Mission.objects.bulk_create(
        (
            Mission(
                tenant=tenant,
                consultant=consultants[number % len(consultants)],
                client=client,
                title=f"Mission de conseil — {client.legal_name}",
                start_date=today - timedelta(days=400),
                daily_rate=D(rng.choice(["550.00", "620.00", "700.00", "850.00"])),
                payment_terms="net",
                payment_days=30,
                purchase_order=f"BC-{tenant.pk}-{number:04d}",
            )
            for number, client in enumerate(clients)
        ),
        batch_size=BATCH,
    )


def _age(rng):
    """Days since issue: half overdue (31 to 260), a third not due yet, the rest paid."""
    draw = rng.random()
    if draw < 0.5:
        return rng.randint(31, 260), "open"
    if draw < 0.83:
        return rng.randint(0, 29), "open"
    return rng.randint(31, 260), "paid"


def _invoices(tenant, missions, count, today, rng):
    seller = _seller(tenant)
    drawn = sorted(((*_age(rng), rng.choice(missions)) for _ in range(count)), key=lambda d: -d[0])
    counters = {}
    rows, lines = [], []
    for ago, fate, mission in drawn:
        issue_date = today - timedelta(days=ago)
        counters[issue_date.year] = counters.get(issue_date.year, 0) + 1
        days = D(rng.randint(4, 20))
        total_ht = to_cents(days * mission.daily_rate)
        total_vat = to_cents(total_ht * VAT / 100)
        total_ttc = total_ht + total_vat
        partly = fate == "open" and ago > 40 and rng.random() < 0.1
        paid = total_ttc if fate == "paid" else to_cents(total_ttc / 2) if partly else D("0")
        status = (
            Invoice.Status.PAID
            if fate == "paid"
            else Invoice.Status.PARTIALLY_PAID
            if partly
            else Invoice.Status.ISSUED
        )
        number = f"{tenant.invoice_prefix}-{issue_date.year}-{counters[issue_date.year]:06d}"
        rows.append(
            invoice_row(
                tenant,
                mission,
                number=number,
                issue_date=issue_date,
                days=days,
                seller=seller,
                buyer=_buyer(mission.client),
                paid=paid,
            )
        )
        lines.append((days, mission, status))
    invoices = Invoice.objects.bulk_create(rows, batch_size=BATCH)
    invoice_lines(tenant, invoices, [(days, mission) for days, mission, _status in lines])
    for status in {status for _days, _mission, status in lines}:
        chosen = [
            invoice.pk
            for invoice, (_days, _mission, fate) in zip(invoices, lines, strict=True)
            if fate == status
        ]
        Invoice.objects.filter(pk__in=chosen).update(status=status)
    for invoice, (_days, _mission, status) in zip(invoices, lines, strict=True):
        invoice.status = status
    NumberCounter.objects.bulk_create(
        NumberCounter(
            tenant=tenant,
            kind=Invoice.Kind.INVOICE,
            prefix=tenant.invoice_prefix,
            year=year if tenant.number_yearly_reset else 0,
            last_number=last,
            last_issue_date=max(i.issue_date for i in invoices if i.issue_date.year == year),
        )
        for year, last in counters.items()
    )
    return invoices


def issued_at(day):
    return datetime.combine(day, time(9), tzinfo=UTC)


def _payments(tenant, invoices, admin):
    """A transfer allocated to each paid or partly paid invoice."""
    settled = [invoice for invoice in invoices if invoice.paid_amount > 0]
    payments = Payment.objects.bulk_create(
        (
            Payment(
                tenant=tenant,
                client_id=invoice.client_id,
                amount=invoice.paid_amount,
                received_on=invoice.due_date,
                method=Payment.Method.TRANSFER,
                reference=f"VIR {invoice.number}",
                created_by=admin,
            )
            for invoice in settled
        ),
        batch_size=BATCH,
    )
    Allocation.objects.bulk_create(
        (
            Allocation(
                tenant=tenant,
                payment=payment,
                invoice=invoice,
                amount=invoice.paid_amount,
                created_by=admin,
            )
            for payment, invoice in zip(payments, settled, strict=True)
        ),
        batch_size=BATCH,
    )


def _insurance(tenant, clients, invoices, today, rng):
    """A policy in force over the whole period, limits for most clients, and covers."""
    insurer = Insurer.objects.create(
        tenant=tenant,
        name="Allianz Trade (bench)",
        contact_name="Service indemnisation",
        contact_email="indemnisation@assureur.example",
    )
    start = today - timedelta(days=330)
    policy = InsurancePolicy.objects.create(
        tenant=tenant,
        insurer=insurer,
        number=f"AT-BENCH-{tenant.pk:03d}",
        starts_on=start,
        ends_on=start + timedelta(days=729),
        premium_rate=D("0.250"),
        deposit=D("1500.00"),
        minimum_premium=D("1200.00"),
        covered_share=D("90"),
        deductible_per_claim=D("500.00"),
        waiting_days=90,
        declaration_days=30,
        max_credit_days=60,
        discretionary_limit=D("10000.00"),
    )
    limited = {client.pk for client in clients if rng.random() < 0.7}
    CreditLimit.objects.bulk_create(
        CreditLimit(
            tenant=tenant,
            client=client,
            policy=policy,
            status=CreditLimit.Status.GRANTED,
            requested_amount=D("500000"),
            amount=D("500000"),
            grade="4",
            grade_scale=CreditLimit.Scale.ALLIANZ,
            decided_on=start,
            effective_from=start,
            insurer_reference=f"AGR-{client.siren}",
        )
        for client in clients
        if client.pk in limited
    )
    covers = []
    for invoice in invoices:
        if invoice.issue_date < start:
            reason, covered, limit = Cover.Reason.NO_POLICY, D("0"), None
        elif invoice.client_id in limited:
            reason, covered, limit = Cover.Reason.COVERED, invoice.total_ttc, D("500000")
        elif invoice.total_ttc <= policy.discretionary_limit:
            reason, covered, limit = Cover.Reason.DISCRETIONARY, invoice.total_ttc, None
        else:
            reason, covered, limit = Cover.Reason.NO_LIMIT, D("0"), None
        covers.append(
            Cover(
                tenant=tenant,
                invoice=invoice,
                policy=policy if reason != Cover.Reason.NO_POLICY else None,
                reason=reason,
                basis_amount=invoice.total_ttc,
                covered_amount=covered,
                uncovered_amount=invoice.total_ttc - covered,
                limit_amount=limit,
                exposure_before=D("0"),
                decided_on=invoice.issue_date,
            )
        )
    Cover.objects.bulk_create(covers, batch_size=BATCH)


def invoice_row(tenant, mission, *, number, issue_date, days, seller, buyer, paid=ZERO):
    """An invoice of `days` days of `mission`, as `invoice_issue` leaves it but for its status:
    a draft, issued by the caller once its line is written; due at 30 days, its seller and
    buyer frozen."""
    total_ht = to_cents(days * mission.daily_rate)
    total_vat = to_cents(total_ht * VAT / 100)
    return Invoice(
        tenant=tenant,
        kind=Invoice.Kind.INVOICE,
        status=Invoice.Status.DRAFT,
        number=number,
        client=mission.client,
        consultant=mission.consultant,
        mission=mission,
        issue_date=issue_date,
        due_date=issue_date + timedelta(days=30),
        payment_terms="net",
        payment_days=30,
        purchase_order=mission.purchase_order,
        total_ht=total_ht,
        total_vat=total_vat,
        total_ttc=total_ht + total_vat,
        paid_amount=paid,
        fee_rate=mission.consultant.fee_rate,
        pay_model=tenant.pay_model,
        issued_at=issued_at(issue_date),
        seller=seller,
        buyer=buyer,
    )


def invoice_lines(tenant, invoices, days_and_missions):
    """Each invoice's one line: its days of its mission."""
    InvoiceLine.objects.bulk_create(
        (
            InvoiceLine(
                tenant=tenant,
                invoice=invoice,
                position=1,
                description=f"{mission.title} — {days} jours",
                quantity=days,
                unit="DAY",
                unit_price=mission.daily_rate,
                vat_rate=VAT,
                total_ht=invoice.total_ht,
            )
            for invoice, (days, mission) in zip(invoices, days_and_missions, strict=True)
        ),
        batch_size=BATCH,
    )
