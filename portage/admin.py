"""The Django admin is the platform operators' tool (`is_staff`): it sees every tenant.

Tenant-owned rows are read through `all_tenants()` (the `platform` role, both tenancy locks
lifted on purpose) and are read-only here: a company's own data changes through its pages
and services, where each change is audited.
"""

from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from portage import services
from portage.forms import COMPANY_FIELDS, AmountField
from portage.models import AuditEntry, BatchRun, Membership, Tenant, User
from portage.tenancy import all_tenants, tenant_context


class PlatformReadOnlyAdmin(admin.ModelAdmin):
    """A tenant-owned model's rows, read-only: the active company's when the operator works
    in one (both tenancy locks apply), else every company's, through the platform role."""

    list_select_related = ["tenant"]
    list_filter = ["tenant"]

    def get_queryset(self, request):
        if request.tenant is not None:
            queryset = self.model.objects.all()
        else:
            queryset = all_tenants(self.model)
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TenantAddForm(forms.ModelForm):
    admin_name = forms.CharField(label=_("First administrator's name"), max_length=150)
    admin_email = forms.EmailField(
        label=_("First administrator's email"),
        help_text=_("They receive an invitation to choose a password."),
    )

    class Meta:
        model = Tenant
        fields = ["slug", *COMPANY_FIELDS, "time_zone", "currency"]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "slug", "siren", "city", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["legal_name", "slug", "siren"]
    prepopulated_fields = {"slug": ["legal_name"]}
    readonly_fields = ["created_at"]
    # The share capital and the penalty rate typed as on the company's page ("50 000,00").
    formfield_overrides = {models.DecimalField: {"form_class": AmountField}}

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:  # raised by a service after the form was valid
            transaction.set_rollback(True)
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = TenantAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (None, {"fields": ["legal_name", "slug", "siren", "vat_number"]}),
                (_("First administrator"), {"fields": ["admin_name", "admin_email"]}),
            ]
        return super().get_fieldsets(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            identity = dict(form.cleaned_data)
            created = services.tenant_create(
                by=request.user,
                admin_email=identity.pop("admin_email"),
                admin_name=identity.pop("admin_name"),
                **identity,
            )
            # The admin goes on to log and redirect to this object.
            obj.pk = created.pk
            obj._state.adding = False
            return
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        tenant = Tenant.objects.get(pk=obj.pk)
        with tenant_context(tenant):
            services.tenant_update(tenant=tenant, by=request.user, **changes)

    def has_delete_permission(self, request, obj=None):
        return False  # a company is deactivated, never deleted


@admin.register(Membership)
class MembershipAdmin(PlatformReadOnlyAdmin):
    list_display = ["user", "tenant", "role", "is_active", "created_at"]
    list_filter = ["role", "is_active", "tenant"]
    search_fields = ["user__email", "user__full_name"]
    list_select_related = ["tenant", "user"]


@admin.register(AuditEntry)
class AuditEntryAdmin(PlatformReadOnlyAdmin):
    list_display = ["created_at", "tenant", "actor_label", "action_label", "object_repr"]
    list_filter = ["tenant", "action"]
    search_fields = ["object_repr", "actor_label"]
    date_hierarchy = "created_at"

    @admin.display(description=_("what"))
    def action_label(self, entry):
        return entry.action_label


@admin.register(BatchRun)
class BatchRunAdmin(PlatformReadOnlyAdmin):
    list_display = ["run_date", "job", "tenant", "status", "attempts", "finished_at"]
    list_filter = ["status", "job", "tenant"]
    date_hierarchy = "run_date"


class UserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "full_name"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["full_name"]}),
        (_("Platform"), {"fields": ["is_active", "is_staff", "is_superuser"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]})
    ]

    def has_delete_permission(self, request, obj=None):
        return False  # users are deactivated: their actions stay attributed in the audit log


# allauth's Authenticator has no verbose name: the admin would show "Authenticators" in any
# language. Set on the options, not in a Meta, so that no migration of allauth follows.
Authenticator._meta.verbose_name = _("authenticator")
Authenticator._meta.verbose_name_plural = _("authenticators")

admin.site.site_header = _("Portage platform administration")
admin.site.site_title = _("Portage platform")
