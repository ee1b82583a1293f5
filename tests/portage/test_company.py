"""The company's identity: SIREN, VAT and IBAN checked with their check digits."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from portage.models import AuditEntry, Tenant
from portage.permissions import Role
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def identity(**overrides):
    data = {
        "legal_name": "Alpha Portage SAS",
        "siren": "812 345 676",
        "vat_number": "FR 19 812345676",
        "address_line1": "1 rue de Rivoli",
        "address_line2": "",
        "postal_code": "75001",
        "city": "Paris",
        "country": "fr",
        "iban": "FR76 3000 6000 0112 3456 7890 189",
        "bic": "AGRIFRPP",
        "invoice_prefix": "FA",
        "credit_note_prefix": "AV",
        "number_yearly_reset": "on",
        "late_penalty_rate": "",
        "pay_model": "on_collection",
        "payout_months_after": "1",
        "payout_day": "31",
    }
    data.update(overrides)
    return data


def png():
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "navy").save(buffer, "PNG")
    return SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")


def test_the_admin_saves_the_identity_with_identifiers_stored_compact(
    signed_in, admin_a, in_tenant
):
    response = signed_in(admin_a).post(reverse("company_edit"), identity())
    assert response.status_code == 302
    tenant = Tenant.objects.get(pk=admin_a.tenant_id)
    assert (tenant.siren, tenant.vat_number, tenant.iban, tenant.country) == (
        "812345676",
        "FR19812345676",
        "FR7630006000011234567890189",
        "FR",
    )
    with in_tenant(tenant):
        entry = AuditEntry.objects.get(action="tenant.updated")
    assert entry.actor == admin_a.user
    assert entry.after["siren"] == "812345676"
    assert entry.before["siren"] == admin_a.tenant.siren


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("siren", "812345677", "Le numéro SIREN 812345677 n&#x27;est pas valide : sa clé"),
        ("siren", "81234", "son nombre de caractères est incorrect"),
        ("vat_number", "FR00812345676", "sa clé de contrôle est erronée"),
        ("iban", "FR7630006000011234567890180", "sa clé de contrôle est erronée"),
        ("vat_number", "FR46908765431", "ne correspond pas au SIREN 812345676"),
    ],
)
def test_a_wrong_identifier_is_a_clear_form_error(signed_in, admin_a, field, value, message):
    response = signed_in(admin_a).post(reverse("company_edit"), identity(**{field: value}))
    assert response.status_code == 200
    form = response.context["form"]
    assert message in str(form.errors)
    assert Tenant.objects.get(pk=admin_a.tenant_id).siren == admin_a.tenant.siren


def test_the_logo_is_served_to_the_companys_members_only(
    signed_in, admin_a, admin_b, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    signed_in(admin_a).post(reverse("company_edit"), {**identity(), "logo": png()})
    response = client.get(reverse("company_logo"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    client.force_login(admin_b.user)
    assert client.get(reverse("company_logo")).status_code == 404


def test_a_file_that_is_not_an_image_is_refused_as_logo(signed_in, admin_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("logo.png", b"not an image", content_type="image/png")
    response = signed_in(admin_a).post(reverse("company_edit"), {**identity(), "logo": fake})
    assert response.status_code == 200
    assert response.context["form"].errors["logo"]


def test_a_logo_in_another_image_format_is_refused(signed_in, admin_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "navy").save(buffer, "GIF")
    gif = SimpleUploadedFile("logo.gif", buffer.getvalue(), content_type="image/gif")
    response = signed_in(admin_a).post(reverse("company_edit"), {**identity(), "logo": gif})
    assert "PNG ou JPEG" in str(response.context["form"].errors["logo"])


def test_a_country_that_is_not_an_iso_code_is_refused(signed_in, admin_a):
    response = signed_in(admin_a).post(reverse("company_edit"), identity(country="France"))
    assert response.context["form"].errors["country"]


def test_the_collector_reads_the_identity_without_an_edit_button(signed_in, tenant_a):
    page = signed_in(make_member(tenant_a, Role.COLLECTOR)).get(reverse("company"))
    assert page.status_code == 200
    assert reverse("company_edit").encode() not in page.content


def test_the_admin_chooses_the_numbering_and_the_pay_model(signed_in, admin_a, monkeypatch):
    # In the first half of 2026, whose legal rate (2,62 %) puts the contract rate's floor at
    # 7,86 % (see tests/dunning/test_rates.py).
    monkeypatch.setattr("dunning.services.policies.paris_today", lambda: date(2026, 3, 2))
    response = signed_in(admin_a).post(
        reverse("company_edit"),
        identity(
            invoice_prefix="FACT",
            credit_note_prefix="AVO",
            number_yearly_reset="on",
            late_penalty_rate="12.00",
            pay_model="on_invoicing",
        ),
    )
    assert response.status_code == 302
    tenant = Tenant.objects.get(pk=admin_a.tenant_id)
    assert (tenant.invoice_prefix, tenant.pay_model, tenant.late_penalty_rate) == (
        "FACT",
        "on_invoicing",
        Decimal("12.00"),
    )


def test_a_prefix_with_spaces_or_accents_is_refused(signed_in, admin_a):
    response = signed_in(admin_a).post(reverse("company_edit"), identity(invoice_prefix="FA é"))
    assert response.context["form"].errors["invoice_prefix"]
