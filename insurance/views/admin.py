"""Credit insurance pages: the admin's insurers and policies, and clients' credit limits
(agréments) for collectors."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from insurance.forms_admin import (
    POLICY_GROUPS,
    InsurerForm,
    LimitDecisionForm,
    LimitRequestForm,
    PolicyForm,
)
from insurance.models import CreditLimit, InsurancePolicy, Insurer
from insurance.selectors import insurance_years_use, policy_in_force
from insurance.selectors import limits as limit_selectors
from insurance.services import limits as limit_services
from insurance.services import policies as policy_services
from invoices.models import Client
from portage.batch import paris_today
from portage.forms import add_service_error
from portage.permissions import Perm, has_perm, permission_required

CLIENTS_PER_PAGE = 50

# The badge tone of each state of a limit.
LIMIT_TONES = {
    CreditLimit.Status.REQUESTED: "neutral",
    CreditLimit.Status.GRANTED: "ok",
    CreditLimit.Status.PARTIAL: "warn",
    CreditLimit.Status.REFUSED: "danger",
    CreditLimit.Status.REDUCED: "warn",
    CreditLimit.Status.CANCELLED: "danger",
}
PERCENT_TERMS = {"premium_rate", "covered_share"}


# Insurers


@permission_required(Perm.MANAGE_COMPANY)
def insurer_list(request):
    insurers = Insurer.objects.annotate(policy_count=Count("policies")).order_by("name")
    return render(request, "insurance/insurer_list.html", {"insurers": insurers})


def _insurer_page(request, insurer):
    # The form changes the instance in memory: the page's title keeps the stored name.
    title = insurer.name if insurer else None
    form = InsurerForm(request.POST or None, instance=insurer)
    if request.method == "POST" and form.is_valid():
        try:
            if insurer is None:
                saved = policy_services.insurer_create(
                    tenant=request.tenant,
                    actor=request.user,
                    data=form.insurer_data(),
                    credentials=form.credentials(),
                )
            else:
                saved = policy_services.insurer_update(
                    insurer=insurer,
                    actor=request.user,
                    data=form.insurer_data(),
                    credentials=form.credentials(),
                )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request, _("The insurer “%(name)s” has been saved.") % {"name": saved.name}
            )
            return redirect("insurance_insurer_list")
    return render(
        request, "insurance/insurer_form.html", {"form": form, "insurer": insurer, "title": title}
    )


@permission_required(Perm.MANAGE_COMPANY)
def insurer_create(request):
    return _insurer_page(request, None)


@permission_required(Perm.MANAGE_COMPANY)
def insurer_edit(request, pk):
    return _insurer_page(request, get_object_or_404(Insurer, pk=pk))


# Policies


@permission_required(Perm.VIEW_COLLECTIONS)
def policy_list(request):
    today = paris_today()
    current = policy_in_force(today)
    policies = InsurancePolicy.objects.select_related("insurer").order_by("-starts_on")
    return render(
        request,
        "insurance/policy_list.html",
        {
            "policies": policies,
            "current": current,
            "today": today,
            "can_manage": has_perm(request.membership, Perm.MANAGE_COMPANY),
            "has_insurer": Insurer.objects.exists(),
        },
    )


def _term(policy, name):
    """One term of the policy as the detail page shows it: label, value, help text, and
    how to print the value."""
    field = InsurancePolicy._meta.get_field(name)
    value = getattr(policy, name)
    kind = "text"
    if name == "excluded_categories":
        labels = dict(Client.Category.choices)
        value = [labels.get(category, category) for category in value]
        kind = "list"
    elif name == "excluded_countries":
        kind = "list"
    elif field.choices:
        value = getattr(policy, f"get_{name}_display")()
    elif name in PERCENT_TERMS:
        kind = "percent"
    elif field.get_internal_type() == "DecimalField":
        kind = "money"
    elif field.get_internal_type() == "PositiveSmallIntegerField":
        kind = "days"
    elif field.get_internal_type() == "BooleanField":
        kind = "bool"
    elif field.get_internal_type() == "DateField":
        kind = "date"
    return {
        "label": field.verbose_name,
        "value": value,
        "kind": kind,
        "help": field.help_text,
    }


@permission_required(Perm.VIEW_COLLECTIONS)
def policy_detail(request, pk):
    policy = get_object_or_404(InsurancePolicy.objects.select_related("insurer"), pk=pk)
    today = paris_today()
    groups = [
        (title, [_term(policy, name) for name in names if name != "insurer"])
        for title, names in POLICY_GROUPS
    ]
    years = insurance_years_use(policy)
    return render(
        request,
        "insurance/policy_detail.html",
        {
            "policy": policy,
            "groups": groups,
            "in_force": policy.starts_on <= today <= policy.ends_on,
            "today": today,
            "years": years,
            "current_year": next((year for year in years if year.holds(today)), None),
            "limit_count": policy.limits.exclude(status=CreditLimit.Status.REQUESTED).count(),
            "can_manage": has_perm(request.membership, Perm.MANAGE_COMPANY),
        },
    )


def _policy_page(request, policy):
    # The form changes the instance in memory: the page's title keeps the stored number.
    title = str(policy) if policy else None
    form = PolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        try:
            if policy is None:
                policy = policy_services.policy_create(
                    tenant=request.tenant, actor=request.user, data=form.policy_data()
                )
            else:
                policy = policy_services.policy_update(
                    policy=policy, actor=request.user, data=form.policy_data()
                )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request, _("The policy %(number)s has been saved.") % {"number": policy.number}
            )
            return redirect("insurance_policy_detail", pk=policy.pk)
    return render(
        request,
        "insurance/policy_form.html",
        {
            "form": form,
            "policy": policy,
            "title": title,
            "has_insurer": Insurer.objects.exists(),
        },
    )


@permission_required(Perm.MANAGE_COMPANY)
def policy_create(request):
    return _policy_page(request, None)


@permission_required(Perm.MANAGE_COMPANY)
def policy_edit(request, pk):
    return _policy_page(
        request, get_object_or_404(InsurancePolicy.objects.select_related("insurer"), pk=pk)
    )


# Credit limits


@permission_required(Perm.VIEW_COLLECTIONS)
def limit_list(request):
    today = paris_today()
    policy, rows = limit_selectors.limits_overview(today)
    over = [row for row in rows if row["over_limit"]]
    only_over = request.GET.get("over") == "1"
    shown = over if only_over else rows
    for row in shown:
        if row["decision"] is not None:
            row["tone"] = LIMIT_TONES[row["decision"].status]
    return render(
        request,
        "insurance/limit_list.html",
        {
            "policy": policy,
            "today": today,
            "page": Paginator(shown, CLIENTS_PER_PAGE).get_page(request.GET.get("page")),
            "only_over": only_over,
            "over_count": len(over),
            "limited_count": sum(1 for row in rows if row["limit"] is not None),
            "total_limits": sum((row["limit"] for row in rows if row["limit"] is not None), 0),
        },
    )


def _client_limits_page(request, client, request_form=None, decision_form=None):
    today = paris_today()
    panel = limit_selectors.client_insurance_panel(client, today)
    policy = panel["policy"]
    history = limit_selectors.limit_history(client)
    for row in history:
        row.tone = LIMIT_TONES[row.status]
    pending = limit_selectors.pending_request(client, policy) if policy else None
    return render(
        request,
        "insurance/limit_client.html",
        {
            "client": client,
            "insurance": panel,
            "share_used": limit_selectors.share_used(panel["exposure"], panel["limit"]),
            "history": history,
            "pending": pending,
            "today": today,
            "has_policy": InsurancePolicy.objects.exists(),
            "can_manage": has_perm(request.membership, Perm.MANAGE_COLLECTIONS),
            "request_form": request_form or LimitRequestForm(policy=policy, prefix="request"),
            "decision_form": decision_form
            or LimitDecisionForm(
                policy=policy,
                prefix="decision",
                initial={
                    "decided_on": today,
                    "amount": pending.requested_amount if pending else None,
                    "grade_scale": next(
                        (row.grade_scale for row in history if row.grade),
                        CreditLimit.Scale.OTHER,
                    ),
                },
            ),
        },
    )


@permission_required(Perm.VIEW_COLLECTIONS)
def client_limits(request, pk):
    return _client_limits_page(request, get_object_or_404(Client, pk=pk))


@require_POST
@permission_required(Perm.MANAGE_COLLECTIONS)
def limit_request(request, pk):
    client = get_object_or_404(Client, pk=pk)
    form = LimitRequestForm(request.POST, prefix="request")
    if form.is_valid():
        try:
            limit_services.limit_request(
                tenant=request.tenant,
                client=client,
                policy=form.cleaned_data["policy"],
                amount=form.cleaned_data["amount"],
                actor=request.user,
                source=form.cleaned_data["source"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The request for a credit limit has been recorded."))
            return redirect("insurance_client_limits", pk=client.pk)
    return _client_limits_page(request, client, request_form=form)


@require_POST
@permission_required(Perm.MANAGE_COLLECTIONS)
def limit_decide(request, pk):
    client = get_object_or_404(Client, pk=pk)
    form = LimitDecisionForm(request.POST, prefix="decision")
    if form.is_valid():
        try:
            decision = limit_services.limit_decide(
                tenant=request.tenant,
                client=client,
                policy=form.cleaned_data["policy"],
                actor=request.user,
                **form.decision_data(),
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if decision.effective_from > decision.decided_on:
                messages.success(
                    request,
                    _(
                        "The insurer's decision has been recorded. It comes into force on "
                        "%(day)s, after the policy's notice: until then the old limit applies."
                    )
                    % {"day": decision.effective_from.strftime("%d/%m/%Y")},
                )
            else:
                messages.success(request, _("The insurer's decision has been recorded."))
            return redirect("insurance_client_limits", pk=client.pk)
    return _client_limits_page(request, client, decision_form=form)
