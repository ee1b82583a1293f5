"""Browser journey through e-invoicing: the administrator connects the company's plateforme
agréée and tests the connection; a collector works the e-invoicing board, reads a refused
invoice's statuses and enters one read on the platform's portal, then finds on the client's
timeline why the reminders wait."""

from playwright.sync_api import expect

from einvoicing.models import LifecycleStatus, PlatformAccount
from portage.tenancy import tenant_context
from tests.browser.conftest import journey, totp_code
from tests.browser.test_journeys import flash, nav, sign_in
from tests.einvoicing.simulator import PlatformSimulator

pytestmark = journey
KEY, SECRET = "cle-horizon-2026", "secret-de-signature-horizon"


def sign_in_with_totp(page, email, secret):
    sign_in(page, email)
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Connexion").click()


def sign_out(page):
    account_menu = page.get_by_role("navigation", name="Compte")
    account_menu.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_label("Mot de passe")).to_be_visible()


def test_an_admin_connects_the_platform_and_a_collector_works_the_einvoicing_board(
    einvoicing_world, page, shots
):
    tenant = einvoicing_world["tenant"]
    roots = {"flow_root": "/afnor-flow/v1", "directory_root": "/afnor-directory/v1"}
    with PlatformSimulator(api_key=KEY, secret=SECRET, **roots) as platform:
        platform.add_directory_entry(tenant.siren, tenant.siren)

        # The administrator moves the company from the platform's portal to its API.
        sign_in_with_totp(page, "admin@horizon.example", einvoicing_world["totp"]["admin"])
        nav(page, "Facturation électronique")
        page.get_by_role("main").get_by_role("link", name="Paramètres").click()
        shots("settings-manual")
        connector = page.get_by_label("connecteur")
        connector.select_option(label="API de la plateforme (AFNOR XP Z12-013)")
        page.get_by_label("Adresse de l'API", exact=True).fill(platform.base_url)
        page.get_by_label("adresse de l'API de l'annuaire").fill(platform.directory_url)
        page.get_by_label("Clé d'API").fill(KEY)
        page.get_by_label("secret de signature").fill(SECRET)
        page.get_by_role("button", name="Enregistrer").click()
        expect(flash(page)).to_contain_text("ont été enregistrés")
        # The key and the secret are recorded, never shown back.
        expect(page.get_by_label("Clé d'API")).to_have_value("")
        assert SECRET not in page.content()

        page.get_by_role("button", name="Tester la connexion").click()
        expect(flash(page)).to_contain_text("Service de flux : La plateforme a accepté")
        expect(flash(page)).to_contain_text(f"reçoit ses factures à l'adresse {tenant.siren}")
        shots("settings-connection-tested")
        with tenant_context(tenant):
            account = PlatformAccount.objects.get()
        assert (account.connector, account.api_key, account.api_secret) == ("http", KEY, SECRET)
        assert account.directory_url == platform.directory_url
        assert not platform.flows()  # the test sent nothing
        sign_out(page)

    # The collector's board: the buyers' refusal and dispute, with their reasons.
    sign_in_with_totp(
        page, "recouvrement@horizon.example", einvoicing_world["totp"]["recouvrement"]
    )
    nav(page, "Facturation électronique")
    objections = page.get_by_role("region", name="Refusées, en litige ou suspendues par l'acheteur")
    expect(objections).to_contain_text("Numéro de bon de commande absent")
    expect(objections).to_contain_text("Deux jours de mission contestés")
    shots("board")

    # The refused invoice: its statuses and the buyer's reason.
    refused = objections.get_by_role("row").filter(has_text="CMD_ERR")
    refused.get_by_role("link").first.click()
    lifecycle = page.get_by_role("region", name="Facturation électronique")
    expect(lifecycle).to_contain_text("210 Refusée")
    expect(lifecycle).to_contain_text("Numéro de bon de commande absent")
    shots("refused-invoice-statuses")

    # The disputed invoice is settled with the buyer: the approval read on the platform's
    # portal is entered, and the invoice leaves the board's objections.
    nav(page, "Facturation électronique")
    objections.get_by_role("row").filter(has_text="QTE_ERR").get_by_role("link").first.click()
    lifecycle.get_by_text("Saisir un statut affiché sur le portail de la plateforme").click()
    lifecycle.get_by_label("statut").select_option(label="205 Approuvée")
    lifecycle.get_by_label("date").fill(f"{einvoicing_world['today']:%d/%m/%Y}")
    lifecycle.get_by_role("button", name="Enregistrer le statut").click()
    expect(flash(page)).to_be_visible()
    expect(lifecycle).to_contain_text("205 Approuvée")
    shots("disputed-invoice-approved")
    with tenant_context(tenant):
        entered = LifecycleStatus.objects.get(code="205", entered_by__isnull=False)
    assert entered.entered_by.email == "recouvrement@horizon.example"
    nav(page, "Facturation électronique")
    expect(objections).not_to_contain_text("QTE_ERR")
    expect(objections).to_contain_text("CMD_ERR")

    # The client's timeline, reached from the board, says why its reminders wait.
    nav(page, "Facturation électronique")
    refused.get_by_role("link").nth(1).click()
    expect(page.get_by_role("main")).to_contain_text("Numéro de bon de commande absent")
    shots("timeline")
