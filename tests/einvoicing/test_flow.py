"""Invoices through the plateforme agréée: deposited once, statuses that steer the ladder and
the insurance batch, each payment collected reported once."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from dunning.models import Action, Case, Pause
from dunning.selectors import client_timeline
from einvoicing.connectors.base import StatusEvent
from einvoicing.models import (
    CollectionReport,
    LifecycleStatus,
    Outgoing,
    PaymentReport,
    PlatformAccount,
    Submission,
)
from einvoicing.selectors import vat_shares
from einvoicing.services.directory import directory_enter
from einvoicing.services.reporting import reports_due
from einvoicing.services.statuses import status_record
from einvoicing.services.submissions import submission_retry
from einvoicing.services.transmit import (
    collection_report_send,
    payment_report_send,
    submission_send,
)
from insurance.selectors.covers import covered_open_covers
from invoices.models import Allocation
from invoices.services.billing import credit_note_issue
from invoices.services.payments import payment_record, payment_reverse
from portage.batch import run_job_for_tenant
from tests.factories import day_line, make_client, make_invoice

ISSUED = date(2026, 10, 1)
DUE = ISSUED + timedelta(days=30)


@pytest.fixture
def account(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        return PlatformAccount.objects.create(
            tenant=tenant_a, platform_name="Plateforme test", in_scope_from=date(2026, 9, 1)
        )


def listed_client(tenant, **fields):
    """A French company with its directory entry (its SIREN, scheme 0225)."""
    client = make_client(tenant, **fields)
    client.einvoicing_address = client.siren
    client.einvoicing_scheme = "0225"
    client.einvoicing_platform = "Plateforme de l'acheteur"
    client.directory_checked_on = ISSUED
    from portage.tenancy import tenant_context

    with tenant_context(tenant):
        client.save()
    return client


def event(invoice, code, *, sender="buyer", days=0, reason_code="", reason_text="", n=0):
    return StatusEvent(
        event_id=f"evt-{invoice.pk}-{code}-{n}",
        flow_id="",
        invoice_number=invoice.number,
        code=code,
        issued_at=datetime.combine(ISSUED + timedelta(days=days), datetime.min.time(), UTC)
        + timedelta(hours=10),
        sender=sender,
        reason_code=reason_code,
        reason_text=reason_text,
    )


def deposited(tenant, invoice, in_tenant):
    """Sent (manual upload) and deposited by the platform (200)."""
    with in_tenant(tenant):
        submission = Submission.objects.get(invoice=invoice)
        submission_send(submission.pk)
        status_record(tenant=tenant, event=event(invoice, "200", sender="platform"))
        return Submission.objects.get(pk=submission.pk)


@pytest.fixture
def run_day(django_capture_on_commit_callbacks):
    def run(tenant, job, day):
        with django_capture_on_commit_callbacks(execute=True):
            return run_job_for_tenant(job, tenant=tenant, today=day)

    return run


def test_issuing_to_a_french_company_prepares_one_deposit(tenant_a, account, in_tenant):
    invoice = make_invoice(tenant_a, client=listed_client(tenant_a), issued_on=ISSUED)
    with in_tenant(tenant_a):
        submission = Submission.objects.get(invoice=invoice)
        assert submission.state == Submission.State.TO_SEND
        assert submission.reference == f"FX-{invoice.number}"
        submission_send(submission.pk)
        submission_send(submission.pk)
        submission.refresh_from_db()
        assert submission.state == Submission.State.TO_UPLOAD
        assert submission.syntax == "Factur-X"
        assert submission.attempts == 1


def test_invoices_before_the_in_scope_date_or_to_individuals_are_not_deposited(
    tenant_a, account, in_tenant
):
    before = make_invoice(tenant_a, client=listed_client(tenant_a), issued_on=date(2026, 8, 31))
    person = make_client(tenant_a, category="individual", siren="", vat_number="")
    to_person = make_invoice(tenant_a, client=person, issued_on=ISSUED)
    with in_tenant(tenant_a):
        assert not Submission.objects.filter(invoice__in=[before, to_person]).exists()


def test_a_client_without_directory_entry_is_not_sent_and_says_why(
    tenant_a, account, in_tenant, admin_a
):
    client = make_client(tenant_a)
    invoice = make_invoice(tenant_a, client=client, issued_on=ISSUED)
    with in_tenant(tenant_a):
        submission = Submission.objects.get(invoice=invoice)
        submission_send(submission.pk)
        submission.refresh_from_db()
        assert submission.state == Submission.State.BLOCKED
        assert client.legal_name in submission.blocked_reason
        assert client.siren in submission.blocked_reason
        # Found on the directory's site with a service suffix, entered by hand, sent again:
        # the XML alone, with the address the directory gives (the PDF is never redrawn).
        directory_enter(
            client=client,
            address=f"{client.siren}_COMPTA",
            scheme="0225",
            platform="Plateforme B",
            by=admin_a.user,
            today=ISSUED,
        )
        submission_retry(submission=submission, by=admin_a.user)
        submission_send(submission.pk)
        submission.refresh_from_db()
        assert submission.state == Submission.State.TO_UPLOAD
        assert submission.syntax == "CII"
        assert f"{client.siren}_COMPTA".encode() in submission.document.read()


def test_a_document_breaking_a_french_rule_is_refused_before_it_is_sent(
    tenant_a, account, in_tenant, admin_a
):
    client = make_client(tenant_a)
    invoice = make_invoice(tenant_a, client=client, issued_on=ISSUED)
    with in_tenant(tenant_a):
        # An address that is not the buyer's SIREN: the French rules refuse it (BR-FR-21).
        directory_enter(
            client=client,
            address="ADRESSE-SANS-SIREN",
            scheme="0225",
            platform="Plateforme B",
            by=admin_a.user,
            today=ISSUED,
        )
        submission = Submission.objects.get(invoice=invoice)
        submission_send(submission.pk)
        submission.refresh_from_db()
        assert submission.state == Submission.State.BLOCKED
        rules = [rule["rule"] for rule in submission.failed_rules]
        assert any(rule.startswith("BR-FR-") for rule in rules), rules
        assert rules[0] in submission.blocked_reason


def test_statuses_are_recorded_once_and_move_the_deposit(tenant_a, account, in_tenant):
    invoice = make_invoice(tenant_a, client=listed_client(tenant_a), issued_on=ISSUED)
    submission = deposited(tenant_a, invoice, in_tenant)
    assert submission.state == Submission.State.DEPOSITED
    with in_tenant(tenant_a):
        again = status_record(tenant=tenant_a, event=event(invoice, "200", sender="platform"))
        assert again is None
        assert LifecycleStatus.objects.filter(invoice=invoice, code="200").count() == 1
        rejection = event(
            invoice, "213", sender="platform", days=1, reason_code="REJ_SEMAN", reason_text="X"
        )
        status_record(tenant=tenant_a, event=rejection)
        submission.refresh_from_db()
        assert submission.state == Submission.State.REJECTED
        assert submission.last_status == "213"


def test_an_invoice_not_deposited_or_rejected_gets_no_step_no_declaration_no_claim(
    tenant_a, account, in_tenant, run_day
):
    waiting = make_invoice(tenant_a, client=listed_client(tenant_a), issued_on=ISSUED)
    rejected = make_invoice(tenant_a, client=listed_client(tenant_a), issued_on=ISSUED)
    deposited(tenant_a, rejected, in_tenant)
    with in_tenant(tenant_a):
        status_record(
            tenant=tenant_a,
            event=event(rejected, "213", sender="platform", days=1, reason_code="REJ_SEMAN"),
        )
    for offset in range(-5, 40):
        run_day(tenant_a, "dunning", DUE + timedelta(days=offset))
    with in_tenant(tenant_a):
        assert not Action.objects.filter(invoice__in=[waiting, rejected]).exists()
        states = set(
            Case.objects.filter(invoice__in=[waiting, rejected]).values_list("state", flat=True)
        )
        assert states == {Case.State.NOT_ISSUED}
        assert not covered_open_covers(DUE + timedelta(days=200)).filter(
            invoice__in=[waiting, rejected]
        )


@pytest.mark.parametrize("code", ["210", "207"])
def test_a_buyer_refusal_or_dispute_stops_the_ladder_with_its_reason(
    tenant_a, account, in_tenant, run_day, code
):
    client = listed_client(tenant_a)
    invoice = make_invoice(tenant_a, client=client, issued_on=ISSUED)
    deposited(tenant_a, invoice, in_tenant)
    with in_tenant(tenant_a):
        status_record(
            tenant=tenant_a,
            event=event(
                invoice, code, days=3, reason_code="NON_CONFORME", reason_text="Commande absente"
            ),
        )
        pause = Pause.objects.get(case__invoice=invoice)
        assert pause.kind == Pause.Kind.DISPUTE
        assert "Commande absente" in pause.reason
    for offset in range(-5, 40):
        run_day(tenant_a, "dunning", DUE + timedelta(days=offset))
    with in_tenant(tenant_a):
        client_steps = Action.objects.filter(invoice=invoice).exclude(kind="consultant_reminder")
        assert not client_steps.exists()
        assert Case.objects.get(invoice=invoice).state == Case.State.DISPUTED
        titles = [f"{e.title} {e.detail}" for e in client_timeline(client)]
        assert any(code in title and "Commande absente" in title for title in titles), titles


def test_payment_transmitted_holds_the_next_reminder_a_few_days(
    tenant_a, account, in_tenant, run_day
):
    invoice = make_invoice(tenant_a, client=listed_client(tenant_a), issued_on=ISSUED)
    deposited(tenant_a, invoice, in_tenant)
    transmitted_on = DUE  # the first reminder is due the day after
    with in_tenant(tenant_a):
        status_record(
            tenant=tenant_a, event=event(invoice, "211", days=(transmitted_on - ISSUED).days)
        )
    for offset in range(-5, 10):
        run_day(tenant_a, "dunning", DUE + timedelta(days=offset))
    with in_tenant(tenant_a):
        first = Action.objects.get(invoice=invoice, kind="first_reminder")
        # The hold (5 days) ends on DUE + 5: the reminder goes the day after.
        assert first.performed_on == DUE + timedelta(days=account.payment_hold_days + 1)


def test_a_212_follows_each_allocation_once_and_its_undoing_sends_the_correction(
    tenant_a, account, in_tenant, admin_a, django_capture_on_commit_callbacks
):
    client = listed_client(tenant_a)
    invoice = make_invoice(tenant_a, client=client, issued_on=ISSUED)
    deposited(tenant_a, invoice, in_tenant)
    with in_tenant(tenant_a):
        first = payment_record(
            client=client,
            amount=Decimal("2000.00"),
            received_on=DUE,
            by=admin_a.user,
            allocations=[(invoice, Decimal("2000.00"))],
        )
        payment_record(
            client=client,
            amount=Decimal("5200.00"),
            received_on=DUE + timedelta(days=3),
            by=admin_a.user,
            allocations=[(invoice, Decimal("5200.00"))],
        )
        payment_reverse(payment=first, reason="Chèque impayé", by=admin_a.user)
        reports = list(CollectionReport.objects.filter(invoice=invoice).order_by("pk"))
        assert [(r.kind, r.amount) for r in reports] == [
            ("collected", Decimal("2000.00")),
            ("collected", Decimal("5200.00")),
            ("correction", Decimal("-2000.00")),
        ]
        for report in reports:
            collection_report_send(report.pk)
            collection_report_send(report.pk)
        assert set(CollectionReport.objects.values_list("state", flat=True)) == {Outgoing.TO_UPLOAD}
        active = sum(a.amount for a in Allocation.objects.filter(invoice=invoice, is_active=True))
        assert sum(r.amount for r in reports) == active == Decimal("5200.00")


def test_a_212_states_its_amount_per_vat_rate_and_its_correction_the_exact_opposite(
    tenant_a, account, in_tenant, admin_a
):
    client = listed_client(tenant_a)
    # 6 000,00 HT at 20 % (7 200,00 TTC) and 1 000,00 HT at 10 % (1 100,00 TTC): 8 300,00.
    training = day_line(days="1", rate="1000.00", vat="10.00", description="Formation")
    invoice = make_invoice(tenant_a, client=client, issued_on=ISSUED, lines=[day_line(), training])
    deposited(tenant_a, invoice, in_tenant)
    with in_tenant(tenant_a):
        first = payment_record(
            client=client,
            amount=Decimal("3100.00"),
            received_on=DUE,
            by=admin_a.user,
            allocations=[(invoice, Decimal("3100.00"))],
        )
        # Half the training cancelled (500,00 HT, 550,00 TTC at 10 %): 7 200,00 and 550,00
        # are left at each rate.
        credit_note_issue(
            invoice=invoice,
            by=admin_a.user,
            reason="Formation écourtée",
            lines=[{**training, "unit_price": Decimal("500.00")}],
            issued_on=DUE,
        )
        payment_record(
            client=client,
            amount=Decimal("3100.00"),
            received_on=DUE + timedelta(days=3),
            by=admin_a.user,
            allocations=[(invoice, Decimal("3100.00"))],
        )
        payment_reverse(payment=first, reason="Chèque impayé", by=admin_a.user)
        reports = list(CollectionReport.objects.filter(invoice=invoice).order_by("pk"))
        for report in reports:
            collection_report_send(report.pk)
        # 3 100 × 7 200 / 8 300 = 2 689,157 → 2 689,16; 3 100 × 1 100 / 8 300 = 410,843 →
        # 410,84. After the credit note: 3 100 × 7 200 / 7 750 = 2 880,00 and
        # 3 100 × 550 / 7 750 = 220,00. The correction cancels what the first 212 said.
        assert [(r.kind, r.amounts_by_rate) for r in reports] == [
            ("collected", [["20.00", "2689.16"], ["10.00", "410.84"]]),
            ("collected", [["20.00", "2880.00"], ["10.00", "220.00"]]),
            ("correction", [["20.00", "-2689.16"], ["10.00", "-410.84"]]),
        ]
        assert vat_shares(invoice) == (
            (Decimal("20.00"), Decimal("7200.00")),
            (Decimal("10.00"), Decimal("550.00")),
        )


def test_a_212_made_before_its_split_was_kept_is_split_when_it_leaves(
    tenant_a, account, in_tenant, admin_a
):
    client = listed_client(tenant_a)
    invoice = make_invoice(tenant_a, client=client, issued_on=ISSUED)
    deposited(tenant_a, invoice, in_tenant)
    with in_tenant(tenant_a):
        payment_record(
            client=client,
            amount=Decimal("600.00"),
            received_on=DUE,
            by=admin_a.user,
            allocations=[(invoice, Decimal("600.00"))],
        )
        CollectionReport.objects.filter(invoice=invoice).update(amounts_by_rate=[])
        report = collection_report_send(CollectionReport.objects.get(invoice=invoice).pk)
        report.refresh_from_db()
        assert report.state == Outgoing.TO_UPLOAD
        assert report.amounts_by_rate == [["20.00", "600.00"]]


def test_the_payment_e_reporting_of_a_month_adds_up_to_what_was_allocated(
    tenant_a, account, in_tenant, admin_a
):
    person = make_client(tenant_a, category="individual", siren="", vat_number="")
    abroad = make_client(
        tenant_a, country="CH", siren="", vat_number="", postal_code="1201", city="Genève"
    )
    domestic = listed_client(tenant_a)
    # A business abroad is billed no French VAT (CGI art. 259-1°): 6,000.00 with no VAT.
    lines = {abroad: [day_line(vat="0")]}
    invoices = {
        client: make_invoice(tenant_a, client=client, issued_on=ISSUED, lines=lines.get(client))
        for client in (person, abroad, domestic)
    }
    with in_tenant(tenant_a):
        for client, day, amount in [
            (person, date(2026, 10, 20), "1000.00"),
            (abroad, date(2026, 10, 31), "6000.00"),
            (domestic, date(2026, 10, 15), "7200.00"),
            (person, date(2026, 11, 3), "500.00"),
        ]:
            payment_record(
                client=client,
                amount=Decimal(amount),
                received_on=day,
                by=admin_a.user,
                allocations=[(invoices[client], Decimal(amount))],
            )
        built = reports_due(tenant=tenant_a, today=date(2026, 12, 2))
        assert [(r.period_start, r.due_on, r.total) for r in built] == [
            (date(2026, 9, 1), date(2026, 10, 10), Decimal("0")),
            (date(2026, 10, 1), date(2026, 11, 10), Decimal("7000.00")),
            (date(2026, 11, 1), date(2026, 12, 10), Decimal("500.00")),
        ]
        assert reports_due(tenant=tenant_a, today=date(2026, 12, 2)) == []
        october = PaymentReport.objects.get(period_start=date(2026, 10, 1))
        assert sorted(
            (line["invoice"], line["amounts_by_rate"]) for line in october.payments
        ) == sorted(
            [
                (invoices[person].number, [["20.00", "1000.00"]]),
                (invoices[abroad].number, [["0.00", "6000.00"]]),
            ]
        )
        payment_report_send(october.pk)
        payment_report_send(october.pk)
        october.refresh_from_db()
        assert october.state == Outgoing.TO_UPLOAD and october.attempts == 1
        # Reconciliation: per invoice, what was reported equals what was allocated.
        for client in (person, abroad):
            reported = sum(
                Decimal(line["amount"])
                for report in PaymentReport.objects.all()
                for line in report.payments
                if line["invoice"] == invoices[client].number
            )
            allocated = sum(a.amount for a in Allocation.objects.filter(invoice=invoices[client]))
            assert reported == allocated


def test_neither_company_sees_the_others_deposits_or_statuses(
    tenant_a, tenant_b, account, in_tenant
):
    invoice = make_invoice(tenant_a, client=listed_client(tenant_a), issued_on=ISSUED)
    deposited(tenant_a, invoice, in_tenant)
    with in_tenant(tenant_b):
        PlatformAccount.objects.create(
            tenant=tenant_b, platform_name="Autre", in_scope_from=date(2026, 9, 1)
        )
        other = make_invoice(tenant_b, client=listed_client(tenant_b), issued_on=ISSUED)
        assert not Submission.objects.filter(invoice=invoice).exists()
        assert not LifecycleStatus.objects.filter(invoice=invoice).exists()
        recorded = status_record(tenant=tenant_b, event=event(other, "210", n=9))
        assert recorded.invoice == other
    with in_tenant(tenant_a):
        assert list(LifecycleStatus.objects.values_list("invoice_id", flat=True)) == [invoice.pk]
        assert not Submission.objects.filter(invoice=other).exists()
