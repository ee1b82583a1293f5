"""Accounting pages: the FEC export of a period, and the admin's chart of accounts."""

from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounting.fec import fec_bytes, fec_filename
from accounting.forms import ChartForm, PeriodForm
from accounting.selectors import account_balances, chart_of_accounts, journal_entries
from accounting.services import CHART_FIELDS, chart_update
from portage.batch import paris_today
from portage.forms import add_service_error
from portage.money import ZERO
from portage.permissions import Perm, has_perm, permission_required


def fec_attachment(*, tenant, date_to, entries):
    response = HttpResponse(fec_bytes(entries), content_type="text/plain; charset=iso-8859-15")
    name = fec_filename(siren=tenant.siren, closing_date=date_to)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _journals(entries):
    totals = defaultdict(lambda: {"label": "", "count": 0, "debit": ZERO, "credit": ZERO})
    for entry in entries:
        row = totals[entry.journal]
        row["label"] = entry.journal_label
        row["count"] += 1
        row["debit"] += entry.debit
        row["credit"] += entry.credit
    return [{"code": code, **row} for code, row in sorted(totals.items())]


def _accounts(entries):
    balances = defaultdict(lambda: ZERO)
    for (account, _aux), balance in account_balances(entries).items():
        balances[account] += balance
    return [
        {"account": account, "balance": balance} for account, balance in sorted(balances.items())
    ]


@permission_required(Perm.VIEW_INVOICES)
def fec_export(request):
    """The period's entries summed by journal and account, and the FEC to download."""
    asked = "date_from" in request.GET or "date_to" in request.GET
    form = PeriodForm(request.GET if asked else None, initial=PeriodForm.initial_for(paris_today()))
    context = {"form": form, "can_edit_chart": has_perm(request.membership, Perm.MANAGE_COMPANY)}
    if asked and form.is_valid():
        period = form.cleaned_data
        try:
            entries = journal_entries(
                tenant=request.tenant, date_from=period["date_from"], date_to=period["date_to"]
            )
            if "download" in request.GET:
                return fec_attachment(
                    tenant=request.tenant, date_to=period["date_to"], entries=entries
                )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            context.update(
                shown=True,
                entries_count=len(entries),
                journals=_journals(entries),
                accounts=_accounts(entries),
                total_debit=sum((e.debit for e in entries), ZERO),
                total_credit=sum((e.credit for e in entries), ZERO),
                filename=fec_filename(siren=request.tenant.siren, closing_date=period["date_to"]),
                query=request.GET.urlencode(),
            )
    return render(request, "accounting/fec_export.html", context)


@permission_required(Perm.MANAGE_COMPANY)
def chart_edit(request):
    chart = chart_of_accounts(tenant=request.tenant)
    form = ChartForm(request.POST or None, instance=chart)
    if request.method == "POST" and form.is_valid():
        try:
            chart_update(
                tenant=request.tenant,
                by=request.user,
                **{name: form.cleaned_data[name] for name in CHART_FIELDS},
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The chart of accounts has been saved."))
            return redirect("accounting_fec_export")
    return render(request, "accounting/chart_form.html", {"form": form})
