"""The accounting export page and the admin's chart of accounts."""

from datetime import date

import pytest
from django.urls import reverse

from accounting.models import ChartOfAccounts
from portage.models import AuditEntry
from portage.permissions import Role
from tests.factories import make_invoice, make_member

pytestmark = pytest.mark.django_db

MARCH = {"date_from": "2026-03-01", "date_to": "2026-03-31"}


def test_a_collector_sees_the_period_by_journal_and_downloads_the_fec(signed_in, tenant_a):
    make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    page = signed_in(make_member(tenant_a, Role.COLLECTOR))
    response = page.get(reverse("accounting_fec_export"), MARCH)
    assert response.status_code == 200
    assert response.context["entries_count"] == 1
    assert [(j["code"], j["count"]) for j in response.context["journals"]] == [("VT", 1)]
    assert response.context["total_debit"] == response.context["total_credit"]
    download = page.get(reverse("accounting_fec_export"), {**MARCH, "download": "1"})
    assert download["Content-Disposition"] == (
        f'attachment; filename="{tenant_a.siren}FEC20260331.txt"'
    )
    assert download.content.count(b"\r\n") == 4


def test_an_inverted_period_is_shown_on_the_form(signed_in, tenant_a):
    page = signed_in(make_member(tenant_a, Role.ACCOUNTANT))
    response = page.get(
        reverse("accounting_fec_export"), {"date_from": "2026-03-31", "date_to": "2026-03-01"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["date_to"] == ["La fin de la période précède son début."]
    download = page.get(
        reverse("accounting_fec_export"),
        {"date_from": "2026-03-31", "date_to": "2026-03-01", "download": "1"},
    )
    assert "Content-Disposition" not in download


def test_a_consultant_cannot_open_the_export(signed_in, tenant_a):
    page = signed_in(make_member(tenant_a, Role.CONSULTANT))
    assert page.get(reverse("accounting_fec_export"), MARCH).status_code == 403


def test_the_admin_changes_the_chart_and_the_change_is_audited(signed_in, tenant_a, in_tenant):
    admin = make_member(tenant_a, Role.ADMIN)
    page = signed_in(admin)
    form = page.get(reverse("accounting_chart")).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data.update(client_account="411100", vat_account_20="445712")
    response = page.post(reverse("accounting_chart"), data)
    assert response.status_code == 302
    with in_tenant(tenant_a):
        chart = ChartOfAccounts.objects.get()
        audit = AuditEntry.objects.get(action="accounting.chart_updated")
    assert (chart.client_account, chart.vat_account_20, chart.sales_account) == (
        "411100",
        "445712",
        "706000",
    )
    assert audit.after == {"client_account": "411100", "vat_account_20": "445712"}


def test_the_chart_refuses_letters_and_a_collector_cannot_open_it(signed_in, tenant_a, in_tenant):
    page = signed_in(make_member(tenant_a, Role.ADMIN))
    form = page.get(reverse("accounting_chart")).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data.update(bank_account="512ABC")
    response = page.post(reverse("accounting_chart"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["bank_account"] == [
        "Un numéro de compte comporte de 3 à 20 chiffres, et rien d'autre."
    ]
    with in_tenant(tenant_a):
        assert not ChartOfAccounts.objects.exists()
    collector = signed_in(make_member(tenant_a, Role.COLLECTOR))
    assert collector.get(reverse("accounting_chart")).status_code == 403


def test_the_company_page_and_the_accountant_s_home_lead_to_the_export(signed_in, tenant_a):
    export = reverse("accounting_fec_export").encode()
    admin = signed_in(make_member(tenant_a, Role.ADMIN))
    company = admin.get(reverse("company")).content
    assert export in company and reverse("accounting_chart").encode() in company
    accountant = signed_in(make_member(tenant_a, Role.ACCOUNTANT))
    assert export in accountant.get(reverse("dashboard")).content
