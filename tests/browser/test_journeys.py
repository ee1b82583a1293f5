"""Browser journeys: a consultant, a collector and an administrator of one demo company go
through the pages they use every day, in French, in chromium. Screenshots of each step are
saved under the test's output folder (printed at the end of each test)."""

import re
from datetime import timedelta

from playwright.sync_api import expect

from dunning.models import Action, Case, Pause
from dunning.models import Policy as DunningPolicy
from insurance.models import InsurancePolicy
from invoices.models import Invoice
from portage.models import ApiKey
from portage.tenancy import tenant_context
from tests.browser.conftest import PASSWORD, journey, totp_code
from webhooks.models import Endpoint

pytestmark = journey
NAV = "nav.sidenav"


def sign_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def nav(page, name):
    page.locator(NAV).get_by_role("link", name=name, exact=True).click()


def flash(page):
    return page.locator(".messages")


def test_a_consultant_follows_invoices_and_pay_logs_a_promise_and_asks_about_a_prospect(
    world, page, shots
):
    today = world["today"]
    sign_in(page, "consultant@horizon.example")
    expect(page.get_by_role("heading", name="Mes factures")).to_be_visible()
    invoices = page.locator("table tbody tr")
    expect(invoices.first).to_contain_text(re.compile(r"FA-\d{4}-\d{6}"))
    expect(page.get_by_text("Solde du compte d'activité")).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"En attente du client depuis \d+ jours")).first
    ).to_be_visible()
    shots("portal-invoices")

    with page.expect_download() as download:
        invoices.first.get_by_role("link", name="PDF").click()
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(4) == b"%PDF"

    nav(page, "Ma rémunération")
    expect(page.get_by_role("heading", name="Ma rémunération")).to_be_visible()
    expect(page.locator("table").first).to_contain_text("FA-")
    shots("pay-status")

    nav(page, "Mes relances")
    page.get_by_role("link", name="Consigner ce que j'ai fait").first.click()
    page.get_by_label("Le client a promis de payer").check()
    expect(page.get_by_label(re.compile(r"^Date\W*$"))).to_have_value(f"{today:%d/%m/%Y}")
    promised = today + timedelta(days=10)
    page.get_by_label("Date de paiement promise").fill(f"{promised:%d/%m/%Y}")
    page.get_by_label("Notes pour l'équipe de recouvrement").fill(
        "Le DAF confirme le virement sous dix jours."
    )
    shots("log-promise")
    page.get_by_role("button", name="Enregistrer").click()
    expect(flash(page)).to_be_visible()
    expect(page.get_by_text("Le DAF confirme le virement sous dix jours.")).to_be_visible()
    shots("promise-logged")
    with tenant_context(world["tenant"]):
        promise = Pause.objects.get(kind=Pause.Kind.PROMISE)
        assert promise.until == promised  # the company's reminders wait until then

    nav(page, "Vérification d'un prospect")
    page.get_by_label("SIREN").fill("552100554")
    page.get_by_label("Raison sociale").fill("Prospect Industrie SA")
    page.get_by_label(re.compile("Montant")).fill("24000")
    page.get_by_role("button", name="Envoyer la question").click()
    expect(flash(page)).to_contain_text("Votre question est envoyée")
    expect(page.locator("table")).to_contain_text("Prospect Industrie SA")
    shots("prospect-asked")


def open_invoices(tenant, client_name):
    with tenant_context(tenant):
        return list(
            Invoice.objects.filter(
                client__legal_name=client_name,
                kind=Invoice.Kind.INVOICE,
                status__in=[Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID],
            ).order_by("due_date")
        )


def balance(tenant, invoice):
    with tenant_context(tenant):
        return Invoice.objects.get(pk=invoice.pk).balance


def case_form(page, invoice, action):
    """The form of one case action on a client's timeline, its folded panel opened."""
    form = page.locator(f"form[action$='/factures/{invoice.pk}/{action}/']")
    panel = page.locator("tr.case-actions details", has=form).first
    panel.locator("summary").first.click()
    return form


def test_a_collector_signs_in_with_totp_and_works_the_worklist_the_timeline_aging_and_bank(
    world, page, shots, tmp_path
):
    tenant, today = world["tenant"], world["today"]
    sign_in(page, "recouvrement@horizon.example")
    page.get_by_label("Code").fill(totp_code(world["totp"]["recouvrement"]))
    shots("totp")
    page.get_by_role("button", name=re.compile("Se connecter|Connexion|Valider")).click()

    nav(page, "Recouvrement")
    expect(page.get_by_role("heading", name="Liste de travail du recouvrement")).to_be_visible()
    expect(page.locator("table.worklist")).to_contain_text("Atelier Numérique SAS")
    shots("worklist")

    # A payment received by transfer, allocated to the invoice it pays.
    rhodanienne = open_invoices(tenant, "Banque Rhodanienne SA")[0]
    nav(page, "Paiements")
    page.get_by_role("link", name="Enregistrer un paiement").click()
    page.get_by_role("row", name=re.compile("Banque Rhodanienne SA")).get_by_role(
        "link", name="Choisir"
    ).click()
    page.get_by_label("Montant reçu").fill(f"{rhodanienne.balance}")
    page.get_by_label("Reçu le").fill(f"{today:%Y-%m-%d}")
    page.get_by_label("Référence").fill("VIR BANQUE RHODANIENNE")
    page.get_by_label(re.compile(rhodanienne.number)).fill(f"{rhodanienne.balance}")
    shots("payment-form")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(flash(page)).to_be_visible()
    expect(page.get_by_text(rhodanienne.number).first).to_be_visible()
    shots("payment-recorded")
    assert balance(tenant, rhodanienne) == 0

    # On a client's timeline: a disputed invoice paused, the next step of another sent now.
    formal_notice, first_reminder = open_invoices(tenant, "Atelier Numérique SAS")[:2]
    nav(page, "Recouvrement")
    page.get_by_role("link", name="Atelier Numérique SAS").click()
    expect(page.get_by_role("heading", name="Chronologie")).to_be_visible()
    pause = case_form(page, formal_notice, "pause")
    pause.get_by_label("Suspendre les relances").select_option("dispute")
    pause.get_by_label("Motif").fill("Le client conteste deux jours de prestation")
    shots("pause-form")
    pause.get_by_role("button", name="Suspendre").click()
    expect(flash(page)).to_be_visible()
    expect(page.get_by_text("Le client conteste deux jours de prestation").first).to_be_visible()

    send_now = case_form(page, first_reminder, "send-now")
    # The demo's bank statement proposes a credit for this invoice, which holds its ladder:
    # sending now asks to tick that it goes anyway.
    for box in send_now.get_by_role("checkbox").all():
        box.check()
    send_now.get_by_role("button", name="Envoyer l'étape suivante maintenant").click()
    expect(flash(page)).to_be_visible()
    shots("timeline")
    with tenant_context(tenant):
        assert Case.objects.get(invoice=formal_notice).state == "disputed"
        # Its batch steps held, the step sent now is the next one of its ladder, today.
        assert Action.objects.filter(invoice=first_reminder, performed_on=today).exists()

    nav(page, "Balance âgée")
    expect(page.get_by_role("img", name=re.compile("Montants dus"))).to_be_visible()
    shots("aging")

    # A bank statement naming an open invoice: imported, its match confirmed.
    logistique = open_invoices(tenant, "Logistique du Sud SARL")[0]
    statement = tmp_path / "releve.csv"
    statement.write_text(
        "Date opération;Libellé;Tiers;Montant;Devise;Référence\n"
        f"{today:%d/%m/%Y};VIR SEPA RECU /MOTIF REGLEMENT {logistique.number};"
        f"LOGISTIQUE DU SUD SARL;{logistique.balance};EUR;BROWSER-1\n",
        encoding="utf-8",
    )
    nav(page, "Banque")
    page.get_by_label("Relevé bancaire").set_input_files(statement)
    page.get_by_role("button", name="Importer").click()
    expect(flash(page)).to_be_visible()
    row = page.get_by_role("row", name=re.compile(logistique.number))
    expect(row).to_contain_text("Logistique du Sud SARL")
    shots("bank-imported")
    row.get_by_role("link", name="Vérifier").click()
    expect(page.get_by_label(re.compile(logistique.number))).to_have_value(
        f"{logistique.balance}".replace(".", ",")
    )
    shots("bank-line")
    page.get_by_role("button", name="Enregistrer le paiement").click()
    expect(flash(page)).to_be_visible()
    shots("bank-confirmed")
    assert balance(tenant, logistique) == 0


def test_an_admin_edits_the_dunning_and_insurance_policies_creates_an_api_key_and_a_webhook(
    world, page, shots
):
    tenant = world["tenant"]
    sign_in(page, "admin@horizon.example")
    page.get_by_label("Code").fill(totp_code(world["totp"]["admin"]))
    page.get_by_role("button", name="Connexion").click()

    # The dunning policy: a longer deadline in the formal notice, the second reminder later.
    nav(page, "Politiques de relance")
    shots("dunning-policies")
    page.get_by_role("main").get_by_role("link", name=re.compile("Standard")).first.click()
    page.get_by_label("Délai accordé par la mise en demeure (jours)").fill("10")
    second_reminder = page.locator("fieldset.step-form").filter(
        has=page.get_by_role("option", name=re.compile("Deuxième relance"), selected=True)
    )
    second_reminder.get_by_label("Jours après l'échéance").fill("16")
    shots("dunning-policy-form")
    page.get_by_role("button", name="Enregistrer la politique").click()
    expect(flash(page)).to_be_visible()
    shots("dunning-policy-saved")
    with tenant_context(tenant):
        policy = DunningPolicy.objects.get(is_default=True)
        assert policy.notice_deadline_days == 10
        assert policy.steps.get(kind="second_reminder").days_from_due == 16

    # The credit insurance policy: the insurer now covers 95 % of a loss.
    nav(page, "Assurance-crédit")
    page.get_by_role("link", name="Polices d'assurance-crédit").first.click()
    page.get_by_role("main").get_by_role("link", name=re.compile(r"AT-\d+-\d{4}")).first.click()
    page.get_by_role("link", name="Modifier les conditions").click()
    page.get_by_label(re.compile("Quotité garantie")).fill("95")
    shots("insurance-policy-form")
    page.get_by_role("button", name="Enregistrer la politique").click()
    expect(flash(page)).to_be_visible()
    shots("insurance-policy-saved")
    with tenant_context(tenant):
        assert InsurancePolicy.objects.get().covered_share == 95

    # An API key for the accounting tool, shown once.
    nav(page, "Société")
    page.get_by_role("link", name="Gérer les clés d'API").click()
    page.get_by_label("Nom").fill("Logiciel comptable")
    page.get_by_label("Lecture et écriture").check()
    page.get_by_role("button", name="Créer la clé").click()
    expect(page.get_by_role("heading", name="Votre nouvelle clé d'API")).to_be_visible()
    full_key = page.get_by_label("Clé").input_value()
    assert full_key.startswith("ptg_")
    shots("api-key-created")
    with tenant_context(tenant):
        key = ApiKey.objects.get(name="Logiciel comptable")
        assert key.scope == "write" and full_key.startswith(f"ptg_{key.prefix}_")

    # A webhook endpoint told when invoices are paid.
    nav(page, "Société")
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_label("URL").fill("https://compta.example/hooks/portage")
    page.get_by_label("Description").fill("Logiciel comptable")
    page.get_by_label("invoice.paid").check()
    shots("webhook-form")
    page.get_by_role("button", name=re.compile("Add the endpoint|Ajouter")).click()
    expect(flash(page)).to_be_visible()
    shots("webhook-registered")
    with tenant_context(tenant):
        endpoint = Endpoint.objects.get()
        assert endpoint.url == "https://compta.example/hooks/portage"
        assert "invoice.paid" in endpoint.events
