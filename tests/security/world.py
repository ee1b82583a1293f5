"""One company with an object of every kind a page or an API route names in its path, and a
member of every role: the permission matrix (test_permission_matrix.py) opens every route
with these ids, for this company's members and for another company's."""

import io
from datetime import date
from decimal import Decimal
from importlib import import_module

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from dunning.models import Case, Letter, LitigationFile, Policy
from dunning.services.litigation import litigation_add_document, litigation_open
from insurance.models import Declaration, InsurancePolicy, Insurer, ProspectCheck
from insurance.services.blank_test import blank_test_create_from_clients
from invoices.models import BankLine, Invoice
from portage.api.keys import api_key_create
from portage.api.urls import APPS
from portage.models import AuditEntry, Membership
from portage.permissions import Role
from portage.tenancy import tenant_context
from tests.factories import make_member

LITIGATION_DAY = date(2026, 5, 15)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes(size=(2, 2)):
    image = io.BytesIO()
    Image.new("RGB", size, "white").save(image, "PNG")
    return image.getvalue()


def build(tenant):
    """Returns ({object kind: pk}, {role: membership}) for `tenant`."""
    tenant.logo.save("logo.png", ContentFile(png_bytes()), save=True)
    ids = {}
    for app in APPS:
        ids.update(import_module(f"tests.{app}.api_world").build(tenant))
    admin = make_member(tenant, Role.ADMIN)
    members = {
        Role.ADMIN: admin,
        Role.COLLECTOR: make_member(tenant, Role.COLLECTOR),
        Role.ACCOUNTANT: make_member(tenant, Role.ACCOUNTANT),
    }
    with tenant_context(tenant):
        # The consultant of the billing world's invoice: the portal shows it as theirs.
        invoice = Invoice.objects.get(pk=ids["invoice"])
        members[Role.CONSULTANT] = Membership.objects.get(user=invoice.consultant.user)
        late = Case.objects.get(pk=ids["dunning-case"]).invoice
        litigation = litigation_open(
            tenant=tenant,
            client=late.client,
            actor=admin.user,
            today=LITIGATION_DAY,
            invoices=[late],
            assignee_kind=LitigationFile.AssigneeKind.AGENCY,
            assignee_name="Agence Recouvrement",
        )
        document = litigation_add_document(
            file=litigation,
            actor=admin.user,
            title="Ordonnance",
            uploaded_file=SimpleUploadedFile("ordonnance.pdf", PDF, "application/pdf"),
        )
        key, _full = api_key_create(tenant=tenant, name="Compta", scope="read", by=admin.user)
        blank_test = blank_test_create_from_clients(tenant=tenant, actor=admin.user, name="T1")
        prospect = ProspectCheck.objects.create(
            tenant=tenant,
            siren="732829320",
            name="Prospect SA",
            amount=Decimal("20000.00"),
            asked_by=members[Role.CONSULTANT].user,
        )
        ids.update(
            {
                "membership": members[Role.COLLECTOR].pk,
                "audit-entry": AuditEntry.objects.first().pk,
                "api-key": key.pk,
                "bank-line": BankLine.objects.first().pk,
                "late-invoice": late.pk,
                "own-invoice": invoice.pk,
                "dunning-policy": Policy.objects.first().pk,
                "litigation": litigation.pk,
                "litigation-document": document.pk,
                "insurer": Insurer.objects.first().pk,
                "insurance-policy": InsurancePolicy.objects.first().pk,
                "declaration": Declaration.objects.first().pk,
                "blank-test": blank_test.pk,
                "prospect": prospect.pk,
                "letter": Letter.objects.first().pk,
            }
        )
    return ids, members
