"""The admin's pages of the ladder: dunning policies and their steps, a client's policy and
language (for collectors too), and the half-year reference rates."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dunning import penalties, selectors
from dunning.forms import ClientSettingsForm, PolicyForm, RateForm, RateFormSet, StepFormSet
from dunning.models import Policy, RateSemester, StepKind
from dunning.services import policies as service
from dunning.services.defaults import tenant_defaults_ensure
from invoices.models import Client
from portage.batch import paris_today
from portage.forms import add_service_error
from portage.permissions import Perm, has_perm, permission_required
from portage.signals import HomePanel

STEP_SHORT = {
    StepKind.CONSULTANT_REMINDER: gettext_lazy("consultant"),
    StepKind.FIRST_REMINDER: gettext_lazy("1st reminder"),
    StepKind.SECOND_REMINDER: gettext_lazy("2nd reminder"),
    StepKind.FORMAL_NOTICE: gettext_lazy("formal notice"),
    StepKind.LITIGATION: gettext_lazy("litigation"),
}


# Policies


@permission_required(Perm.MANAGE_DUNNING_POLICY)
def policy_list(request):
    tenant_defaults_ensure(request.tenant)
    if request.method == "POST":
        pk = request.POST.get("policy", "")
        policy = get_object_or_404(Policy, pk=int(pk) if pk.isdigit() else 0)
        action = request.POST.get("action")
        try:
            if action == "make_default":
                service.policy_make_default(policy=policy, actor=request.user)
                messages.success(
                    request, _("“%(name)s” is now the default policy.") % {"name": policy.name}
                )
            elif action == "delete":
                service.policy_delete(policy=policy, actor=request.user)
                messages.success(
                    request, _("The policy “%(name)s” has been deleted.") % {"name": policy.name}
                )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("dunning_policy_list")
    policies = service.policies_with_usage()
    for policy in policies:
        policy.summary = " · ".join(
            f"{step.due_offset_label} {STEP_SHORT[step.kind]}" for step in policy.steps.all()
        )
    deleting = None
    if request.GET.get("delete", "").isdigit():
        deleting = next(
            (policy for policy in policies if policy.pk == int(request.GET["delete"])), None
        )
    return render(request, "dunning/policy_list.html", {"policies": policies, "deleting": deleting})


def _step_rows(policy):
    return [
        {"id": step.pk, **model_to_dict(step, fields=service.STEP_FIELDS)}
        for step in policy.steps.order_by("position")
    ]


def _policy_forms(request, policy):
    """The policy form and its steps. A new policy starts as a copy of the default ladder.
    "Add a step" posts the page back with one more blank row, saving nothing."""
    if policy is None:
        default = Policy.objects.filter(is_default=True).first()
        initial = {"is_default": False, "notice_deadline_days": 8}
        steps = [{**row, "id": None} for row in _step_rows(default)] if default else []
    else:
        initial = model_to_dict(policy, fields=[*service.POLICY_FIELDS, "is_default"])
        steps = _step_rows(policy)
    data = None
    if request.method == "POST":
        data = request.POST
        if "add_step" in data:
            data = data.copy()
            total = data.get("steps-TOTAL_FORMS", "0")
            data["steps-TOTAL_FORMS"] = str(int(total) + 1 if total.isdigit() else 1)
    form = PolicyForm(data, initial=initial, is_default=bool(policy and policy.is_default))
    formset = StepFormSet(data, initial=steps, prefix="steps")
    return form, formset


def _policy_page(request, policy):
    form, formset = _policy_forms(request, policy)
    saving = request.method == "POST" and "add_step" not in request.POST
    if saving and form.is_valid() and formset.is_valid():
        try:
            if policy is None:
                policy = service.policy_create(
                    tenant=request.tenant,
                    actor=request.user,
                    data=form.policy_data(),
                    steps=formset.steps(),
                )
            else:
                service.policy_update(
                    policy=policy,
                    actor=request.user,
                    data=form.policy_data(),
                    steps=formset.steps(),
                )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("The policy “%(name)s” has been saved.") % {"name": form.cleaned_data["name"]},
            )
            return redirect("dunning_policy_list")
    performed = set(
        policy.steps.filter(actions__isnull=False).values_list("pk", flat=True) if policy else []
    )
    return render(
        request,
        "dunning/policy_form.html",
        {
            "form": form,
            "formset": formset,
            "policy": policy,
            "performed": performed,
            "placeholders": service.placeholders_help(),
        },
    )


@permission_required(Perm.MANAGE_DUNNING_POLICY)
def policy_create(request):
    return _policy_page(request, None)


@permission_required(Perm.MANAGE_DUNNING_POLICY)
def policy_edit(request, pk):
    return _policy_page(request, get_object_or_404(Policy, pk=pk))


# A client's dunning settings


@permission_required(Perm.MANAGE_COLLECTIONS)
def client_settings(request, pk):
    client = get_object_or_404(Client, pk=pk)
    current = service.client_settings_of(client)
    form = ClientSettingsForm(
        request.POST or None,
        default_policy=Policy.objects.filter(is_default=True).first(),
        initial={
            "policy": current.policy if current else None,
            "language": current.language if current else "fr",
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            service.client_settings_set(
                tenant=request.tenant,
                client=client,
                actor=request.user,
                policy=form.cleaned_data["policy"],
                language=form.cleaned_data["language"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The client's dunning settings have been saved."))
            return redirect("dunning_client", pk=client.pk)
    return render(request, "dunning/client_settings.html", {"client": client, "form": form})


# Reference rates


@permission_required(Perm.MANAGE_DUNNING_POLICY)
def rates(request):
    tenant_defaults_ensure(request.tenant)
    rows = list(RateSemester.objects.order_by("-year", "-half"))
    initial = [
        {"year": row.year, "half": row.half, "ecb_rate": row.ecb_rate, "legal_rate": row.legal_rate}
        for row in rows
    ]
    posted = request.POST if request.method == "POST" else None
    adding = posted is not None and "add" in posted
    formset = RateFormSet(None if adding else posted, initial=initial, prefix="rates")
    today = paris_today()
    current = penalties.HalfYear.of(today)
    year, half = current.year, current.half
    add_form = RateForm(
        posted if adding else None, prefix="new", initial={"year": year, "half": half}
    )
    form = add_form if adding else formset
    if posted is not None and form.is_valid():
        new_rows = [add_form.row()] if adding else formset.rows()
        try:
            service.rates_save(tenant=request.tenant, actor=request.user, rows=new_rows)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The reference rates have been saved."))
            return redirect("dunning_rates")
    for row_form in formset.forms:
        if row_form.initial:
            ecb_rate, legal_rate = row_form.initial["ecb_rate"], row_form.initial["legal_rate"]
            row_form.applied = ecb_rate + penalties.ECB_MARGIN if ecb_rate is not None else None
            row_form.floor = (
                penalties.contract_rate_floor(legal_rate) if legal_rate is not None else None
            )
    return render(
        request,
        "dunning/rates.html",
        {
            "formset": formset,
            "add_form": add_form,
            "current": current,
            "current_label": selectors.half_year_label(current),
            "current_missing": [
                selectors.missing_rate_label(rate)
                for rate in selectors.rates_absent([current], penalties.ECB)
                + selectors.rates_absent([current], penalties.LEGAL)
            ],
            "contract_rate": request.tenant.late_penalty_rate,
            "margin": penalties.ECB_MARGIN,
            "floor_factor": penalties.LEGAL_RATE_FLOOR_FACTOR,
        },
    )


# The homes


def home_notices(sender, request, **kwargs):
    """What the reference rates need, on the admin's and the collector's homes (answers
    `home_panels`, see `rate_notices`)."""
    notices = selectors.rate_notices(
        tenant=request.tenant,
        today=paris_today(),
        can_enter=has_perm(request.membership, Perm.MANAGE_DUNNING_POLICY),
    )
    if not notices:
        return []
    return [HomePanel(order=10, template="includes/notices.html", context={"notices": notices})]
