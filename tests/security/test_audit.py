"""The audit log: every change to money, dunning steps and claims leaves an entry, and no
path of the application, the admin or SQL can change or delete one."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.utils import ProgrammingError
from django.test import RequestFactory

from consultants.models import LedgerEntry
from consultants.services import pay_out_record
from dunning.models import Case, Letter, Pause
from dunning.services.cases import case_resume, pause_create
from dunning.services.litigation import letter_mark_posted
from insurance.models import Claim
from insurance.services.claims import claim_file, claim_indemnify
from invoices.models import Invoice, Payment
from invoices.services.billing import credit_note_issue
from invoices.services.payments import payment_reverse
from portage.models import AuditEntry
from portage.permissions import Role
from portage.services import audit_record
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.security import world


@pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])
def test_every_change_to_money_steps_and_claims_leaves_an_audit_entry(tenant_a):
    ids, members = world.build(tenant_a)
    actor = members[Role.ADMIN].user
    day = date(2026, 9, 1)
    with tenant_context(tenant_a):
        payment_reverse(payment=Payment.objects.get(pk=ids["payment"]), reason="Rejet", by=actor)
        credit_note_issue(invoice=Invoice.objects.get(pk=ids["invoice"]), by=actor, reason="Erreur")
        late = Case.objects.get(pk=ids["dunning-case"]).invoice
        letter_mark_posted(
            letter=Letter.objects.get(pk=ids["letter"]),
            actor=actor,
            reference="1A 234 567 8901 2",
            posted_on=date(2026, 5, 2),
            today=date(2026, 5, 2),
        )
        insured = Claim.objects.get(pk=ids["claim"]).lines.get().invoice
        pause_create(
            tenant=tenant_a,
            invoice=insured,
            actor=actor,
            kind=Pause.Kind.DISPUTE,
            today=day,
            reason="Contestation",
        )
        case_resume(tenant=tenant_a, invoice=insured, actor=actor, today=day)
        claim = claim_file(
            claim=Claim.objects.get(pk=ids["claim"]), actor=actor, filed_on=day, today=day
        )
        claim_indemnify(claim=claim, actor=actor, amount=Decimal("4900.00"), paid_on=day, today=day)
        pay_out_record(
            consultant=late.consultant,
            kind=LedgerEntry.Kind.SALARY_PAID,
            amount=Decimal("100.00"),
            booked_on=day,
            label="Salaire",
            by=actor,
        )
        actions = set(AuditEntry.objects.values_list("action", flat=True))
    expected = {
        # money
        "invoice.issued",
        "invoice.credited",
        "payment.recorded",
        "payment.reversed",
        "bank.statement_imported",
        "ledger.pay_out",
        # dunning steps
        "dunning.step_performed",
        "dunning.paused",
        "dunning.resumed",
        "dunning.letter_posted",
        "dunning.litigation_opened",
        # credit insurance
        "insurance.limit_decided",
        "insurance.overdue_declared",
        "insurance.claim_opened",
        "insurance.claim_filed",
        "insurance.claim_indemnified",
    }
    assert expected - actions == set()


@pytest.fixture
def entry(admin_a, in_tenant):
    with in_tenant(admin_a.tenant):
        return audit_record(tenant=admin_a.tenant, actor=admin_a.user, action="x", obj=admin_a)


@pytest.mark.django_db
def test_the_model_refuses_to_save_an_entry_again_or_delete_it(entry, in_tenant):
    with in_tenant(entry.tenant):
        entry.action = "rewritten"
        with pytest.raises(PermissionDenied):
            entry.save()
        with pytest.raises(PermissionDenied):
            entry.delete()
        assert AuditEntry.objects.get(pk=entry.pk).action == "x"


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["update", "delete"])
def test_a_queryset_update_or_delete_is_refused_by_the_database(entry, in_tenant, change):
    with in_tenant(entry.tenant):
        queryset = AuditEntry.objects.filter(pk=entry.pk)
        with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
            queryset.update(action="rewritten") if change == "update" else queryset.delete()
        assert AuditEntry.objects.get(pk=entry.pk).action == "x"


def test_the_admin_offers_no_way_to_add_change_or_delete_an_entry():
    model_admin = admin.site._registry[AuditEntry]
    request = RequestFactory().get("/admin/")
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
