from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _email_verified_by_password_reset(sender, request, user, **kwargs):
    from portage.services import email_verified_by_password_reset

    email_verified_by_password_reset(user=user)


def secure_tenant_tables(sender, using, **kwargs):
    """After every migration: grant the application roles their privileges, and refuse to
    finish while a tenant-owned table lacks row-level security."""
    from portage.db import connected_as_owner, grant_application_privileges
    from portage.rls import missing_policies
    from portage.tenancy import tenant_owned_models

    if connected_as_owner():
        grant_application_privileges(connections[using])
    problems = missing_policies(tenant_owned_models(), using=using)
    if problems:
        details = "; ".join(f"{table} lacks {', '.join(what)}" for table, what in problems.items())
        raise ImproperlyConfigured(
            f"Tenant-owned tables without row-level security: {details}. A migration that "
            "creates a tenant-owned table must keep its TenantIsolationPolicy constraint."
        )


class PortageConfig(AppConfig):
    name = "portage"
    verbose_name = _("Platform")

    def ready(self):
        from allauth.account.signals import password_reset
        from django.utils.module_loading import autodiscover_modules

        from portage import checks  # noqa: F401  (registers the checks)
        from portage.api import schema  # noqa: F401  (registers the schema's extensions)

        post_migrate.connect(secure_tenant_tables, sender=self)
        password_reset.connect(_email_verified_by_password_reset)
        # Daily jobs live in each app's `jobs` module (see portage.batch).
        autodiscover_modules("jobs")
