"""The aging balance (balance âgée) page, its chart and its CSV export."""

import csv

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from consultants.models import Consultant
from dunning.aging import BUCKETS, aging_balance, aging_csv_rows, dso
from invoices.models import Client
from portage.batch import paris_today
from portage.forms import FrenchDateField
from portage.permissions import Perm, permission_required

DSO_DAYS = 90
# From green (not due) to red (over 90 days), in the order of BUCKETS.
BUCKET_COLOURS = ("#1f7a4d", "#7ba428", "#d9a300", "#e06c00", "#b42318")


class AgingFilterForm(forms.Form):
    date = FrenchDateField(
        label=_("As of"),
        required=False,
        help_text=_("Empty for today."),
    )
    consultant = forms.ModelChoiceField(
        label=_("Consultant"),
        queryset=Consultant.objects.none(),
        required=False,
        empty_label=_("All"),
    )
    client = forms.ModelChoiceField(
        label=_("Client"), queryset=Client.objects.none(), required=False, empty_label=_("All")
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consultant"].queryset = (
            Consultant.objects.filter(tenant=tenant)
            .select_related("user")
            .order_by("user__full_name", "user__email")
        )
        self.fields["client"].queryset = Client.objects.filter(tenant=tenant)


def _filters(request):
    """The form and what it asks for; a field in error is left out (today, no filter)."""
    form = AgingFilterForm(request.GET or None, tenant=request.tenant)
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    today = cleaned.get("date") or paris_today()
    return form, today, {"consultant": cleaned.get("consultant"), "client": cleaned.get("client")}


# The chart's geometry, in SVG user units.
CHART_LABEL_WIDTH = 120
CHART_BAR_WIDTH = 380
CHART_ROW_HEIGHT = 40
CHART_BAR_HEIGHT = 26


def chart_bars(balance):
    """One horizontal bar per bucket, its length relative to the largest bucket."""
    largest = max(balance.totals.amounts) or 1
    bars = []
    for index, (bucket, amount, percent) in enumerate(balance.buckets):
        length = round(CHART_BAR_WIDTH * amount / largest)
        y = index * CHART_ROW_HEIGHT + 7
        bars.append(
            {
                "bucket": bucket,
                "amount": amount,
                "percent": percent,
                "colour": BUCKET_COLOURS[index],
                "x": CHART_LABEL_WIDTH,
                "y": y,
                "width": length,
                "height": CHART_BAR_HEIGHT,
                "text_y": y + CHART_BAR_HEIGHT // 2 + 5,
                "value_x": CHART_LABEL_WIDTH + length + 8,
            }
        )
    return bars


@permission_required(Perm.VIEW_COLLECTIONS)
def aging(request):
    form, today, filters = _filters(request)
    balance = aging_balance(today, **filters)
    return render(
        request,
        "dunning/aging.html",
        {
            "form": form,
            "today": today,
            "other_day": today != paris_today(),
            "balance": balance,
            "buckets": BUCKETS,
            # Each amount with its bucket's name, which a phone shows beside it.
            "rows": [(row, list(zip(BUCKETS, row.amounts, strict=True))) for row in balance.rows],
            "bars": chart_bars(balance),
            "chart_height": len(BUCKETS) * CHART_ROW_HEIGHT + 10,
            "dso": dso(today, DSO_DAYS, **filters),
            "dso_days": DSO_DAYS,
            "query": request.GET.urlencode(),
        },
    )


@permission_required(Perm.VIEW_COLLECTIONS)
def aging_csv(request):
    form, today, filters = _filters(request)
    if form.errors:
        return redirect(f"{reverse('dunning_aging')}?{request.GET.urlencode()}")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="balance-agee-{today.isoformat()}.csv"'
    # A byte order mark, so that Excel reads the file as UTF-8 (accents).
    response.write("\ufeff")
    csv.writer(response, delimiter=";").writerows(aging_csv_rows(today, **filters))
    return response
