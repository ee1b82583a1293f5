from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from consultants import services
from consultants.forms import AdjustmentForm, ConsultantCreateForm, ConsultantEditForm, PayOutForm
from consultants.models import Consultant
from consultants.selectors import consultant_of, consultants_with_balance, ledger_of
from consultants.signals import portal_invoices
from invoices.models import Invoice
from invoices.pay import pay_schedule, payment_notices, portal_pay_facts, waiting_invoices
from invoices.selectors import pay_status, pay_totals
from portage.batch import paris_today
from portage.permissions import Perm, has_perm, permission_required
from portage.signals import HomePanel


@permission_required(Perm.VIEW_CONSULTANTS)
def consultant_list(request):
    consultants = consultants_with_balance(tenant=request.tenant).order_by(
        "status", "user__full_name"
    )
    return render(
        request,
        "consultants/consultant_list.html",
        {
            "page": Paginator(consultants, 50).get_page(request.GET.get("page")),
            "can_manage": has_perm(request.membership, Perm.MANAGE_CONSULTANTS),
        },
    )


@permission_required(Perm.MANAGE_CONSULTANTS)
def consultant_create(request):
    form = ConsultantCreateForm(request.POST or None, initial={"start_date": paris_today()})
    if request.method == "POST" and form.is_valid():
        try:
            consultant = services.consultant_create(
                tenant=request.tenant, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error("email", error)
        else:
            messages.success(request, _("The consultant has been added and invited."))
            return redirect("consultant_detail", pk=consultant.pk)
    return render(request, "consultants/consultant_form.html", {"form": form})


@permission_required(Perm.VIEW_CONSULTANTS)
def consultant_detail(request, pk):
    consultant = get_object_or_404(Consultant.objects.select_related("user"), pk=pk)
    can_manage = has_perm(request.membership, Perm.MANAGE_CONSULTANTS)
    edit_form = ConsultantEditForm(instance=consultant)
    pay_out_form = PayOutForm(initial={"booked_on": paris_today()})
    adjustment_form = AdjustmentForm(initial={"booked_on": paris_today()})
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        action = request.POST.get("action")
        form = {"edit": ConsultantEditForm, "pay_out": PayOutForm, "adjust": AdjustmentForm}.get(
            action
        )
        if form is None:
            messages.error(request, _("Unknown action."))
            return redirect("consultant_detail", pk=pk)
        bound = form(request.POST, instance=consultant) if action == "edit" else form(request.POST)
        if bound.is_valid():
            try:
                _apply(action, consultant, bound.cleaned_data, request.user)
            except ValidationError as error:
                bound.add_error(None, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("consultant_detail", pk=pk)
        edit_form, pay_out_form, adjustment_form = (
            bound if action == "edit" else edit_form,
            bound if action == "pay_out" else pay_out_form,
            bound if action == "adjust" else adjustment_form,
        )
    status = pay_status(consultant=consultant)
    return render(
        request,
        "consultants/consultant_detail.html",
        {
            "consultant": consultant,
            "status": status,
            "rows": pay_rows_page(request, status),
            "ledger": ledger_of(consultant=consultant)[:100],
            "can_manage": can_manage,
            "edit_form": edit_form,
            "pay_out_form": pay_out_form,
            "adjustment_form": adjustment_form,
        },
    )


# Invoices per page of the "invoice by invoice" table (its totals are over all of them).
PAY_ROWS_PER_PAGE = 50


def pay_rows_page(request, status):
    """The page of the pay status's invoice rows the request asks for."""
    return Paginator(status.rows, PAY_ROWS_PER_PAGE).get_page(request.GET.get("page"))


def _apply(action, consultant, data, user):
    if action == "edit":
        services.consultant_update(consultant=consultant, by=user, **data)
    elif action == "pay_out":
        services.pay_out_record(consultant=consultant, by=user, **data)
    else:
        services.ledger_adjust(consultant=consultant, by=user, **data)


def portal_home_panels(sender, request, **kwargs):
    """The consultant's part of their home (answers `home_panels`): where their pay stands,
    then their invoices, on which the apps above set what they know (`portal_invoices`)."""
    consultant = consultant_of(user=request.user, tenant=request.tenant)
    if consultant is None:
        return [HomePanel(order=10, template="consultants/home/no_profile.html")]
    invoices = (
        Invoice.objects.filter(consultant=consultant, kind=Invoice.Kind.INVOICE)
        .exclude(status=Invoice.Status.DRAFT)
        .select_related("client")
        .order_by("-issue_date", "-id")
    )
    page = Paginator(invoices, 25).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    today = paris_today()
    portal_pay_facts(consultant=consultant, invoices=page.object_list, today=today)
    portal_invoices.send(
        sender=Consultant, consultant=consultant, invoices=page.object_list, today=today
    )
    context = {
        "consultant": consultant,
        "status": pay_totals(consultant=consultant),
        "page": page,
        "today": today,
    }
    return [
        HomePanel(order=10, template="consultants/home/summary.html", context=context),
        HomePanel(order=30, template="consultants/home/invoices.html", context=context),
    ]


@permission_required(Perm.PORTAL)
def portal_pay(request):
    consultant = consultant_of(user=request.user, tenant=request.tenant)
    if consultant is None:
        return render(request, "consultants/portal_no_profile.html")
    today = paris_today()
    status = pay_status(consultant=consultant)
    schedule = pay_schedule(consultant=consultant, status=status, today=today)
    portal_invoices.send(
        sender=Consultant,
        consultant=consultant,
        invoices=waiting_invoices(schedule),
        today=today,
    )
    return render(
        request,
        "consultants/portal_pay.html",
        {
            "consultant": consultant,
            "tenant": request.tenant,
            "status": status,
            "rows": pay_rows_page(request, status),
            "schedule": schedule,
            "notices": payment_notices(consultant=consultant)[:100],
            "ledger": ledger_of(consultant=consultant)[:200],
            "today": today,
        },
    )
