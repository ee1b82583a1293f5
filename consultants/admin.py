from django.contrib import admin

from consultants.models import Consultant, LedgerEntry
from portage.admin import PlatformReadOnlyAdmin


@admin.register(Consultant)
class ConsultantAdmin(PlatformReadOnlyAdmin):
    list_display = ["user", "tenant", "fee_rate", "status", "start_date"]
    list_filter = ["tenant", "status"]
    search_fields = ["user__email", "user__full_name"]
    list_select_related = ["tenant", "user"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(PlatformReadOnlyAdmin):
    list_display = ["booked_on", "tenant", "consultant", "kind", "amount", "reference"]
    list_filter = ["tenant", "kind"]
    search_fields = ["reference", "label"]
    list_select_related = ["tenant", "consultant__user"]
    date_hierarchy = "booked_on"
