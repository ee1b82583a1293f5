"""Hostile uploads through the pages: bank statements (CSV, CAMT.053) and the company logo.
Oversized, binary, mis-encoded or booby-trapped files are refused with a clear message on
the form, never a server error, and nothing is imported."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.urls import reverse

from invoices.forms import STATEMENT_MAX_BYTES
from invoices.models import BankStatement
from portage.forms import COMPANY_FIELDS, LOGO_MAX_BYTES
from portage.permissions import Role
from portage.tenancy import tenant_context
from tests.security.world import png_bytes

pytestmark = pytest.mark.django_db

HEADER = "Date opération;Libellé;Tiers;Montant;Devise;Référence\n"
LINE = "05/03/2026;VIR SEPA RECU /MOTIF F-1;ACME;1 200,00;EUR;R-1\n"
# "Billion laughs": each entity ten times the one before.
XML_BOMB = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    + b"".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">\n'.encode()
        for n in range(1, 10)
    )
    + b']>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&lol9;</Document>'
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&x;</Document>'
)

STATEMENTS = {
    "oversized": ("releve.csv", (HEADER + LINE * (STATEMENT_MAX_BYTES // len(LINE) + 10)).encode()),
    "binary garbage": ("releve.csv", bytes(range(256)) * 40),
    "UTF-16 text": ("releve.csv", (HEADER + LINE).encode("utf-16")),
    "empty": ("releve.csv", b""),
    "a PNG named .csv": ("releve.csv", png_bytes()),
    "an XML bomb": ("releve.xml", XML_BOMB),
    "an external entity": ("releve.xml", EXTERNAL_ENTITY),
    "truncated XML": ("releve.xml", b'<?xml version="1.0"?><Document><BkToCstmrStmt><Stmt>'),
}


@pytest.mark.parametrize("name", list(STATEMENTS))
def test_a_hostile_bank_statement_is_refused_with_a_message(signed_in, tenant_a, member, name):
    filename, content = STATEMENTS[name]
    browser = signed_in(member(tenant_a, Role.COLLECTOR))
    response = browser.post(reverse("bank_queue"), {"file": SimpleUploadedFile(filename, content)})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors and all(str(message) for message in errors.get("file", []))
    with tenant_context(tenant_a):
        assert not BankStatement.objects.exists()
    assert b"root:" not in response.content


def company_form(tenant, **changes):
    data = {
        name: value
        for name, value in model_to_dict(tenant, fields=COMPANY_FIELDS).items()
        if name != "logo" and value is not None
    }
    return {**data, **changes}


LOGOS = {
    "not an image": ("logo.png", b"MZ\x90\x00 this is an executable"),
    "an SVG with a script": (
        "logo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    ),
    "a GIF": (
        "logo.gif",
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!"
        b"\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
    ),
    "over 2 MB": ("logo.png", png_bytes() + b"\x00" * LOGO_MAX_BYTES),
}


@pytest.mark.parametrize("name", list(LOGOS))
def test_a_logo_that_is_not_a_small_png_or_jpeg_is_refused(signed_in, admin_a, name):
    filename, content = LOGOS[name]
    response = signed_in(admin_a).post(
        reverse("company_edit"),
        company_form(admin_a.tenant, logo=SimpleUploadedFile(filename, content)),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["logo"]
    admin_a.tenant.refresh_from_db()
    assert not admin_a.tenant.logo


def test_a_small_png_logo_is_accepted(signed_in, admin_a):
    response = signed_in(admin_a).post(
        reverse("company_edit"),
        company_form(admin_a.tenant, logo=SimpleUploadedFile("logo.png", png_bytes((40, 20)))),
    )
    assert response.status_code == 302
    admin_a.tenant.refresh_from_db()
    assert admin_a.tenant.logo
