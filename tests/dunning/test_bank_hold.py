"""Money waiting in the bank holds the ladder: a bank credit proposed for an invoice and not
yet confirmed holds its next step, the client's and the consultant's, until a collector
confirms it or sets it aside."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dunning.models import Action, Case, StepKind
from dunning.services.cases import send_next_step_now
from invoices.models import BankLine
from invoices.services.bank import bank_line_confirm, bank_line_dismiss, statement_import
from portage.batch import paris_today, run_job_for_tenant
from tests.factories import make_client, make_invoice, make_member

pytestmark = pytest.mark.django_db

ISSUED = date(2026, 3, 2)
DUE = ISSUED + timedelta(days=30)  # 1 April 2026


@pytest.fixture
def run_day(django_capture_on_commit_callbacks):
    def run(tenant, day):
        with django_capture_on_commit_callbacks(execute=True):
            return run_job_for_tenant("dunning", tenant=tenant, today=day)

    return run


def propose_credit(tenant, in_tenant, invoice, *, amount=None, day=DUE - timedelta(days=5)):
    """A bank statement whose credit names the invoice: imported, its match proposed."""
    amount = amount or invoice.total_ttc
    content = (
        "Date opération;Libellé;Tiers;Montant;Devise;Référence\n"
        f"{day:%d/%m/%Y};VIR SEPA /MOTIF {invoice.number};CLIENT;{amount};EUR;"
        f"REF-{invoice.pk}-{amount}\n"
    ).encode()
    with in_tenant(tenant):
        statement_import(tenant=tenant, content=content, filename="releve.csv", by=None)
        line = BankLine.objects.get(bank_reference=f"REF-{invoice.pk}-{amount}")
    assert line.status == BankLine.Status.SUGGESTED
    return line


def kinds(tenant, in_tenant, invoice):
    with in_tenant(tenant):
        return [
            (action.kind, action.performed_on)
            for action in Action.objects.filter(invoice=invoice).exclude(status="skipped")
        ]


def test_a_proposed_bank_credit_holds_the_consultant_s_and_the_client_s_reminders(
    tenant_a, in_tenant, run_day
):
    invoice = make_invoice(tenant_a, issued_on=ISSUED)
    propose_credit(tenant_a, in_tenant, invoice)
    for offset in range(-5, 20):
        run_day(tenant_a, DUE + timedelta(days=offset))
    assert kinds(tenant_a, in_tenant, invoice) == []
    with in_tenant(tenant_a):
        assert Case.objects.get(invoice=invoice).state == Case.State.ACTIVE


def test_an_invoice_without_a_proposed_credit_is_not_held(tenant_a, in_tenant, run_day):
    held = make_invoice(tenant_a, issued_on=ISSUED)
    other = make_invoice(tenant_a, client=make_client(tenant_a), issued_on=ISSUED)
    propose_credit(tenant_a, in_tenant, held)
    run_day(tenant_a, DUE + timedelta(days=1))
    assert kinds(tenant_a, in_tenant, held) == []
    assert StepKind.FIRST_REMINDER in [kind for kind, _day in kinds(tenant_a, in_tenant, other)]


def test_the_ladder_goes_on_the_day_after_the_credit_is_set_aside(tenant_a, in_tenant, run_day):
    invoice = make_invoice(tenant_a, issued_on=ISSUED)
    line = propose_credit(tenant_a, in_tenant, invoice)
    run_day(tenant_a, DUE + timedelta(days=1))
    with in_tenant(tenant_a):
        bank_line_dismiss(line=line, by=None, reason="Virement interne")
    run_day(tenant_a, DUE + timedelta(days=2))
    assert (StepKind.FIRST_REMINDER, DUE + timedelta(days=2)) in kinds(tenant_a, in_tenant, invoice)


def test_a_credit_confirmed_for_part_of_the_invoice_lets_the_ladder_chase_the_rest(
    tenant_a, in_tenant, run_day
):
    invoice = make_invoice(tenant_a, issued_on=ISSUED)
    line = propose_credit(tenant_a, in_tenant, invoice, amount=Decimal("1000.00"))
    run_day(tenant_a, DUE + timedelta(days=1))
    assert kinds(tenant_a, in_tenant, invoice) == []
    with in_tenant(tenant_a):
        bank_line_confirm(line=line, by=None)
    run_day(tenant_a, DUE + timedelta(days=2))
    with in_tenant(tenant_a):
        first = Action.objects.get(invoice=invoice, kind=StepKind.FIRST_REMINDER)
    assert first.performed_on == DUE + timedelta(days=2)


def test_a_credit_confirmed_for_the_whole_invoice_closes_its_case(tenant_a, in_tenant, run_day):
    invoice = make_invoice(tenant_a, issued_on=ISSUED)
    line = propose_credit(tenant_a, in_tenant, invoice)
    run_day(tenant_a, DUE + timedelta(days=1))
    with in_tenant(tenant_a):
        bank_line_confirm(line=line, by=None)
    run_day(tenant_a, DUE + timedelta(days=2))
    assert kinds(tenant_a, in_tenant, invoice) == []
    with in_tenant(tenant_a):
        assert Case.objects.get(invoice=invoice).state == Case.State.CLOSED


def test_send_the_next_step_now_refuses_first_then_sends_when_asked_again(
    tenant_a, in_tenant, run_day, django_capture_on_commit_callbacks
):
    collector = make_member(tenant_a, "collector").user
    invoice = make_invoice(tenant_a, issued_on=ISSUED)
    propose_credit(tenant_a, in_tenant, invoice)
    today = DUE + timedelta(days=3)
    run_day(tenant_a, today)
    with in_tenant(tenant_a):
        with pytest.raises(ValidationError) as refusal:
            send_next_step_now(tenant=tenant_a, invoice=invoice, actor=collector, today=today)
        assert refusal.value.code == "bank_credit_proposed"
        assert "7\u202f200,00" in refusal.value.messages[0]
        assert not Action.objects.filter(invoice=invoice).exists()
        with django_capture_on_commit_callbacks(execute=True):
            step = send_next_step_now(
                tenant=tenant_a,
                invoice=invoice,
                actor=collector,
                today=today,
                despite_bank_credit=True,
            )
    assert step.kind == StepKind.CONSULTANT_REMINDER


@pytest.fixture
def held(tenant_a, in_tenant, django_capture_on_commit_callbacks):
    """An invoice 10 days late with a credit proposed for it, seen by today's batch."""
    today = paris_today()
    client = make_client(tenant_a, legal_name="Banque Attente SA")
    invoice = make_invoice(tenant_a, client=client, issued_on=today - timedelta(days=40))
    propose_credit(tenant_a, in_tenant, invoice, day=today - timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        run_job_for_tenant("dunning", tenant=tenant_a, today=today)
    return invoice


def test_the_worklist_says_the_invoice_is_held_by_a_bank_credit(signed_in, collector, held):
    page = signed_in(collector).get(reverse("dunning_worklist")).content.decode()
    assert held.number in page
    assert "Suspendue : virement à confirmer" in page


def test_the_timeline_says_why_and_asks_before_sending_now(
    signed_in, collector, held, tenant_a, in_tenant
):
    browser = signed_in(collector)
    page = browser.get(reverse("dunning_client", args=[held.client_id])).content.decode()
    assert "7\u202f200,00" in page and "virement" in page
    assert f"Virement à confirmer — {held.number}" in page  # on the chronology too
    assert 'name="despite_bank_credit"' in page
    url = reverse("dunning_case_action", args=[held.pk, "send-now"])
    response = browser.post(url, {"confirm": "on"}, follow=True)
    assert "virement" in response.content.decode()
    with in_tenant(tenant_a):
        assert not Action.objects.filter(invoice=held).exists()
    browser.post(url, {"confirm": "on", "despite_bank_credit": "on"})
    with in_tenant(tenant_a):
        assert Action.objects.filter(invoice=held).exists()


def test_the_consultant_s_portal_says_the_payment_was_seen_at_the_bank(
    client, tenant_a, in_tenant, held
):
    """The consultant reads, on the invoice and on their home, that the client's payment
    was seen at the bank and is being confirmed, and no next step is announced meanwhile."""
    client.force_login(held.consultant.user)
    for url in (reverse("portal_invoice", args=[held.pk]), reverse("dashboard")):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
        assert "vu à la banque" in page, url
        assert "7\u202f200,00" in page
        assert "Prochaine étape" not in page


def test_the_portal_says_nothing_of_the_bank_once_the_credit_is_set_aside(
    client, tenant_a, in_tenant, held
):
    with in_tenant(tenant_a):
        line = BankLine.objects.get(status=BankLine.Status.SUGGESTED)
        bank_line_dismiss(line=line, by=None, reason="Virement interne")
    client.force_login(held.consultant.user)
    page = client.get(reverse("portal_invoice", args=[held.pk]), HTTP_ACCEPT_LANGUAGE="fr")
    assert "vu à la banque" not in page.content.decode()
