"""Browser journey: money waiting in the bank holds the ladder. A bank statement names an
overdue invoice; its credit, proposed for the invoice and not yet confirmed, holds the next
reminder: the worklist, the client's timeline and the invoice say so, and "send the next
step now" warns instead of sending. Confirming the credit records the payment and brings
the collector back to the bank queue."""

import re

from playwright.sync_api import expect

from dunning.models import Action, Case
from invoices.models import BankLine, BankLineSuggestion, Invoice
from portage.tenancy import tenant_context
from tests.browser.conftest import journey, totp_code
from tests.browser.test_journeys import case_form, flash, nav, sign_in

pytestmark = journey

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def an_overdue_invoice_on_the_ladder(tenant, today):
    """An overdue invoice whose case is active, with no credit proposed for it yet, alone
    at its client on the worklist's first rows."""
    with tenant_context(tenant):
        proposed = BankLineSuggestion.objects.filter(
            line__status=BankLine.Status.SUGGESTED
        ).values_list("invoice_id", flat=True)
        case = (
            Case.objects.filter(
                state=Case.State.ACTIVE,
                invoice__due_date__lt=today,
                invoice__status=Invoice.Status.ISSUED,
                next_step__isnull=False,
            )
            .exclude(invoice_id__in=list(proposed))
            .select_related("invoice__client")
            .order_by("invoice__due_date")
            .first()
        )
        assert case is not None, "the demo has an overdue invoice on the ladder"
        return case.invoice


def actions_of(tenant, invoice):
    with tenant_context(tenant):
        return Action.objects.filter(invoice=invoice).count()


def at_both_widths(page, shots, name):
    shots(f"{name}-1366")
    page.set_viewport_size(PHONE)
    page.reload()
    shots(f"{name}-390")
    page.set_viewport_size(DESKTOP)
    page.reload()


def test_a_proposed_bank_credit_holds_a_reminder_until_the_collector_confirms_it(
    world, page, shots, tmp_path
):
    tenant, today = world["tenant"], world["today"]
    invoice = an_overdue_invoice_on_the_ladder(tenant, today)
    client = invoice.client.legal_name
    page.set_viewport_size(DESKTOP)
    sign_in(page, "recouvrement@horizon.example")
    page.get_by_label("Code").fill(totp_code(world["totp"]["recouvrement"]))
    page.get_by_role("button", name=re.compile("Se connecter|Connexion|Valider")).click()

    # The bank statement: a transfer naming the invoice, for its whole balance.
    statement = tmp_path / "releve.csv"
    statement.write_text(
        "Date opération;Libellé;Tiers;Montant;Devise;Référence\n"
        f"{today:%d/%m/%Y};VIR SEPA RECU /MOTIF {invoice.number};{client.upper()};"
        f"{invoice.balance};EUR;HOLD-1\n",
        encoding="utf-8",
    )
    nav(page, "Banque")
    page.get_by_label("Relevé bancaire").set_input_files(statement)
    page.get_by_role("button", name="Importer").click()
    expect(flash(page)).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(invoice.number))).to_contain_text(client)

    # The worklist says the invoice's next step waits for the credit.
    nav(page, "Recouvrement")
    row = page.locator("table.worklist tr", has=page.get_by_role("link", name=invoice.number))
    expect(row).to_contain_text("Suspendue : virement à confirmer")
    shots("worklist-held")

    # The client's timeline says why; "send the next step now" warns and sends nothing.
    page.get_by_role("link", name=client).first.click()
    expect(page.get_by_role("heading", name="Chronologie")).to_be_visible()
    expect(
        page.get_by_text(re.compile("un virement de .* est proposé pour cette facture")).first
    ).to_be_visible()
    send_now = case_form(page, invoice, "send-now")
    expect(send_now).to_contain_text("bien qu'un virement pour cette facture attende")
    before = actions_of(tenant, invoice)
    send_now.locator("input[name=confirm]").check()
    send_now.get_by_role("button", name="Envoyer l'étape suivante maintenant").click()
    expect(flash(page)).to_contain_text("un virement de")
    assert actions_of(tenant, invoice) == before
    shots("timeline-warned")

    # The invoice's page shows its case and the hold, and links to the timeline.
    page.goto(f"/factures/{invoice.pk}/")
    expect(page.get_by_text(re.compile("Relances en attente"))).to_be_visible()
    expect(
        page.get_by_role("link", name="Chronologie du recouvrement du client")
    ).to_have_attribute("href", f"/recouvrement/clients/{invoice.client_id}/")
    at_both_widths(page, shots, "invoice-held")

    # Confirmed: the payment is recorded and the collector is back on the bank queue.
    nav(page, "Banque")
    at_both_widths(page, shots, "bank-queue")
    page.get_by_role("row", name=re.compile(invoice.number)).get_by_role(
        "link", name="Vérifier"
    ).click()
    page.get_by_role("button", name="Enregistrer le paiement").click()
    expect(page.get_by_role("heading", name="Banque", exact=True)).to_be_visible()
    expect(flash(page)).to_contain_text(f"de {client} est enregistré")
    expect(page.get_by_role("row", name=re.compile(invoice.number))).to_have_count(0)
    shots("bank-confirmed")
    with tenant_context(tenant):
        assert Invoice.objects.get(pk=invoice.pk).balance == 0
