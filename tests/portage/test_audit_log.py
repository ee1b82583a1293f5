"""The audit log: who, tenant, what, which object, before/after, when; never rewritten."""

import pytest
from django.db import connection, transaction
from django.db.utils import ProgrammingError
from django.urls import reverse

from portage.models import AuditEntry
from portage.services import audit_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def role_change(admin_a, in_tenant):
    with in_tenant(admin_a.tenant):
        return audit_record(
            tenant=admin_a.tenant,
            actor=admin_a.user,
            action="membership.role_changed",
            obj=admin_a,
            before={"role": "collector"},
            after={"role": "admin"},
        )


def test_an_entry_records_who_did_what_to_which_object(admin_a, in_tenant, role_change):
    with in_tenant(admin_a.tenant):
        stored = AuditEntry.objects.get(pk=role_change.pk)
    assert stored.actor_label == admin_a.user.get_full_name()
    assert (stored.object_type, stored.object_id) == ("portage.membership", str(admin_a.pk))
    assert (stored.before, stored.after) == ({"role": "collector"}, {"role": "admin"})
    assert stored.created_at is not None


def test_the_platform_is_named_when_no_person_acted(tenant_a, in_tenant):
    with in_tenant(tenant_a):
        entry = audit_record(
            tenant=tenant_a, actor=None, actor_label="Relances du jour", action="x", obj=tenant_a
        )
    assert entry.actor_label == "Relances du jour"


@pytest.mark.parametrize(
    "statement",
    ["UPDATE portage_auditentry SET action = 'rewritten'", "DELETE FROM portage_auditentry"],
)
def test_the_database_refuses_to_rewrite_or_delete_an_entry(admin_a, in_tenant, statement):
    with in_tenant(admin_a.tenant):
        audit_record(tenant=admin_a.tenant, actor=admin_a.user, action="x", obj=admin_a)
        with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement)
        assert AuditEntry.objects.get().action == "x"


def test_the_audit_log_page_shows_the_entry_with_before_and_after(signed_in, admin_a, role_change):
    client = signed_in(admin_a)
    listing = client.get(reverse("audit_log"))
    assert list(listing.context["page"].object_list) == [role_change]
    detail = client.get(reverse("audit_entry", args=[role_change.pk]))
    assert detail.status_code == 200
    assert b"collector" in detail.content and b"admin" in detail.content
