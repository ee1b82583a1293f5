"""Browser journey through the deadlines a collector must not miss: the overdue declarations
counted alike on the collector's home, the insurance home and the declarations page, a lost
cover shown with what to do; then a formal notice left unposted past its deadline, flagged
on the print queue and regenerated, its new PDF looked at as an image."""

import io
import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from dunning.models import Letter
from dunning.services.letters import stale_letters
from insurance.models import Declaration
from insurance.selectors import declaration_counts, declarations_to_declare
from portage.tenancy import tenant_context
from tests.browser.conftest import journey, totp_code
from tests.browser.test_journeys import flash, nav, sign_in

pytestmark = journey

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def declaration_figures(page):
    """(lost, to declare) as the page shows them, and whether the lost figure is in red."""
    lost = page.locator(".stat--declarations-lost")
    due = page.locator(".stat--declarations-due")
    alert = "stat--alert" in (lost.get_attribute("class") or "")
    return (
        int(lost.locator(".stat__value").inner_text()),
        int(due.locator(".stat__value").inner_text()),
        alert,
    )


def at_both_widths(page, shots, name):
    shots(f"{name}-1366")
    page.set_viewport_size(PHONE)
    page.reload()
    shots(f"{name}-390")
    page.set_viewport_size(DESKTOP)
    page.reload()


def test_a_collector_sees_one_count_of_overdue_declarations_and_regenerates_a_stale_notice(
    world, page, shots, tmp_path
):
    tenant, today = world["tenant"], world["today"]
    with tenant_context(tenant):
        # The demo's declarations are all in time or all lost depending on the day it runs:
        # one still to declare is brought past its deadline, so both figures are at stake.
        waiting = declarations_to_declare(today=today).first()
        if waiting is not None:
            Declaration.objects.filter(pk=waiting.pk).update(deadline=today - timedelta(days=1))
        counts = declaration_counts(today=today)
        [stale] = stale_letters(today=today).select_related("client")
    assert counts.lost >= 1

    page.set_viewport_size(DESKTOP)
    sign_in(page, "recouvrement@horizon.example")
    page.get_by_label("Code").fill(totp_code(world["totp"]["recouvrement"]))
    page.get_by_role("button", name="Connexion").click()

    # One truth on three pages: the collector's home, the insurance home, the declarations.
    expected = (counts.lost, counts.to_declare, True)
    expect(page.locator(".stat--declarations-lost")).to_be_visible()
    assert declaration_figures(page) == expected
    shots("collector-home")
    nav(page, "Assurance-crédit")
    assert declaration_figures(page) == expected
    at_both_widths(page, shots, "insurance-home")
    page.locator(".stat--declarations-lost").click()
    expect(
        page.get_by_role("heading", name="Délai dépassé : la garantie est perdue")
    ).to_be_visible()
    assert declaration_figures(page) == expected
    lost = page.locator(".declarations-lost")
    expect(lost).to_contain_text("Que faire")
    expect(lost).to_contain_text("demandez-lui par écrit de maintenir la garantie")
    expect(lost.locator("tr.declaration-lost")).to_have_count(counts.lost)
    at_both_widths(page, shots, "declarations")

    # The formal notice left in the print queue past its deadline.
    nav(page, "Accueil")
    page.locator(".stat", has_text="Mises en demeure à poster").click()
    expect(page.locator(".letters-stale")).to_contain_text("délai dépassé")
    row = page.locator("tr.letter-stale", has_text=stale.client.legal_name)
    expect(row).to_contain_text("Délai dépassé")
    at_both_widths(page, shots, "letters-stale")
    page.get_by_role("link", name="Régénérer le courrier").first.click()

    # The confirmation: what the new letter will say, before anything is written.
    expect(page.get_by_role("heading", name="Ce qui change")).to_be_visible()
    expect(page.locator(".letter-regenerate")).to_contain_text(today.strftime("%d/%m/%Y"))
    at_both_widths(page, shots, "regenerate-confirm")
    with tenant_context(tenant):
        assert Letter.objects.get(pk=stale.pk).posting == Letter.Posting.TO_POST
    page.get_by_role("button", name="Régénérer le courrier").click()
    expect(flash(page)).to_contain_text("est régénérée")

    with tenant_context(tenant):
        new = Letter.objects.get(replaces=stale)
        assert Letter.objects.get(pk=stale.pk).posting == Letter.Posting.REPLACED
    assert (new.letter_date, new.deadline - new.letter_date) == (
        today,
        stale.deadline - stale.letter_date,
    )
    assert new.penalties > stale.penalties
    expect(page.locator("tr.letter-stale")).to_have_count(0)
    expect(page.locator(".letters-replaced")).to_contain_text(stale.client.legal_name)
    at_both_widths(page, shots, "letters-after")

    # The new letter as the client will read it.
    response = page.request.get(f"/recouvrement/courriers/{new.pk}/pdf/")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "mise-en-demeure.pdf"
    pdf.write_bytes(response.body())
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    text = re.sub(r"[\u202f\xa0]", " ", text)
    assert "annule et remplace notre mise en demeure" in text
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed: the letter is not drawn")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "screenshots" / "letter")],
        check=True,
    )
    assert list((tmp_path / "screenshots").glob("letter*.png"))
