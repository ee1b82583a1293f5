"""The audit log reads as a person would: each entry names its object by its kind and its
own name, each change by the field's label; it filters by who, what, kind of object and
days, in the page's address; and a role that may not open an entry sees no link to it."""

from datetime import date

import pytest
from django.urls import reverse

from portage.models import AuditEntry
from portage.permissions import Role
from portage.tenancy import tenant_context
from tests.factories import make_invoice, make_member

pytestmark = pytest.mark.django_db


def entries_shown(page):
    return [(e.action, e.object_label) for e in page.context["page"].object_list]


def test_entries_name_their_object_and_fields(tenant_a, signed_in):
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    admin = make_member(tenant_a, Role.ADMIN)
    with tenant_context(tenant_a):
        # Recorded under Django's default name: named as the invoice names itself.
        AuditEntry.objects.create(
            tenant=tenant_a,
            actor_label="Batch",
            action="invoice.issued",
            object_type="invoices.invoice",
            object_id=str(invoice.pk),
            object_repr=f"Invoice object ({invoice.pk})",
            after={"due_date": "2026-04-01", "total_ttc": "7200.00"},
        )
    browser = signed_in(admin)
    log = browser.get(reverse("audit_log"))
    assert ("invoice.issued", f"Facture — {invoice.number}") in entries_shown(log)
    with tenant_context(tenant_a):
        pk = AuditEntry.objects.get(object_repr=f"Invoice object ({invoice.pk})").pk
    page = browser.get(reverse("audit_entry", args=[pk])).content.decode()
    assert f"Facture — {invoice.number}" in page
    assert "Date d&#x27;échéance" in page or "Date d'échéance" in page
    assert "01/04/2026" in page


def test_the_log_filters_by_who_what_and_days(tenant_a, tenant_b, signed_in):
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    make_invoice(tenant_b, issued_on=date(2026, 3, 2))
    browser = signed_in(make_member(tenant_a, Role.ADMIN))
    everything = browser.get(reverse("audit_log"))
    actions = {action for action, _label in entries_shown(everything)}
    assert {"invoice.drafted", "invoice.issued"} <= actions
    choices = dict(everything.context["form"].fields["object_type"].choices)
    assert choices["invoices.invoice"] == "Facture"
    issued = browser.get(reverse("audit_log"), {"action": "invoice.issued"})
    assert entries_shown(issued) == [("invoice.issued", f"Facture — {invoice.number}")]
    later = browser.get(reverse("audit_log"), {"date_from": "2999-01-01"})
    assert entries_shown(later) == []
    assert "empty_state" in str([t.name for t in later.templates])
    # Only the company's own: the other company's issue (the same number) is not listed.
    assert [a for a, _ in entries_shown(everything)].count("invoice.issued") == 1


def test_a_role_that_may_not_open_the_log_sees_no_link_to_its_entries(tenant_a, signed_in):
    invoice = make_invoice(tenant_a, issued_on=date(2026, 3, 2))
    with tenant_context(tenant_a):
        issued = AuditEntry.objects.get(action="invoice.issued").pk
    link = f'href="{reverse("audit_entry", args=[issued])}"'
    collector = signed_in(make_member(tenant_a, Role.COLLECTOR))
    assert link not in collector.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    admin = signed_in(make_member(tenant_a, Role.ADMIN))
    assert link in admin.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
