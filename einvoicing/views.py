"""E-invoicing pages: the company's platform settings, the board of what needs a person
(deposits to fix or to upload, buyers' objections, 212s pending, payment e-reportings), and
the actions posted from the invoice and client pages."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from einvoicing import selectors
from einvoicing.connectors.base import Refused, TemporaryFailure
from einvoicing.defaults import DEFAULT_SCHEME
from einvoicing.forms import (
    DirectoryEntryForm,
    PlatformSettingsForm,
    ReportAnswerForm,
    StatusEntryForm,
    UploadedForm,
)
from einvoicing.models import Outgoing, PaymentReport, Submission
from einvoicing.services.directory import directory_enter
from einvoicing.services.platform import platform_connection_check, uses_api
from einvoicing.services.reporting import payment_report_answer
from einvoicing.services.statuses import status_enter
from einvoicing.services.submissions import submission_retry, submission_uploaded
from einvoicing.services.transmit import directory_check
from invoices.models import Client, Invoice
from invoices.pdf import invoice_pdf_ensure
from portage.batch import paris_today
from portage.forms import add_service_error
from portage.permissions import Perm, has_perm, permission_required

# The badge tone of each state of a deposit and of a report.
SUBMISSION_TONES = {
    Submission.State.TO_SEND: "neutral",
    Submission.State.BLOCKED: "warn",
    Submission.State.TO_UPLOAD: "warn",
    Submission.State.SENT: "neutral",
    Submission.State.DEPOSITED: "ok",
    Submission.State.REJECTED: "danger",
    Submission.State.FAILED: "danger",
}
REPORT_TONES = {
    Outgoing.TO_SEND: "neutral",
    Outgoing.TO_UPLOAD: "warn",
    Outgoing.SENT: "neutral",
    Outgoing.ACCEPTED: "ok",
    Outgoing.REJECTED: "danger",
    Outgoing.FAILED: "danger",
}
ANSWERABLE = (Outgoing.SENT, Outgoing.TO_UPLOAD)


@permission_required(Perm.MANAGE_COMPANY)
def platform_settings(request):
    account = selectors.platform_account()
    form = PlatformSettingsForm(request.POST or None, instance=account, tenant=request.tenant)
    if request.method == "POST" and form.is_valid() and form.save(by=request.user):
        messages.success(request, _("The e-invoicing settings have been saved."))
        return redirect("einvoicing_settings")
    webhook_url = None
    if account is not None:
        webhook_url = request.build_absolute_uri(
            reverse("einvoicing_webhook", args=[account.webhook_token])
        )
    return render(
        request,
        "einvoicing/settings.html",
        {
            "form": form,
            "account": account,
            "webhook_url": webhook_url,
            "can_check": account is not None and uses_api(account),
        },
    )


@require_POST
@permission_required(Perm.MANAGE_COMPANY)
def platform_check(request):
    """Tries the platform's services with the recorded settings; each answer is a message."""
    account = selectors.platform_account()
    if account is None or not uses_api(account):
        messages.error(request, _("Only a platform reached through its API can be tested."))
        return redirect("einvoicing_settings")
    for check in platform_connection_check(account=account):
        report = messages.success if check.ok else messages.error
        report(
            request,
            _("%(service)s: %(detail)s")
            % {"service": check.service.capitalize(), "detail": check.detail},
        )
    return redirect("einvoicing_settings")


@permission_required(Perm.VIEW_COLLECTIONS)
def board(request):
    reports = list(selectors.payment_reports()[:24])
    for report in reports:
        report.tone = REPORT_TONES[report.state]
        report.answerable = report.state in ANSWERABLE
    account = selectors.platform_account()
    to_upload = selectors.to_upload()
    return render(
        request,
        "einvoicing/board.html",
        {
            "account": account,
            "to_fix": selectors.to_fix(),
            "to_upload": to_upload,
            # Files to upload by hand are the manual connector's; after a move to the API
            # the section stays only while some are left.
            "show_uploads": account is None or not uses_api(account) or to_upload.exists(),
            "objections": selectors.buyer_objections(),
            "pending": selectors.reports_pending(),
            "reports": reports,
            "can_manage": has_perm(request.membership, Perm.MANAGE_COLLECTIONS),
            "can_settle": has_perm(request.membership, Perm.MANAGE_COMPANY),
            "answer_form": ReportAnswerForm(auto_id=False),
            "uploaded_form": UploadedForm(auto_id=False),
        },
    )


@require_POST
@permission_required(Perm.MANAGE_COLLECTIONS)
def submission_send_again(request, pk):
    submission = get_object_or_404(Submission.objects.select_related("invoice"), pk=pk)
    try:
        submission_retry(submission=submission, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Invoice %(number)s is sent again to the platform.")
            % {"number": submission.invoice.number},
        )
    return redirect("einvoicing_board")


@permission_required(Perm.VIEW_COLLECTIONS)
def submission_document(request, pk):
    """What to upload on the platform's portal: the CII XML when one was made for the
    deposit, else the invoice's Factur-X PDF."""
    submission = get_object_or_404(Submission.objects.select_related("invoice"), pk=pk)
    if submission.document:
        return FileResponse(
            submission.document.open("rb"),
            as_attachment=True,
            filename=submission.document.name.rsplit("/", 1)[-1],
        )
    invoice = invoice_pdf_ensure(invoice=submission.invoice)
    return FileResponse(
        invoice.pdf.open("rb"),
        as_attachment=True,
        content_type="application/pdf",
        filename=f"{invoice.number}.pdf",
    )


@require_POST
@permission_required(Perm.MANAGE_COLLECTIONS)
def submission_mark_uploaded(request, pk):
    submission = get_object_or_404(Submission.objects.select_related("invoice"), pk=pk)
    form = UploadedForm(request.POST)
    form.is_valid()
    submission_uploaded(
        submission=submission, by=request.user, flow_id=form.cleaned_data.get("flow_id", "")
    )
    messages.success(
        request,
        _("Invoice %(number)s is marked as uploaded on the platform.")
        % {"number": submission.invoice.number},
    )
    return redirect("einvoicing_board")


@require_POST
@permission_required(Perm.MANAGE_COLLECTIONS)
def report_answer(request, pk):
    report = get_object_or_404(PaymentReport, pk=pk)
    form = ReportAnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say whether the platform accepted or rejected the report."))
        return redirect("einvoicing_board")
    try:
        payment_report_answer(
            report=report,
            accepted=form.cleaned_data["accepted"],
            reason=form.cleaned_data["reason"],
            by=request.user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The platform's answer has been recorded."))
    return redirect("einvoicing_board")


@permission_required(Perm.MANAGE_COLLECTIONS)
def status_entry(request, pk):
    """A status entered by hand; the form sits on the invoice's page, errors come here."""
    invoice = get_object_or_404(Invoice, pk=pk)
    form = StatusEntryForm(request.POST or None, initial={"issued_on": paris_today()})
    if request.method == "POST" and form.is_valid():
        try:
            status = status_enter(
                tenant=request.tenant,
                invoice=invoice,
                code=form.cleaned_data["code"],
                by=request.user,
                issued_on=form.cleaned_data["issued_on"],
                reason_code=form.cleaned_data["reason_code"],
                reason_text=form.cleaned_data["reason_text"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if status is None:
                messages.info(request, _("This status was already recorded."))
            else:
                messages.success(
                    request,
                    _("Status %(code)s %(label)s recorded.")
                    % {"code": status.code, "label": status.label},
                )
            return redirect(reverse("invoice_detail", args=[invoice.pk]) + "#lifecycle")
    return render(request, "einvoicing/status_form.html", {"form": form, "invoice": invoice})


@require_POST
@permission_required(Perm.MANAGE_CLIENTS)
def directory_lookup(request, pk):
    client = get_object_or_404(Client, pk=pk)
    try:
        client = directory_check(client=client, today=paris_today())
    except TemporaryFailure:
        messages.error(request, _("The platform does not answer: try again in a few minutes."))
    except Refused as refusal:
        messages.error(
            request, _("The platform refused the question: %(reason)s") % {"reason": refusal}
        )
    else:
        if client.einvoicing_address:
            messages.success(request, _("The directory entry has been updated."))
        else:
            messages.warning(request, _("The directory has no entry for this SIREN."))
    return redirect(reverse("client_detail", args=[pk]) + "#directory")


@permission_required(Perm.MANAGE_CLIENTS)
def directory_entry(request, pk):
    """The client's directory entry as read on the directory's site; the form sits on the
    client's page, errors come here."""
    client = get_object_or_404(Client, pk=pk)
    form = DirectoryEntryForm(
        request.POST or None,
        initial={
            "address": client.einvoicing_address or client.siren,
            "scheme": client.einvoicing_scheme or DEFAULT_SCHEME,
            "platform": client.einvoicing_platform,
            "routing_code": client.einvoicing_routing_code,
        },
    )
    if request.method == "POST" and form.is_valid():
        directory_enter(client=client, by=request.user, today=paris_today(), **form.cleaned_data)
        messages.success(request, _("The directory entry has been saved."))
        return redirect(reverse("client_detail", args=[pk]) + "#directory")
    return render(request, "einvoicing/directory_form.html", {"form": form, "client": client})
