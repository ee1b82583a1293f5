"""System checks for the tenancy rules that a migration cannot enforce by itself."""

from django.core import checks
from django.db.models import F, UniqueConstraint

from portage.tenancy import tenant_owned_models


def _constraint_fields(constraint):
    if constraint.fields:
        return set(constraint.fields)
    names = set()
    for expression in constraint.expressions:
        names.update(node.name for node in expression.flatten() if isinstance(node, F))
    return names


@checks.register(checks.Tags.models)
def check_unique_constraints_include_tenant(app_configs=None, **kwargs):
    """Every unique constraint of a tenant-owned model includes the tenant, so that two
    tenants never collide and the schema can be sharded on the tenant."""
    return unique_constraint_errors(tenant_owned_models())


def unique_constraint_errors(models):
    errors = []
    for model in models:
        label = model._meta.label
        for field in model._meta.local_fields:
            if field.unique and not field.primary_key:
                errors.append(
                    checks.Error(
                        f"{label}.{field.name} is unique across tenants.",
                        hint="Use a UniqueConstraint on (tenant, field) instead of unique=True.",
                        obj=model,
                        id="portage.E001",
                    )
                )
        for field in model._meta.local_many_to_many:
            if field.remote_field.through._meta.auto_created:
                errors.append(
                    checks.Error(
                        f"{label}.{field.name} stores tenant data in a table without a tenant.",
                        hint="Use an explicit through model inheriting TenantOwned.",
                        obj=model,
                        id="portage.E004",
                    )
                )
        for fields in model._meta.unique_together:
            if "tenant" not in fields:
                errors.append(
                    checks.Error(
                        f"{label} unique_together {fields} does not include the tenant.",
                        obj=model,
                        id="portage.E002",
                    )
                )
        for constraint in model._meta.constraints:
            if isinstance(constraint, UniqueConstraint) and "tenant" not in _constraint_fields(
                constraint
            ):
                errors.append(
                    checks.Error(
                        f"{label} constraint {constraint.name} does not include the tenant.",
                        obj=model,
                        id="portage.E003",
                    )
                )
    return errors
