from django.contrib import admin

from invoices.models import (
    Allocation,
    BankLine,
    BankStatement,
    Client,
    Invoice,
    InvoiceLine,
    Mission,
    NumberCounter,
    Payment,
)
from portage.admin import PlatformReadOnlyAdmin


@admin.register(Client)
class ClientAdmin(PlatformReadOnlyAdmin):
    list_display = ["legal_name", "tenant", "siren", "category", "city"]
    list_filter = ["tenant", "category"]
    search_fields = ["legal_name", "siren"]


@admin.register(Mission)
class MissionAdmin(PlatformReadOnlyAdmin):
    list_display = ["title", "tenant", "client", "consultant", "start_date", "daily_rate"]
    list_select_related = ["tenant", "client", "consultant__user"]


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    fields = ["description", "quantity", "unit", "unit_price", "vat_rate", "total_ht"]
    readonly_fields = fields
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return InvoiceLine.objects.with_scopes_disabled().all()


@admin.register(Invoice)
class InvoiceAdmin(PlatformReadOnlyAdmin):
    list_display = [
        "number",
        "tenant",
        "kind",
        "status",
        "client",
        "issue_date",
        "due_date",
        "total_ttc",
        "paid_amount",
    ]
    list_filter = ["tenant", "kind", "status"]
    search_fields = ["number", "client__legal_name"]
    list_select_related = ["tenant", "client"]
    date_hierarchy = "issue_date"


@admin.register(Payment)
class PaymentAdmin(PlatformReadOnlyAdmin):
    list_display = ["received_on", "tenant", "client", "amount", "method", "status"]
    list_filter = ["tenant", "status", "method"]
    list_select_related = ["tenant", "client"]


@admin.register(Allocation)
class AllocationAdmin(PlatformReadOnlyAdmin):
    list_display = ["invoice", "payment", "tenant", "amount", "is_active"]
    list_select_related = ["tenant", "invoice", "payment"]


@admin.register(BankStatement)
class BankStatementAdmin(PlatformReadOnlyAdmin):
    list_display = ["filename", "tenant", "format", "statement_id", "imported_at"]


@admin.register(BankLine)
class BankLineAdmin(PlatformReadOnlyAdmin):
    list_display = ["booking_date", "tenant", "amount", "counterparty", "status"]
    list_filter = ["tenant", "status"]


@admin.register(NumberCounter)
class NumberCounterAdmin(PlatformReadOnlyAdmin):
    list_display = ["tenant", "kind", "prefix", "year", "last_number", "last_issue_date"]
