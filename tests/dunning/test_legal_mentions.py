"""The company's registration mentions (Code de commerce R123-237, R123-238) on its
collection letters and emails: legal form, share capital, RCS registry, registered office."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from dunning.models import Letter, Message
from portage.batch import run_job_for_tenant
from portage.tenancy import tenant_context
from tests.dunning.api_world import ISSUED, LADDER_DAYS
from tests.dunning.drawing import draw_letter_pdfs
from tests.factories import TenantFactory, make_invoice

pytestmark = pytest.mark.django_db

MENTION = "SARL au capital de 7 622,45 € · RCS Nantes 812 345 676"
FOOTER = f"Delta Portage · {MENTION} · 3 quai de la Fosse, 44000 Nantes"


def plain(text):
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


@pytest.fixture
def followed_up(settings, tmp_path, django_capture_on_commit_callbacks):
    """Delta Portage's invoice followed by the ladder up to the formal notice, each day's
    emails sent once its transaction commits."""
    settings.MEDIA_ROOT = tmp_path
    tenant = TenantFactory(
        legal_name="Delta Portage",
        siren="812345676",
        vat_number="FR19812345676",
        legal_form="SARL",
        share_capital=Decimal("7622.45"),
        rcs_city="Nantes",
        address_line1="3 quai de la Fosse",
        postal_code="44000",
        city="Nantes",
    )
    make_invoice(tenant, issued_on=ISSUED)
    for day in LADDER_DAYS:
        with django_capture_on_commit_callbacks(execute=True):
            run_job_for_tenant("dunning", tenant=tenant, today=day)
        with django_capture_on_commit_callbacks(execute=True):
            draw_letter_pdfs(tenant)
    return tenant


def test_the_formal_notice_names_the_company_with_its_form_capital_and_registry(followed_up):
    with tenant_context(followed_up):
        letter = Letter.objects.get()
        with letter.pdf.open("rb") as pdf:
            pages = PdfReader(io.BytesIO(pdf.read())).pages
    assert f"Delta Portage {MENTION} 3 quai de la Fosse" in plain(pages[0].extract_text())


def test_every_collection_email_ends_with_the_company_s_mentions(followed_up):
    with tenant_context(followed_up):
        messages = list(Message.objects.all())
    assert len(messages) >= 3  # two reminders and the formal notice's copy, at least
    for message in messages:
        assert plain(message.body_text).endswith(f"-- {FOOTER}"), message.kind
        assert FOOTER in plain(message.body_html), message.kind
