"""The admin's pages of premiums (turnover declarations, year end) and blank tests (tests à
blanc: the limits each insurer would grant to a list of clients, side by side)."""

import csv
from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from insurance import rules
from insurance.forms_premiums import (
    BlankTestAnswersForm,
    BlankTestCreateForm,
    TurnoverDeclarationForm,
)
from insurance.models import BlankTest, InsurancePolicy, Insurer
from insurance.selectors import blank_tests as blank_test_selectors
from insurance.selectors import premiums as premium_selectors
from insurance.services import blank_test as blank_tests
from insurance.services import premiums as service
from portage.batch import paris_today
from portage.forms import add_service_error
from portage.money import ZERO
from portage.permissions import Perm, permission_required

PAGE_SIZE = 50


# Premiums


def _period_from(value):
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


@permission_required(Perm.MANAGE_COMPANY)
@require_http_methods(["GET", "POST"])
def premiums(request, pk):
    policy = get_object_or_404(InsurancePolicy.objects.select_related("insurer"), pk=pk)
    if policy.premium_model == InsurancePolicy.PremiumModel.FLAT:
        if request.method == "POST":
            messages.error(request, _("A flat premium policy has no turnover to declare."))
            return redirect("insurance_premiums", pk=pk)
        usage = premium_selectors.year_end(policy)
        return render(
            request,
            "insurance/premium_policy.html",
            {
                "policy": policy,
                "flat": True,
                "usage": usage,
                "turnover": premium_selectors.insurable_turnover(
                    policy, policy.starts_on, policy.ends_on
                ),
            },
        )
    today = paris_today()
    rows = premium_selectors.period_rows(policy, today=today)
    bound = None
    if request.method == "POST":
        start = _period_from(request.POST.get("period"))
        row = next((row for row in rows if row.start == start), None)
        if row is None:
            messages.error(request, _("This is not one of the policy's declaration periods."))
            return redirect("insurance_premiums", pk=pk)
        bound = TurnoverDeclarationForm(request.POST, prefix=f"period-{row.start.isoformat()}")
        if bound.is_valid():
            try:
                service.turnover_declare(
                    tenant=request.tenant,
                    policy=policy,
                    period_start=row.start,
                    actor=request.user,
                    turnover=bound.cleaned_data["insurable_turnover"],
                    declared_on=bound.cleaned_data["declared_on"],
                )
            except ValidationError as error:
                if not row.can_declare:
                    messages.error(request, " ".join(error.messages))
                    return redirect("insurance_premiums", pk=pk)
                add_service_error(bound, error)
            else:
                messages.success(
                    request,
                    _("The turnover from %(start)s to %(end)s has been declared.")
                    % {
                        "start": row.start.strftime("%d/%m/%Y"),
                        "end": row.end.strftime("%d/%m/%Y"),
                    },
                )
                return redirect("insurance_premiums", pk=pk)
        elif not row.can_declare:
            messages.error(request, _("This period cannot be declared now."))
            return redirect("insurance_premiums", pk=pk)
    for row in rows:
        if row.can_declare:
            if bound is not None and bound.prefix == f"period-{row.start.isoformat()}":
                row.form = bound
            else:
                row.form = TurnoverDeclarationForm(
                    prefix=f"period-{row.start.isoformat()}",
                    initial={"insurable_turnover": row.computed, "declared_on": today},
                )
    declared = [row.declaration for row in rows if row.declaration]
    declared_turnover = sum((d.insurable_turnover for d in declared), ZERO)
    regularisation = premium_selectors.year_end(policy)
    return render(
        request,
        "insurance/premium_policy.html",
        {
            "policy": policy,
            "flat": False,
            "rows": rows,
            "today": today,
            "declared_turnover": declared_turnover,
            "declared_premium": sum((d.premium for d in declared), ZERO),
            "year_premium": rules.turnover_premium(
                insurable_turnover=declared_turnover, rate_percent=policy.premium_rate
            ),
            "all_declared": len(declared) == len(rows),
            "regularisation": regularisation,
            "balance_abs": abs(regularisation.balance),
        },
    )


# Blank tests


@permission_required(Perm.MANAGE_COMPANY)
def blank_test_list(request):
    tests = (
        BlankTest.objects.select_related("created_by")
        .annotate(client_count=Count("clients"), exposure=Sum("clients__exposure"))
        .order_by("-created_at", "-id")
    )
    return render(
        request,
        "insurance/blank_test_list.html",
        {"page": Paginator(tests, PAGE_SIZE).get_page(request.GET.get("page"))},
    )


@permission_required(Perm.MANAGE_COMPANY)
def blank_test_create(request):
    form = BlankTestCreateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        from_csv = data["source"] == BlankTestCreateForm.Source.CSV
        try:
            if from_csv:
                test = blank_tests.blank_test_create_from_csv(
                    tenant=request.tenant,
                    actor=request.user,
                    name=data["name"],
                    content=data["file"].read(),
                )
            else:
                test = blank_tests.blank_test_create_from_clients(
                    tenant=request.tenant, actor=request.user, name=data["name"]
                )
        except ValidationError as error:
            if from_csv:
                form.add_error("file", error)
            else:
                add_service_error(form, error)
        else:
            messages.success(
                request,
                _("The blank test “%(name)s” has been created: enter each insurer's answers.")
                % {"name": test.name},
            )
            return redirect("insurance_blank_test", pk=test.pk)
    return render(
        request,
        "insurance/blank_test_form.html",
        {"form": form},
    )


@permission_required(Perm.MANAGE_COMPANY)
@require_http_methods(["GET", "POST"])
def blank_test_detail(request, pk):
    test = get_object_or_404(BlankTest.objects.select_related("created_by"), pk=pk)
    insurers = list(Insurer.objects.order_by("name"))
    comparison = blank_test_selectors.comparison(test, insurers)
    page_number = request.POST.get("page") if request.method == "POST" else None
    page = Paginator(comparison.rows, PAGE_SIZE).get_page(page_number or request.GET.get("page"))
    answers = {
        (row.client.pk, insurer.pk): (cell.limit, cell.grade)
        for row in page.object_list
        for insurer, cell in zip(insurers, row.cells, strict=True)
        if cell.limit is not None
    }
    form = BlankTestAnswersForm(
        request.POST if request.method == "POST" else None,
        clients=[row.client for row in page.object_list],
        insurers=insurers,
        answers=answers,
    )
    if request.method == "POST" and insurers and form.is_valid():
        try:
            blank_tests.answers_save(test=test, actor=request.user, answers=form.answers())
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The insurers' answers have been saved."))
            url = reverse("insurance_blank_test", args=[pk])
            return redirect(f"{url}?page={page.number}" if page.number > 1 else url)
    grid = [
        (row, list(zip(form.cells(row.client), row.cells, strict=True))) for row in page.object_list
    ]
    return render(
        request,
        "insurance/blank_test_detail.html",
        {
            "test": test,
            "comparison": comparison,
            "page": page,
            "form": form,
            "grid": grid,
        },
    )


@permission_required(Perm.MANAGE_COMPANY)
def blank_test_csv(request, pk):
    test = get_object_or_404(BlankTest, pk=pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = slugify(test.name) or "test"
    response["Content-Disposition"] = f'attachment; filename="test-a-blanc-{name}-{test.pk}.csv"'
    # A byte order mark, so that Excel reads the file as UTF-8 (accents).
    response.write("\ufeff")
    csv.writer(response, delimiter=";").writerows(blank_test_selectors.comparison_csv_rows(test))
    return response
