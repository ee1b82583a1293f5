"""The two locks of tenancy: the ORM scope (a) and PostgreSQL row-level security (b)."""

import contextlib

import pytest
from django.db import connection, transaction
from django.db.utils import ProgrammingError
from django_scopes import ScopeError

from portage.models import AuditEntry, Tenant
from portage.services import audit_record
from portage.tenancy import (
    PLATFORM_DB,
    all_tenants,
    current_tenant,
    platform_access,
    tenant_context,
    tenant_known,
)

pytestmark = pytest.mark.django_db


def _entry(tenant, label):
    with tenant_context(tenant):
        return audit_record(
            tenant=tenant, actor=None, actor_label=label, action="test.made", obj=tenant
        )


@pytest.fixture
def two_entries(tenant_a, tenant_b):
    return _entry(tenant_a, "written for A"), _entry(tenant_b, "written for B")


def labels(queryset):
    return sorted(queryset.values_list("actor_label", flat=True))


def test_a_query_on_a_tenant_owned_model_without_a_tenant_raises(two_entries):
    with pytest.raises(ScopeError):
        list(AuditEntry.objects.all())
    with pytest.raises(ScopeError):
        AuditEntry.objects.filter(action="test.made").count()


def test_inside_a_tenant_context_only_that_tenants_rows_are_seen(two_entries, tenant_a):
    with tenant_context(tenant_a):
        assert labels(AuditEntry.objects.all()) == ["written for A"]


def test_with_the_orm_lock_lifted_row_level_security_alone_hides_the_other_tenant(
    two_entries, tenant_a, tenant_b
):
    with tenant_context(tenant_a), platform_access():
        assert labels(AuditEntry.objects.all()) == ["written for A"]
        assert not AuditEntry.objects.filter(tenant=tenant_b).exists()
        assert not AuditEntry.objects.filter(pk=two_entries[1].pk).exists()


def test_with_the_orm_lock_lifted_and_no_tenant_row_level_security_returns_nothing(
    two_entries,
):
    with platform_access():
        assert AuditEntry.objects.count() == 0


def test_row_level_security_refuses_writing_a_row_for_another_tenant(tenant_a, tenant_b):
    with tenant_context(tenant_a), pytest.raises(ProgrammingError, match="row-level security"):
        with transaction.atomic():
            audit_record(tenant=tenant_b, actor=None, action="test.made", obj=tenant_b)


def test_a_raw_query_cannot_read_across_tenants(two_entries, tenant_a):
    with tenant_context(tenant_a), connection.cursor() as cursor:
        cursor.execute("SELECT actor_label FROM portage_auditentry")
        assert [row[0] for row in cursor.fetchall()] == ["written for A"]


def test_a_nested_context_gives_back_the_outer_tenant(two_entries, tenant_a, tenant_b):
    with tenant_context(tenant_a):
        with tenant_context(tenant_b):
            assert labels(AuditEntry.objects.all()) == ["written for B"]
        assert labels(AuditEntry.objects.all()) == ["written for A"]
        with platform_access():
            assert labels(AuditEntry.objects.all()) == ["written for A"]


def test_leaving_the_context_leaves_no_tenant_behind_in_the_transaction(two_entries, tenant_a):
    with tenant_context(tenant_a):
        pass
    with platform_access():
        assert AuditEntry.objects.count() == 0


def test_an_error_caught_inside_the_context_does_not_break_the_way_out(tenant_a, tenant_b):
    with tenant_context(tenant_a), contextlib.suppress(ProgrammingError):
        audit_record(tenant=tenant_b, actor=None, action="test.made", obj=tenant_b)
    with platform_access():
        assert AuditEntry.objects.count() == 0


def test_the_application_role_neither_owns_the_tables_nor_bypasses_row_level_security():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
            "AND tableowner = current_user"
        )
        assert cursor.fetchone() == (0,)


def test_the_application_role_cannot_turn_row_level_security_off():
    with pytest.raises(ProgrammingError, match="must be owner"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE portage_auditentry DISABLE ROW LEVEL SECURITY")


@pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])
def test_with_row_level_security_bypassed_the_orm_lock_alone_hides_the_other_tenant(
    tenant_a, tenant_b
):
    _entry(tenant_a, "written for A")
    _entry(tenant_b, "written for B")
    # The platform role bypasses row-level security: the ORM scope is the only lock left.
    with tenant_context(tenant_a):
        assert labels(AuditEntry.objects.using(PLATFORM_DB).all()) == ["written for A"]
    with pytest.raises(ScopeError):
        list(AuditEntry.objects.using(PLATFORM_DB).all())
    assert labels(all_tenants(AuditEntry)) == ["written for A", "written for B"]


def test_a_write_with_no_tenant_active_is_refused_by_the_database(tenant_a):
    # The ORM scope lets create() through; row-level security does not.
    with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
        audit_record(tenant=tenant_a, actor=None, action="test.made", obj=tenant_a)


def test_a_context_opened_from_an_id_learns_its_company_s_row_and_no_other(tenant_a, tenant_b):
    with tenant_context(Tenant(pk=tenant_a.pk)):
        with pytest.raises(RuntimeError):
            tenant_known(tenant_b)
        tenant_known(tenant_a)
        assert current_tenant() is tenant_a and current_tenant().legal_name
    assert current_tenant() is None


def test_a_row_s_company_is_the_context_s_row_and_another_company_s_is_read(
    two_entries, tenant_a, tenant_b, django_assert_num_queries
):
    with tenant_context(tenant_a):
        entry = AuditEntry.objects.get()
        with django_assert_num_queries(0):
            assert entry.tenant is tenant_a
        # A row naming another company (as a platform job reads them) gets its own.
        other = AuditEntry(tenant_id=tenant_b.pk)
        with django_assert_num_queries(1):
            assert other.tenant == tenant_b and other.tenant is not tenant_a
    # Opened from an id alone, the context has no row to lend: the row's company is read.
    with tenant_context(Tenant(pk=tenant_a.pk)):
        entry = AuditEntry.objects.get()
        assert entry.tenant.legal_name == tenant_a.legal_name
