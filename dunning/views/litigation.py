"""Formal notices to post, the collection emails (outbox and archive), litigation files."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dunning.forms_litigation import (
    LetterPostedForm,
    LitigationDocumentForm,
    LitigationUpdateForm,
    MessageFilterForm,
)
from dunning.models import Letter, LitigationDocument, LitigationFile, Message
from dunning.services import letters, mail
from dunning.services import litigation as services
from portage.batch import paris_today
from portage.forms import add_service_error
from portage.money import ZERO
from portage.permissions import Perm, has_perm, permission_required
from portage.selectors import audit_log

PAGE_SIZE = 50
SECTION_SIZE = 50  # failed and queued messages shown above the archive, before filtering


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


# Formal notices


def _letter_page(request, *, bound=None, status=200):
    """The print queue: the letters to post (a stale one flagged, to write again; one whose
    PDF is still being drawn, or could not be, shown as such), those posted, and those
    replaced."""
    can_manage = has_perm(request.membership, Perm.MANAGE_COLLECTIONS)
    today = paris_today()
    to_post = list(
        Letter.objects.filter(posting=Letter.Posting.TO_POST)
        .select_related("client", "replaces")
        .order_by("letter_date", "id")
    )
    for letter in to_post:
        letter.stale = letters.letter_is_stale(letter, today=today)
    owed, holds = {}, {}
    if can_manage:
        owed = letters.still_owed_by_letter(to_post)
        # Written again only once the ladder no longer holds its invoices.
        holds = letters.regeneration_holds_by_letter(
            [letter for letter in to_post if letter.stale and owed[letter.pk]],
            today=today,
            owed=owed,
        )
    for letter in to_post:
        if not can_manage:
            continue
        # Paid or credited since: nothing to claim, the letter is withdrawn, not posted.
        letter.withdrawable = not owed[letter.pk]
        letter.holds = holds.get(letter.pk, [])
        if bound is not None and bound.letter.pk == letter.pk:
            letter.form = bound
        else:
            letter.form = LetterPostedForm(letter=letter, initial={"posted_on": today})
    posted = (
        Letter.objects.filter(posting=Letter.Posting.POSTED)
        .select_related("client", "posted_by")
        .order_by("-posted_on", "-id")
    )
    replaced = (
        Letter.objects.filter(posting__in=[Letter.Posting.REPLACED, Letter.Posting.WITHDRAWN])
        .select_related("client", "withdrawn_by")
        .prefetch_related("replacements")
        .order_by("-letter_date", "-id")[:SECTION_SIZE]
    )
    return render(
        request,
        "dunning/letter_list.html",
        {
            "to_post": to_post,
            "stale_count": sum(letter.stale for letter in to_post),
            "pdf_failed_count": sum(
                letter.pdf_state == Letter.PdfState.FAILED for letter in to_post
            ),
            "page": _page(request, posted),
            "replaced": replaced,
            "can_manage": can_manage,
        },
        status=status,
    )


@permission_required(Perm.VIEW_COLLECTIONS)
def letter_list(request):
    return _letter_page(request)


def pdf_not_ready_message(letter):
    """Why the letter has no PDF to show yet, for the collector."""
    if letter.pdf_state == Letter.PdfState.FAILED:
        return _(
            "The PDF of the formal notice to %(client)s could not be drawn; it is drawn "
            "again automatically, or draw it again from the print queue."
        ) % {"client": letter.client}
    return _(
        "The PDF of the formal notice to %(client)s is being drawn: it will be ready in a moment."
    ) % {"client": letter.client}


@permission_required(Perm.VIEW_COLLECTIONS)
def letter_pdf(request, pk):
    """The letter's PDF; while it is not drawn yet, the print queue says so."""
    letter = get_object_or_404(Letter.objects.select_related("client"), pk=pk)
    if not letter.pdf:
        messages.warning(request, pdf_not_ready_message(letter))
        return redirect("dunning_letter_list")
    try:
        content = letter.pdf.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    name = slugify(letter.client.legal_name) or "client"
    return FileResponse(
        content,
        content_type="application/pdf",
        filename=f"mise-en-demeure-{name}-{letter.letter_date.isoformat()}.pdf",
    )


@permission_required(Perm.MANAGE_COLLECTIONS)
@require_POST
def letter_posted(request, pk):
    letter = get_object_or_404(Letter, pk=pk)
    if letter.posting == Letter.Posting.POSTED:
        messages.error(request, _("This formal notice has already been recorded as posted."))
        return redirect("dunning_letter_list")
    if not letter.pdf:
        messages.error(
            request,
            _(
                "This formal notice's PDF is not drawn yet: it cannot have been posted. "
                "Print it once its PDF is ready, then record the posting."
            ),
        )
        return redirect("dunning_letter_list")
    form = LetterPostedForm(request.POST, letter=letter)
    if form.is_valid():
        try:
            services.letter_mark_posted(
                letter=letter,
                actor=request.user,
                reference=form.cleaned_data["reference"],
                posted_on=form.cleaned_data["posted_on"],
                today=paris_today(),
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, " ".join(error.messages))
                return redirect("dunning_letter_list")
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("The formal notice to %(client)s is recorded as posted.")
                % {"client": letter.client},
            )
            return redirect("dunning_letter_list")
    return _letter_page(request, bound=form)


@permission_required(Perm.MANAGE_COLLECTIONS)
@require_POST
def letter_pdf_retry(request, pk):
    """A letter whose PDF could not be drawn, drawn again at once (`letters.letter_pdf_retry`)."""
    letter = get_object_or_404(Letter.objects.select_related("client"), pk=pk)
    try:
        drawn = letters.letter_pdf_retry(letter=letter, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if drawn.pdf:
            messages.success(
                request,
                _("The PDF of the formal notice to %(client)s is drawn: print it and post it.")
                % {"client": letter.client},
            )
        else:
            messages.error(
                request,
                _(
                    "The PDF of the formal notice to %(client)s could not be drawn again "
                    "(%(error)s); it is tried again automatically."
                )
                % {"client": letter.client, "error": drawn.pdf_error[:200]},
            )
    return redirect("dunning_letter_list")


@permission_required(Perm.MANAGE_COLLECTIONS)
def letter_regenerate(request, pk):
    """A stale formal notice written again, after the collector confirmed what the new
    letter will say (`letters.letter_regenerate`)."""
    letter = get_object_or_404(Letter.objects.select_related("client"), pk=pk)
    today = paris_today()
    if request.method == "POST":
        try:
            new = letters.letter_regenerate(letter=letter, actor=request.user, today=today)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _(
                    "The formal notice to %(client)s is written again, dated %(date)s with a "
                    "final deadline on %(deadline)s: print and post the new letter."
                )
                % {
                    "client": new.client,
                    "date": date_format(new.letter_date, "SHORT_DATE_FORMAT"),
                    "deadline": date_format(new.deadline, "SHORT_DATE_FORMAT"),
                },
            )
        return redirect("dunning_letter_list")
    if not letters.letter_is_stale(letter, today=today):
        messages.error(
            request, _("This formal notice's deadline has not passed: post it as it is.")
        )
        return redirect("dunning_letter_list")
    holds = letters.regeneration_holds(letter, today=today)
    if holds:
        messages.error(
            request,
            " ".join(
                [_("This formal notice cannot be written again while the ladder is held:"), *holds]
            ),
        )
        return redirect("dunning_letter_list")
    try:
        preview = letters.regeneration_preview(letter, today=today)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("dunning_letter_list")
    return render(
        request,
        "dunning/letter_regenerate.html",
        {
            "letter": letter,
            "today": today,
            "new": preview,
            "email_copy": letters.email_copy_of(letter) is not None,
        },
    )


@permission_required(Perm.MANAGE_COLLECTIONS)
def letter_withdraw(request, pk):
    """A formal notice whose invoices were all paid or credited since it was written,
    withdrawn after the collector confirmed (`letters.letter_withdraw`): not posted, not
    replaced, kept in the history."""
    letter = get_object_or_404(Letter.objects.select_related("client"), pk=pk)
    if letter.posting != Letter.Posting.TO_POST:
        messages.error(request, _("This formal notice is no longer waiting to be posted."))
        return redirect("dunning_letter_list")
    if request.method == "POST":
        try:
            letters.letter_withdraw(letter=letter, actor=request.user, today=paris_today())
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _(
                    "The formal notice to %(client)s of %(date)s is withdrawn: it will not be "
                    "posted. It stays in the history below."
                )
                % {
                    "client": letter.client,
                    "date": date_format(letter.letter_date, "SHORT_DATE_FORMAT"),
                },
            )
        return redirect("dunning_letter_list")
    owed = letters.still_owed(letter)
    if owed:
        messages.error(
            request,
            _("Still unpaid: %(invoices)s. The formal notice cannot be withdrawn.")
            % {"invoices": ", ".join(invoice.number for invoice in owed)},
        )
        return redirect("dunning_letter_list")
    return render(request, "dunning/letter_withdraw.html", {"letter": letter})


# Messages


@permission_required(Perm.VIEW_COLLECTIONS)
def message_list(request):
    """Failed emails first (to send again), then those waiting, those whose letter's PDF is
    still being drawn, then the archive of those sent; one status asked for shows that list
    alone, paginated."""
    form = MessageFilterForm(request.GET or None, tenant=request.tenant)
    found = Message.objects.select_related("client")
    status = ""
    if form.is_valid():
        if form.cleaned_data["client"]:
            found = found.filter(client=form.cleaned_data["client"])
        status = form.cleaned_data["status"]
    lists = {
        Message.Status.FAILED: found.filter(status=Message.Status.FAILED).order_by(
            "-created_at", "-id"
        ),
        Message.Status.QUEUED: found.filter(status=Message.Status.QUEUED).order_by(
            "next_attempt_at", "id"
        ),
        Message.Status.HELD: found.filter(status=Message.Status.HELD).order_by("created_at", "id"),
        Message.Status.SENT: found.filter(status=Message.Status.SENT).order_by("-sent_at", "-id"),
    }
    titles = {
        Message.Status.FAILED: _("Sending failed"),
        Message.Status.QUEUED: _("Waiting to be sent"),
        Message.Status.HELD: _("Waiting for the letter's PDF"),
        Message.Status.SENT: _("Sent"),
    }
    sections = []
    for key, messages_ in lists.items():
        if status and key != status:
            continue
        section = {"status": key, "title": titles[key]}
        if status or key == Message.Status.SENT:
            section["page"] = _page(request, messages_)
            section["rows"] = section["page"].object_list
        else:
            section["rows"] = list(messages_[:SECTION_SIZE])
            section["count"] = messages_.count() if len(section["rows"]) == SECTION_SIZE else 0
            if not section["rows"]:
                continue
        sections.append(section)
    return render(
        request,
        "dunning/message_list.html",
        {
            "filter_form": form,
            "sections": sections,
            "client_pk": form.cleaned_data["client"].pk
            if form.is_valid() and form.cleaned_data["client"]
            else "",
            "can_manage": has_perm(request.membership, Perm.MANAGE_COLLECTIONS),
        },
    )


# The email is shown as sent in a sandboxed srcdoc frame, which inherits the page's policy:
# its inline styles (emails carry no stylesheet) are let through here; scripts still are not.
@csp_update({"style-src": [UNSAFE_INLINE]})
@permission_required(Perm.VIEW_COLLECTIONS)
def message_detail(request, pk):
    message = get_object_or_404(Message.objects.select_related("client", "consultant__user"), pk=pk)
    return render(
        request,
        "dunning/message_detail.html",
        {
            "message": message,
            "invoices": sorted(
                {action.invoice for action in message.actions.select_related("invoice")},
                key=lambda invoice: invoice.number,
            ),
            "can_manage": has_perm(request.membership, Perm.MANAGE_COLLECTIONS),
        },
    )


@permission_required(Perm.MANAGE_COLLECTIONS)
@require_POST
def message_retry(request, pk):
    message = get_object_or_404(Message, pk=pk)
    if message.status != Message.Status.FAILED:
        messages.error(request, _("Only a message whose sending failed can be sent again."))
    else:
        mail.message_retry(message=message, actor=request.user)
        messages.success(
            request, _("The message to %(client)s is sent again.") % {"client": message.client}
        )
    return redirect("dunning_message_list")


# Litigation files


@permission_required(Perm.VIEW_COLLECTIONS)
def litigation_list(request):
    files = LitigationFile.objects.select_related("client", "assignee")
    return render(
        request,
        "dunning/litigation_list.html",
        {
            "open_files": files.exclude(state__in=services.CLOSED_STATES).order_by(
                "opened_on", "id"
            ),
            "page": _page(
                request,
                files.filter(state__in=services.CLOSED_STATES).order_by("-closed_on", "-id"),
            ),
        },
    )


@permission_required(Perm.VIEW_COLLECTIONS)
def litigation_detail(request, pk):
    file = get_object_or_404(LitigationFile.objects.select_related("client", "assignee"), pk=pk)
    can_manage = has_perm(request.membership, Perm.MANAGE_COLLECTIONS)
    update_form = LitigationUpdateForm(
        tenant=request.tenant,
        file=file,
        initial={
            "state": file.state,
            "assignee_kind": file.assignee_kind,
            "assignee": file.assignee_id,
            "assignee_name": file.assignee_name,
            "notes": file.notes,
        },
    )
    document_form = LitigationDocumentForm()
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        action = request.POST.get("action")
        if action == "update":
            update_form = LitigationUpdateForm(request.POST, tenant=request.tenant, file=file)
            if update_form.is_valid():
                try:
                    services.litigation_update(
                        file=file,
                        actor=request.user,
                        today=paris_today(),
                        **update_form.cleaned_data,
                    )
                except ValidationError as error:
                    add_service_error(update_form, error)
                else:
                    messages.success(request, _("The litigation file has been saved."))
                    return redirect("dunning_litigation", pk=pk)
        elif action == "upload":
            document_form = LitigationDocumentForm(request.POST, request.FILES)
            if document_form.is_valid():
                try:
                    services.litigation_add_document(
                        file=file,
                        actor=request.user,
                        title=document_form.cleaned_data["title"],
                        uploaded_file=document_form.cleaned_data["file"],
                    )
                except ValidationError as error:
                    add_service_error(document_form, error)
                else:
                    messages.success(request, _("The document has been added."))
                    return redirect("dunning_litigation", pk=pk)
        else:
            messages.error(request, _("Unknown action."))
            return redirect("dunning_litigation", pk=pk)
    invoices = services.file_invoices(file)
    return render(
        request,
        "dunning/litigation_detail.html",
        {
            "file": file,
            "invoices": invoices,
            "balance": sum((invoice.balance for invoice in invoices), ZERO),
            "documents": file.documents.select_related("uploaded_by"),
            "can_manage": can_manage,
            "update_form": update_form,
            "document_form": document_form,
            "history": audit_log(tenant=request.tenant).filter(
                object_type="dunning.litigationfile", object_id=str(file.pk)
            ),
        },
    )


@permission_required(Perm.VIEW_COLLECTIONS)
def litigation_document(request, pk, document):
    file = get_object_or_404(LitigationFile, pk=pk)
    document = get_object_or_404(LitigationDocument, pk=document, litigation=file)
    try:
        content = document.file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    extension = document.file.name.rsplit(".", 1)[-1].lower()
    return FileResponse(
        content,
        as_attachment=True,
        filename=f"{slugify(document.title) or 'document'}.{extension}",
    )
