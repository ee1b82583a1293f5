"""Hostile strings in clients, consultants and invoices: escaped in every page and email,
intact as text in the PDF, and a name beyond its field's length is a clear form error."""

import io
from datetime import date

import pytest
from django.urls import reverse
from pypdf import PdfReader

from dunning.models import Letter, Message, Step, StepKind
from dunning.services.letters import render_letter_pdf
from dunning.services.mail import message_compose
from invoices.pdf import render_invoice_pdf
from portage.permissions import Role
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.dunning.api_world import late_invoice
from tests.factories import day_line, make_client, make_consultant, make_member

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = "\"'><img src=x onerror=alert(1)>"
# Right-to-left override, zero-width space, an emoji, a combining accent (e + ´).
UNICODE = "Soci\u00e9t\u00e9 \u202eLTR\u202c \u200bZW \U0001f600 Cafe\u0301"
RAW = [SCRIPT, "<img src=x onerror", "onerror=alert(1)>"]


@pytest.fixture
def hostile(tenant_a):
    """A client, a consultant and an overdue invoice whose names carry every hostile string;
    the ladder has sent the first reminder."""
    client = make_client(tenant_a, legal_name=f"{SCRIPT} {ATTRIBUTE}"[:200])
    consultant = make_consultant(tenant_a, full_name=f"{ATTRIBUTE} {UNICODE}"[:150])
    description = f"{SCRIPT} {UNICODE} {ATTRIBUTE}"
    invoice = late_invoice(
        tenant_a,
        client=client,
        consultant=consultant,
        lines=[day_line(description=description)],
        days=[date(2026, 4, 2)],
    )
    return client, consultant, invoice


def assert_escaped(content):
    html = content.decode()
    for raw in RAW:
        assert raw not in html
    return html


def test_pages_show_the_hostile_names_escaped(signed_in, tenant_a, hostile):
    client, consultant, invoice = hostile
    browser = signed_in(make_member(tenant_a, Role.ADMIN))
    for path in [
        reverse("client_detail", args=[client.pk]),
        reverse("invoice_detail", args=[invoice.pk]),
        reverse("consultant_detail", args=[consultant.pk]),
        reverse("dunning_worklist"),
        reverse("dunning_client", args=[client.pk]),
        reverse("client_list"),
        reverse("invoice_list"),
    ]:
        response = browser.get(path)
        assert response.status_code == 200, path
        html = assert_escaped(response.content)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path


def test_the_consultant_portal_shows_them_escaped(signed_in, tenant_a, hostile):
    _client, consultant, invoice = hostile
    with tenant_context(tenant_a):
        membership = consultant.user.memberships.get()
    browser = signed_in(membership)
    for path in [reverse("portal_invoice", args=[invoice.pk]), reverse("dashboard")]:
        response = browser.get(path)
        assert response.status_code == 200, path
        html = assert_escaped(response.content)
        assert UNICODE in html, path


def test_the_reminder_email_escapes_them_in_html_and_keeps_them_in_text(tenant_a, hostile):
    client, consultant, invoice = hostile
    with tenant_context(tenant_a):
        sent = Message.objects.get(kind=StepKind.FIRST_REMINDER)
        assert_escaped(sent.body_html.encode())
        step = Step.objects.get(policy__is_default=True, kind=StepKind.FIRST_REMINDER)
        step.subject_fr = "Relance {client}"
        step.body_fr = "Bonjour {client},\n{invoices}\nVotre consultant : {consultant}"
        message = message_compose(
            tenant=tenant_a,
            client=client,
            step=step,
            invoices=[invoice],
            to=["compta@client.example"],
            language="fr",
            day=date(2026, 4, 3),
            consultant=consultant,
        )
    html = assert_escaped(message.body_html.encode())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert SCRIPT in message.body_text and UNICODE in message.body_text
    assert client.legal_name in message.subject


def test_the_invoice_pdf_prints_the_names_as_text(tenant_a, hostile):
    _client, _consultant, invoice = hostile
    with tenant_context(tenant_a):
        text = "".join(
            page.extract_text() for page in PdfReader(io.BytesIO(render_invoice_pdf(invoice))).pages
        )
    flat = " ".join(text.split())
    assert SCRIPT in flat
    assert "onerror=alert(1)>" in flat


@pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])
def test_the_formal_notice_pdf_prints_the_client_s_name_as_text(tenant_a):
    client = make_client(tenant_a, legal_name=f"{SCRIPT} {ATTRIBUTE}")
    late_invoice(tenant_a, client=client)
    with tenant_context(tenant_a):
        letter = Letter.objects.get()
        pdf = render_letter_pdf(letter)
    text = " ".join(
        "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split()
    )
    assert SCRIPT in text


@pytest.mark.parametrize(
    "name", ["x" * 10_000, "x" * 201], ids=["ten kilobytes", "one over the limit"]
)
def test_a_client_name_longer_than_its_field_is_a_form_error(signed_in, admin_a, name):
    response = signed_in(admin_a).post(
        reverse("client_create"),
        {
            "legal_name": name,
            "address_line1": "1 rue de la Paix",
            "postal_code": "75002",
            "city": "Paris",
            "country": "FR",
            "payment_terms": "net",
            "payment_days": "30",
            "category": "private",
        },
    )
    assert response.status_code == 200
    assert "legal_name" in response.context["form"].errors


def test_an_invoice_line_longer_than_its_field_is_refused(signed_in, tenant_a, hostile):
    from django.core.exceptions import ValidationError

    from invoices.services.billing import invoice_draft_create

    client, consultant, _invoice = hostile
    with tenant_context(tenant_a), pytest.raises(ValidationError):
        invoice_draft_create(
            tenant=tenant_a,
            client=client,
            consultant=consultant,
            lines=[day_line(description="x" * 10_000)],
            by=None,
        )


@pytest.mark.parametrize("vat_number", ["", "xx", SCRIPT])
def test_a_client_without_or_with_a_garbled_vat_number_is_no_server_error(
    signed_in, admin_a, vat_number
):
    response = signed_in(admin_a).post(
        reverse("client_create"),
        {
            "legal_name": "Durand",
            "vat_number": vat_number,
            "siren": "<b>",
            "address_line1": "1 rue de la Paix",
            "postal_code": "75002",
            "city": "Paris",
            "country": "FR",
            "payment_terms": "net",
            "payment_days": "30",
            "category": "private",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "siren" in errors
    assert ("vat_number" in errors) == bool(vat_number)
