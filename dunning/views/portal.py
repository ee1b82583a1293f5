"""The consultant's part of collections (binôme): the friendly reminders the ladder asks of
them, what they log, and each invoice's place on the ladder in their portal."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from consultants.selectors import consultant_of
from dunning import selectors
from dunning.models import ContactLog
from dunning.services.cases import contact_log
from invoices.models import Invoice
from portage.batch import paris_today
from portage.forms import FrenchDateField, add_service_error
from portage.permissions import Perm, permission_required
from portage.signals import HomePanel


def consultant_home_panels(sender, request, **kwargs):
    """The ladder's part of the consultant's home (answers `home_panels`): the reminders
    waiting for them."""
    consultant = consultant_of(user=request.user, tenant=request.tenant)
    if consultant is None:
        return []
    tasks = selectors.consultant_tasks(consultant, paris_today())[:20]
    if not tasks:
        return []
    return [HomePanel(order=20, template="dunning/home/consultant.html", context={"tasks": tasks})]


def portal_invoices_ladder(sender, invoices, **kwargs):
    """Each invoice of the consultant's home with its current and next step (answers
    `consultants.signals.portal_invoices`)."""
    selectors.invoice_ladder(invoices)


class ReminderLogForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What did you do?"),
        choices=[
            (ContactLog.Kind.CALL, gettext_lazy("I called the client")),
            (ContactLog.Kind.EMAIL, gettext_lazy("I wrote to the client")),
            (ContactLog.Kind.PROMISE, gettext_lazy("The client promised to pay")),
        ],
        widget=forms.RadioSelect,
    )
    happened_on = FrenchDateField(label=gettext_lazy("When"))
    promise_date = FrenchDateField(
        label=gettext_lazy("Promised payment date"),
        required=False,
        help_text=gettext_lazy("The company's reminders wait until this date."),
    )
    text = forms.CharField(
        label=gettext_lazy("Notes for the collections team"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _own_invoice(request, pk):
    consultant = consultant_of(user=request.user, tenant=request.tenant)
    if consultant is None:
        return None, None
    invoice = get_object_or_404(
        Invoice.objects.select_related("client"), pk=pk, consultant=consultant
    )
    return consultant, invoice


@permission_required(Perm.PORTAL)
def tasks(request):
    consultant = consultant_of(user=request.user, tenant=request.tenant)
    if consultant is None:
        return render(request, "consultants/portal_no_profile.html")
    return render(
        request,
        "dunning/portal_tasks.html",
        {
            "tasks": selectors.consultant_tasks(consultant, paris_today()),
            "logs": ContactLog.objects.filter(
                author=request.user, by_consultant=True
            ).select_related("client", "invoice")[:30],
        },
    )


@permission_required(Perm.PORTAL)
def log_reminder(request, pk):
    """The consultant logs what they did for one of their invoices."""
    consultant, invoice = _own_invoice(request, pk)
    if consultant is None:
        return render(request, "consultants/portal_no_profile.html")
    today = paris_today()
    form = ReminderLogForm(request.POST or None, initial={"happened_on": today})
    if request.method == "POST" and form.is_valid():
        try:
            contact_log(
                tenant=request.tenant,
                client=invoice.client,
                invoice=invoice,
                actor=request.user,
                today=today,
                by_consultant=True,
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Thank you: the collections team sees it now."))
            return redirect("dunning_portal_tasks")
    return render(request, "dunning/portal_log.html", {"form": form, "invoice": invoice})
