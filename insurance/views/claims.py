"""Claims (sinistres) and overdue declarations: the board, a claim with its computation and
its answers from the insurer, the declarations to send, the documents for the portal."""

import re
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from insurance import selectors
from insurance.forms_claims import (
    ClaimAcknowledgeForm,
    ClaimCloseForm,
    ClaimFileForm,
    ClaimIndemnifyForm,
    ClaimRejectForm,
    DeclarationSentForm,
    SubrogationForm,
)
from insurance.models import Claim, Declaration
from insurance.selectors import claims as claim_selectors
from insurance.services import claims as services
from portage.batch import paris_today
from portage.forms import add_service_error
from portage.money import to_cents
from portage.permissions import Perm, has_perm, permission_required
from portage.selectors import audit_log
from portage.templatetags.portage import percent

PAGE_SIZE = 50
State = Claim.State

BOARD_TITLES = {
    "to_file": gettext_lazy("To file"),
    "filed": gettext_lazy("Filed, waiting for the insurer"),
    "acknowledged": gettext_lazy("Acknowledged by the insurer"),
    "indemnified": gettext_lazy("Indemnified"),
    "rejected": gettext_lazy("Rejected"),
    "closed": gettext_lazy("Closed"),
}

STATE_TONES = {
    State.TO_FILE: "warn",
    State.FILED: "neutral",
    State.ACKNOWLEDGED: "neutral",
    State.INDEMNIFIED: "ok",
    State.PARTIAL: "warn",
    State.REJECTED: "danger",
    State.CLOSED: "muted",
}

# The labels `insurance.rules.compute_indemnity` stores with each step, in English.
STEP_LABELS = {
    "Unpaid covered amount": gettext_lazy("Unpaid covered amount"),
    "Base: the unpaid amount (no credit limit caps it)": gettext_lazy(
        "Base: the unpaid amount (no credit limit caps it)"
    ),
    "Credit limit in force": gettext_lazy("Credit limit in force"),
    "Base: the lower of the two": gettext_lazy("Base: the lower of the two"),
    "Claim threshold not passed: the base is at or under it": gettext_lazy(
        "Claim threshold not passed: the base is at or under it"
    ),
    "Deductible per claim": gettext_lazy("Deductible per claim"),
    "Annual aggregate deductible (remaining)": gettext_lazy(
        "Annual aggregate deductible (remaining)"
    ),
    "Borne under the annual aggregate deductible": gettext_lazy(
        "Borne under the annual aggregate deductible"
    ),
    "Annual maximum (remaining)": gettext_lazy("Annual maximum (remaining)"),
    "Cut to the annual maximum": gettext_lazy("Cut to the annual maximum"),
    "Indemnity": gettext_lazy("Indemnity"),
}
COVERED_SHARE = re.compile(r"Covered share (?P<percent>[0-9.]+) %")


def step_label(label):
    covered = COVERED_SHARE.fullmatch(label)
    if covered:
        return _("Covered share %(percent)s") % {"percent": percent(Decimal(covered["percent"]))}
    return STEP_LABELS.get(label, label)


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


# Claims


@permission_required(Perm.VIEW_COLLECTIONS)
def claim_list(request):
    """Claims grouped by state, each group with its totals; the closed ones paginated."""
    groups = []
    for group in claim_selectors.claim_board():
        group["title"] = BOARD_TITLES[group["key"]]
        if group["key"] == "closed":
            group["page"] = _page(request, group["claims"])
            group["rows"] = group["page"].object_list
        else:
            group["rows"] = list(group["claims"])
        groups.append(group)
    return render(
        request,
        "insurance/claim_list.html",
        {"groups": groups, "has_claims": any(group["totals"]["count"] for group in groups)},
    )


ACTIONS = {
    "file": (ClaimFileForm, State.FILED),
    "acknowledge": (ClaimAcknowledgeForm, State.ACKNOWLEDGED),
    "indemnify": (ClaimIndemnifyForm, State.INDEMNIFIED),
    "reject": (ClaimRejectForm, State.REJECTED),
    "close": (ClaimCloseForm, State.CLOSED),
}

DONE_MESSAGES = {
    "file": gettext_lazy("The claim is recorded as filed with the insurer."),
    "acknowledge": gettext_lazy("The insurer's acknowledgement is recorded."),
    "indemnify": gettext_lazy(
        "The indemnity is recorded and the consultants' activity accounts are credited."
    ),
    "reject": gettext_lazy("The insurer's rejection is recorded."),
    "close": gettext_lazy("The claim is closed."),
}


def _run_action(action, claim, data, user):
    today = paris_today()
    if action == "file":
        return services.claim_file(claim=claim, actor=user, today=today, **data)
    if action == "acknowledge":
        return services.claim_acknowledge(claim=claim, actor=user, **data)
    if action == "indemnify":
        return services.claim_indemnify(claim=claim, actor=user, today=today, **data)
    if action == "reject":
        return services.claim_reject(claim=claim, actor=user, reason=data["reason"])
    return services.claim_close(claim=claim, actor=user)


def _action_forms(claim, bound=None):
    """The forms of the transitions open from the claim's state, `bound` in place of its
    blank form."""
    today = paris_today()
    initial = {
        "file": {"filed_on": today, "insurer_reference": claim.insurer_reference},
        "acknowledge": {"insurer_reference": claim.insurer_reference},
        "indemnify": {"amount": claim.expected_indemnity, "paid_on": today},
    }
    allowed = services.next_states(claim.state)
    forms = {}
    for action, (form_class, target) in ACTIONS.items():
        if target not in allowed:
            continue
        if bound is not None and bound.prefix == action:
            forms[action] = bound
        else:
            forms[action] = form_class(initial=initial.get(action))
    return forms


def _steps(claim):
    """The computation stored with the claim, a row per step, the indemnity last."""
    last = len(claim.computation) - 1
    return [
        {"label": step_label(label), "amount": Decimal(amount), "last": index == last}
        for index, (label, amount) in enumerate(claim.computation)
    ]


def _invoice_rows(claim):
    credited = claim_selectors.credited_indemnities(claim)
    parts = {}
    if claim.indemnity_amount is not None:
        parts = {
            credit.line.pk: credit
            for credit in claim_selectors.indemnity_credits(claim, claim.indemnity_amount)
        }
    rows = []
    for line in claim.lines.select_related("invoice__consultant__user").order_by(
        "invoice__due_date", "invoice_id"
    ):
        part = parts[line.pk].part if line.pk in parts else None
        rows.append(
            {
                "line": line,
                "invoice": line.invoice,
                "indemnity_part": part,
                "credited": credited.get(line.invoice_id),
                # What neither the client nor the insurer has paid: still recoverable from
                # the client while the claim is open, lost once it is closed.
                "remainder": max(line.invoice.balance - (part or 0), 0),
            }
        )
    return rows


@permission_required(Perm.VIEW_COLLECTIONS)
def claim_detail(request, pk):
    claim = get_object_or_404(Claim.objects.select_related("client", "policy__insurer"), pk=pk)
    can_manage = has_perm(request.membership, Perm.MANAGE_COLLECTIONS)
    bound = None
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        action = request.POST.get("action")
        if action not in ACTIONS:
            messages.error(request, _("Unknown action."))
            return redirect("insurance_claim", pk=pk)
        form_class, target = ACTIONS[action]
        if target not in services.next_states(claim.state):
            messages.error(
                request,
                _("This claim is now: %(state)s.") % {"state": claim.get_state_display()},
            )
            return redirect("insurance_claim", pk=pk)
        bound = form_class(request.POST)
        if bound.is_valid():
            data = {name: value for name, value in bound.cleaned_data.items() if name != "confirm"}
            try:
                _run_action(action, claim, data, request.user)
            except ValidationError as error:
                if not hasattr(error, "error_dict"):
                    messages.error(request, " ".join(error.messages))
                    return redirect("insurance_claim", pk=pk)
                add_service_error(bound, error)
            else:
                messages.success(request, DONE_MESSAGES[action])
                return redirect("insurance_claim", pk=pk)
    simulator = SubrogationForm(request.GET if "sim-amount" in request.GET else None)
    split = None
    if claim.indemnity_amount is not None and simulator.is_valid():
        split = claim_selectors.subrogation_split(
            claim=claim,
            amount=simulator.cleaned_data["amount"],
            received_on=simulator.cleaned_data["received_on"],
        )
    return render(
        request,
        "insurance/claim_detail.html",
        {
            "claim": claim,
            "tone": STATE_TONES[claim.state],
            "reference": claim_selectors.claim_reference(claim),
            "steps": _steps(claim),
            "invoices": _invoice_rows(claim),
            "can_manage": can_manage,
            "forms": _action_forms(claim, bound) if can_manage else {},
            "simulator": simulator,
            "split": split,
            "insurer_share": to_cents(claim_selectors.insurer_share_percent(claim)),
            "insurer_recovered": claim_selectors.insurer_recovered(claim),
            "history": audit_log(tenant=request.tenant).filter(
                object_type="insurance.claim", object_id=str(claim.pk)
            ),
        },
    )


def _download(content, content_type, filename):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _claim_for_documents(pk):
    return get_object_or_404(Claim.objects.select_related("client", "policy__insurer"), pk=pk)


@permission_required(Perm.VIEW_COLLECTIONS)
def claim_csv(request, pk):
    claim = _claim_for_documents(pk)
    csv_bytes = claim_selectors.claim_csv(claim, today=paris_today())
    name = f"sinistre-{claim_selectors.claim_reference(claim)}.csv"
    return _download(csv_bytes, "text/csv; charset=utf-8", name)


@permission_required(Perm.VIEW_COLLECTIONS)
def claim_pdf(request, pk):
    claim = _claim_for_documents(pk)
    pdf_bytes = claim_selectors.claim_pdf(claim, today=paris_today())
    name = f"sinistre-{claim_selectors.claim_reference(claim)}.pdf"
    return _download(pdf_bytes, "application/pdf", name)


# Overdue declarations


def _declarations():
    return Declaration.objects.select_related("invoice__client", "policy__insurer")


def _declaration_page(request, *, bound=None):
    today = paris_today()
    can_manage = has_perm(request.membership, Perm.MANAGE_COLLECTIONS)
    lost = list(_in_deadline_order(selectors.declarations_cover_lost(today=today)))
    to_declare = list(_in_deadline_order(selectors.declarations_to_declare(today=today)))
    for declaration in to_declare:
        declaration.near = selectors.deadline_near(declaration.deadline, today=today)
    for declaration in lost + to_declare:
        if can_manage and declaration.status in services.DECLARATION_MAY_BE_SENT:
            if bound is not None and bound.declaration.pk == declaration.pk:
                declaration.form = bound
            else:
                declaration.form = DeclarationSentForm(
                    declaration=declaration, initial={"declared_on": today}
                )
    sent = _declarations().filter(status=Declaration.Status.SENT).order_by("-declared_on", "-id")
    return render(
        request,
        "insurance/declaration_list.html",
        {
            "today": today,
            "counts": selectors.declaration_counts(today=today),
            "lost": lost,
            "to_declare": to_declare,
            "told_by_claim": _in_deadline_order(selectors.declarations_told_by_claim()),
            "page": _page(request, sent),
            "can_manage": can_manage,
        },
    )


def _in_deadline_order(declarations):
    return declarations.select_related("invoice__client", "policy__insurer").order_by(
        "deadline", "id"
    )


@permission_required(Perm.VIEW_COLLECTIONS)
def declaration_list(request):
    """Those whose deadline passed first (the cover is lost), then those to declare,
    deadline soonest first, those a claim made needless, then those declared."""
    return _declaration_page(request)


@permission_required(Perm.MANAGE_COLLECTIONS)
@require_POST
def declaration_sent(request, pk):
    declaration = get_object_or_404(Declaration.objects.select_related("invoice__client"), pk=pk)
    form = DeclarationSentForm(request.POST, declaration=declaration)
    if form.is_valid():
        try:
            services.declaration_mark_sent(
                declaration=declaration,
                actor=request.user,
                today=paris_today(),
                **form.cleaned_data,
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, " ".join(error.messages))
                return redirect("insurance_declaration_list")
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("The overdue of invoice %(number)s is recorded as declared.")
                % {"number": declaration.invoice.number},
            )
            return redirect("insurance_declaration_list")
    if declaration.status not in services.DECLARATION_MAY_BE_SENT:
        messages.error(request, _("This declaration is no longer waiting to be sent."))
        return redirect("insurance_declaration_list")
    return _declaration_page(request, bound=form)


def _declaration_for_documents(pk):
    return get_object_or_404(
        Declaration.objects.select_related("invoice__client", "policy__insurer"), pk=pk
    )


@permission_required(Perm.VIEW_COLLECTIONS)
def declaration_csv(request, pk):
    declaration = _declaration_for_documents(pk)
    csv_bytes = claim_selectors.declaration_csv(declaration)
    name = f"menace-{claim_selectors.declaration_reference(declaration)}.csv"
    return _download(csv_bytes, "text/csv; charset=utf-8", name)


@permission_required(Perm.VIEW_COLLECTIONS)
def declaration_pdf(request, pk):
    declaration = _declaration_for_documents(pk)
    pdf_bytes = claim_selectors.declaration_pdf(declaration)
    name = f"menace-{claim_selectors.declaration_reference(declaration)}.pdf"
    return _download(pdf_bytes, "application/pdf", name)
