"""Row-level security is created for every tenant-owned table, now and in later migrations."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models
from django.db.migrations.state import ModelState
from django.test.utils import isolate_apps

from portage.apps import secure_tenant_tables
from portage.checks import unique_constraint_errors
from portage.models import AuditEntry, Membership, Tenant, TenantOwned
from portage.rls import TenantIsolationPolicy, missing_policies
from portage.tenancy import tenant_owned_models

pytestmark = pytest.mark.django_db


def test_every_tenant_owned_table_has_row_level_security_enabled_forced_and_a_policy():
    owned = tenant_owned_models()
    assert {AuditEntry, Membership} <= set(owned)
    assert missing_policies(owned) == {}


def test_a_table_without_row_level_security_is_reported():
    assert missing_policies([Tenant]) == {"portage_tenant": ["ENABLE", "FORCE", "policy"]}


def test_migrate_refuses_to_finish_when_a_tenant_owned_table_lacks_its_policy(monkeypatch):
    monkeypatch.setattr(
        "portage.tenancy.tenant_owned_models", lambda: [*tenant_owned_models(), Tenant]
    )
    with pytest.raises(ImproperlyConfigured, match="portage_tenant lacks ENABLE, FORCE"):
        secure_tenant_tables(sender=None, using=connection.alias)


def test_a_new_tenant_owned_model_carries_its_policy_into_its_migration():
    with isolate_apps("portage"):

        class Mission(TenantOwned):
            reference = models.CharField(max_length=20)

            class Meta:
                app_label = "portage"
                constraints = [
                    models.UniqueConstraint(fields=["tenant", "reference"], name="mission_ref")
                ]

        state = ModelState.from_model(Mission)
    policies = [c for c in state.options["constraints"] if isinstance(c, TenantIsolationPolicy)]
    assert [p.name for p in policies] == ["portage_mission_tenant_isolation"]


def test_the_policy_sql_compares_the_tenant_with_the_transaction_setting():
    policy = next(c for c in AuditEntry._meta.constraints if isinstance(c, TenantIsolationPolicy))
    with connection.schema_editor(collect_sql=True) as editor:
        sql = policy.create_sql(AuditEntry, editor)
    assert "ENABLE ROW LEVEL SECURITY" in sql
    assert "FORCE ROW LEVEL SECURITY" in sql
    assert 'USING ("tenant_id" = portage_current_tenant())' in sql
    assert 'WITH CHECK ("tenant_id" = portage_current_tenant())' in sql


def test_a_unique_constraint_without_the_tenant_is_a_system_check_error():
    with isolate_apps("portage"):

        class Client(TenantOwned):
            siren = models.CharField(max_length=9, unique=True)
            name = models.CharField(max_length=20)

            class Meta:
                app_label = "portage"
                constraints = [models.UniqueConstraint(fields=["name"], name="client_name")]

        errors = unique_constraint_errors([Client])
    assert [e.id for e in errors] == ["portage.E001", "portage.E003"]


def test_the_project_has_no_unique_constraint_without_the_tenant():
    assert unique_constraint_errors(tenant_owned_models()) == []
