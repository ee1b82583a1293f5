"""The prospect check: the consultant asks in the portal, the collector answers."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from insurance.models import ProspectCheck
from insurance.services.prospects import prospect_answer, prospect_ask
from portage.forms import AmountField, add_service_error
from portage.permissions import Perm, permission_required


class ProspectForm(forms.Form):
    siren = forms.CharField(label=gettext_lazy("SIREN"), max_length=20)
    name = forms.CharField(label=gettext_lazy("Company name"), max_length=200)
    amount = AmountField(
        label=gettext_lazy("Amount you expect to bill (incl. VAT)"),
        min_value=0,
        max_digits=14,
        decimal_places=2,
    )
    note = forms.CharField(label=gettext_lazy("About the mission"), required=False, max_length=300)


class AnswerForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Answer"),
        choices=[
            (ProspectCheck.Status.GRANTED, gettext_lazy("Can be covered")),
            (ProspectCheck.Status.REFUSED, gettext_lazy("Cannot be covered")),
        ],
    )
    granted_amount = AmountField(
        label=gettext_lazy("Amount covered"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
    )
    note = forms.CharField(label=gettext_lazy("Comment"), required=False, max_length=300)


@permission_required(Perm.PORTAL)
def portal_prospects(request):
    form = ProspectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            prospect_ask(tenant=request.tenant, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Your question is sent; the answer will appear here."))
            return redirect("insurance_portal_prospects")
    return render(
        request,
        "insurance/portal_prospects.html",
        {"form": form, "checks": ProspectCheck.objects.filter(asked_by=request.user)[:50]},
    )


@permission_required(Perm.VIEW_COLLECTIONS)
def prospect_list(request):
    checks = ProspectCheck.objects.select_related("asked_by", "answered_by")
    return render(
        request,
        "insurance/prospect_list.html",
        {
            "waiting": checks.filter(status=ProspectCheck.Status.ASKED).order_by("asked_at"),
            "answered": checks.exclude(status=ProspectCheck.Status.ASKED)[:100],
            "form": AnswerForm(),
        },
    )


@require_POST
@permission_required(Perm.MANAGE_COLLECTIONS)
def prospect_reply(request, pk):
    check = get_object_or_404(ProspectCheck, pk=pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            prospect_answer(check=check, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The consultant sees your answer."))
    else:
        messages.error(request, _("Choose an answer, and the amount covered if any."))
    return redirect("insurance_prospect_list")
