"""The collector's worklist, a client's collections timeline, and what can be done there."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from consultants.models import Consultant
from dunning import selectors
from dunning.forms_cases import (
    AcknowledgeForm,
    ConfirmForm,
    ContactForm,
    LitigationOpenForm,
    PauseForm,
    PlanForm,
    ResumeForm,
    WorklistFilterForm,
)
from dunning.models import ClientSettings, Letter, LitigationFile, Message, Pause, Policy
from dunning.services import cases as case_services
from dunning.services import letters
from dunning.signals import client_panels, invoice_facts
from invoices.models import Client, Invoice
from portage.batch import paris_today
from portage.permissions import Perm, has_perm, permission_required
from portage.signals import HomePanel
from portage.templatetags.portage import euros

CLIENTS_PER_PAGE = 25


@permission_required(Perm.VIEW_COLLECTIONS)
def worklist(request):
    today = paris_today()
    consultants = Consultant.objects.select_related("user").order_by("user__full_name")
    form = WorklistFilterForm(request.GET or None, consultants=consultants)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.worklist(
        today=today,
        consultant=filters.get("consultant"),
        state=filters.get("state", ""),
        step=filters.get("step", ""),
        minimum=filters.get("minimum"),
        query=filters.get("q", ""),
        sort=filters.get("sort") or "amount",
    )
    page = Paginator(rows, CLIENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "dunning/worklist.html",
        {
            "form": form,
            "page": page,
            "totals": selectors.worklist_totals(rows),
            "today": today,
            "filtered": bool(filters and any(filters.values())),
            "show_cover": invoice_facts.has_listeners(Invoice),
        },
    )


@permission_required(Perm.VIEW_COLLECTIONS)
def client_timeline(request, pk):
    client = get_object_or_404(Client, pk=pk)
    today = paris_today()
    invoices = selectors.client_ladder(client, today)
    settings = ClientSettings.objects.filter(client=client).select_related("policy").first()
    policy = (settings and settings.policy) or Policy.objects.filter(is_default=True).first()
    open_invoices = Invoice.objects.filter(pk__in=[invoice.pk for invoice in invoices]).order_by(
        "due_date"
    )
    return render(
        request,
        "dunning/client_timeline.html",
        {
            "client": client,
            "invoices": invoices,
            "total": sum((invoice.balance_due for invoice in invoices), 0),
            "events": selectors.client_timeline(client),
            "policy": policy,
            "language": settings.get_language_display() if settings else _("French"),
            "steps": selectors.steps_of(policy) if policy else [],
            "today": today,
            "can_manage": has_perm(request.membership, Perm.MANAGE_COLLECTIONS),
            "can_see_bank": has_perm(request.membership, Perm.IMPORT_BANK),
            "contact_form": ContactForm(initial={"happened_on": today}, invoices=open_invoices),
            "pause_form": PauseForm(),
            "plan_form": PlanForm(),
            "ack_form": AcknowledgeForm(initial={"acknowledged_on": today}),
            "litigation_form": LitigationOpenForm(),
            "pause_kinds": Pause.Kind,
            **_panels(client, today),
        },
    )


def _panels(client, today):
    context = {}
    for _receiver, answer in client_panels.send(sender=Client, client=client, day=today):
        context.update(answer)
    return context


def _refusal(request, error):
    for message in error.messages:
        messages.error(request, message)


ACTIONS = {"pause", "plan", "resume", "send-now", "acknowledge", "litigation"}


@require_POST
@permission_required(Perm.MANAGE_COLLECTIONS)
def case_action(request, pk, action):
    """One action on one invoice's case, from the client's timeline."""
    if action not in ACTIONS:
        raise Http404
    invoice = get_object_or_404(Invoice, pk=pk, kind=Invoice.Kind.INVOICE)
    today = paris_today()
    back = redirect("dunning_client", pk=invoice.client_id)
    try:
        done = _perform(request, invoice, action, today)
    except ValidationError as error:
        _refusal(request, error)
        return back
    if done:
        messages.success(request, done)
    return back


def _perform(request, invoice, action, today):
    tenant, user = request.tenant, request.user
    if action == "pause":
        form = PauseForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_("Check the pause: its kind and date."))
        case_services.pause_create(
            tenant=tenant,
            invoice=invoice,
            actor=user,
            today=today,
            kind=form.cleaned_data["kind"],
            until=form.cleaned_data["until"],
            reason=form.cleaned_data["reason"],
        )
        return _("%(invoice)s is off the ladder.") % {"invoice": invoice.number}
    if action == "plan":
        form = PlanForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_("Check the instalments: dates and amounts."))
        case_services.pause_create(
            tenant=tenant,
            invoice=invoice,
            actor=user,
            today=today,
            kind=Pause.Kind.PLAN,
            instalments=form.instalments(),
            reason=_("Payment plan"),
        )
        return _("The payment plan is recorded; a missed instalment resumes the ladder.")
    if action == "resume":
        form = ResumeForm(request.POST)
        form.is_valid()
        case_services.case_resume(
            tenant=tenant,
            invoice=invoice,
            actor=user,
            today=today,
            reason=form.cleaned_data.get("reason", ""),
        )
        return _("%(invoice)s is back on the ladder.") % {"invoice": invoice.number}
    if action == "send-now":
        if not ConfirmForm(request.POST).is_valid():
            raise ValidationError(_("Tick the box to confirm the sending."))
        step = case_services.send_next_step_now(
            tenant=tenant,
            invoice=invoice,
            actor=user,
            today=today,
            despite_bank_credit=bool(request.POST.get("despite_bank_credit")),
        )
        return _("%(step)s performed for %(invoice)s.") % {
            "step": step.get_kind_display(),
            "invoice": invoice.number,
        }
    if action == "acknowledge":
        form = AcknowledgeForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_("Give the date and the evidence of the acknowledgement."))
        case_services.debt_acknowledge(
            tenant=tenant,
            invoice=invoice,
            actor=user,
            today=today,
            acknowledged_on=form.cleaned_data["acknowledged_on"],
            evidence=form.cleaned_data["evidence"],
        )
        return _("The acknowledgement is recorded; the limitation period starts again.")
    if action == "litigation":
        from dunning.services.litigation import litigation_open

        form = LitigationOpenForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_("Tick the box to confirm, and say who handles the file."))
        invoices = [
            item for item in selectors.client_ladder(invoice.client, today) if item.due_date < today
        ]
        litigation = litigation_open(
            tenant=tenant,
            client=invoice.client,
            actor=user,
            today=today,
            invoices=invoices,
            assignee_kind=form.cleaned_data["assignee_kind"],
            assignee=user if form.cleaned_data["assignee_kind"] == "collector" else None,
            assignee_name=form.cleaned_data["assignee_name"],
        )
        return _("Litigation file opened for %(amount)s.") % {"amount": euros(litigation.amount)}
    raise Http404


@require_POST
@permission_required(Perm.MANAGE_COLLECTIONS)
def contact_log(request, pk):
    client = get_object_or_404(Client, pk=pk)
    today = paris_today()
    invoices = Invoice.objects.filter(client=client, kind=Invoice.Kind.INVOICE)
    form = ContactForm(request.POST, invoices=invoices)
    if not form.is_valid():
        for field, errors in form.errors.items():
            for error in errors:
                label = form.fields[field].label if field in form.fields else ""
                messages.error(request, f"{label} : {error}" if label else error)
        return redirect("dunning_client", pk=pk)
    try:
        case_services.contact_log(
            tenant=request.tenant,
            client=client,
            actor=request.user,
            today=today,
            **form.cleaned_data,
        )
    except ValidationError as error:
        _refusal(request, error)
    else:
        messages.success(request, _("Logged on the client's timeline."))
    return redirect("dunning_client", pk=pk)


def collector_home_panels(sender, request, **kwargs):
    """The ladder's part of the collector's home (answers `home_panels`): the way to the
    worklist, emails that could not be sent, formal notices to post, open litigation files
    (the reference rates the penalties lack are `policies.home_notices`)."""
    ladder = {
        "failed_messages": Message.objects.filter(status=Message.Status.FAILED).count(),
        "letters_to_post": Letter.objects.filter(posting=Letter.Posting.TO_POST).count(),
        "letters_stale": letters.stale_letters(today=paris_today()).count(),
        "litigation_open": LitigationFile.objects.exclude(
            state__in=[LitigationFile.State.SETTLED, LitigationFile.State.LOST]
        ).count(),
    }
    return [
        HomePanel(order=10, template="dunning/home/worklist_button.html", place="heading"),
        HomePanel(order=20, template="dunning/home/collector.html", context={"ladder": ladder}),
    ]


def billing_invoice_facts(sender, invoices, **kwargs):
    """Each invoice of the billing pages with its case (the step reached and the next one),
    what holds it and the way to its client's timeline (answers
    `invoices.signals.invoice_rows`)."""
    selectors.invoice_ladder(invoices)
    selectors.set_bank_holds(invoices)
    for invoice in invoices:
        invoice.timeline_url = reverse("dunning_client", args=[invoice.client_id])
