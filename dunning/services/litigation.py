"""Formal notices posted by registered mail, and litigation files (contentieux): opened by
a collector or by the batch's last step, followed through the injonction de payer to
enforcement, and closed as settled or lost."""

import os
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _

from dunning.models import Case, Letter, LitigationDocument, LitigationFile
from dunning.services import cases as case_states
from invoices.models import Invoice
from portage.models import User
from portage.money import ZERO
from portage.permissions import Role
from portage.services import audit_diff, audit_record

DOCUMENT_MAX_BYTES = 10 * 1024 * 1024

# What a document may be, recognised by its first bytes, with the extensions it may carry.
DOCUMENT_TYPES = {
    "pdf": (b"%PDF-", {".pdf"}),
    "png": (b"\x89PNG\r\n\x1a\n", {".png"}),
    "jpg": (b"\xff\xd8\xff", {".jpg", ".jpeg"}),
}

HANDLER_ROLES = [Role.COLLECTOR, Role.ADMIN]

State = LitigationFile.State
CLOSED_STATES = {State.SETTLED, State.LOST}

# A file goes forward through the procedure, possibly skipping a stage, and may end,
# settled or lost, at any point while open. An ended file stays ended: a debtor who comes
# back is a new file.
PROCEDURE = [State.OPENED, State.ORDER_REQUESTED, State.ORDER_OBTAINED, State.ENFORCEMENT]


def next_states(state):
    """The states a file in `state` may move to."""
    if state in CLOSED_STATES:
        return set()
    return set(PROCEDURE[PROCEDURE.index(state) + 1 :]) | CLOSED_STATES


# Formal notices


@transaction.atomic
def letter_mark_posted(*, letter, actor, reference, posted_on, today=None):
    """Records that the formal notice left by registered mail with acknowledgement of
    receipt (lettre recommandée avec AR): its number is the proof of sending the creditor
    relies on (Code civil 1344), so it is required, and a letter is posted once. A letter
    replaced by a new one is not posted, nor one posted after its final deadline: it would
    give the client no time to pay, and is written again instead (`letter_regenerate`).
    Nor one whose PDF is not drawn yet: what was posted is the PDF the platform keeps."""
    letter = Letter.objects.select_for_update().get(pk=letter.pk)
    if letter.posting == Letter.Posting.POSTED:
        raise ValidationError(
            _("This formal notice has already been recorded as posted."), code="state"
        )
    if letter.posting == Letter.Posting.REPLACED:
        raise ValidationError(
            _("This formal notice was replaced by a new one: post the new one."), code="state"
        )
    if not letter.pdf:
        raise ValidationError(
            _(
                "This formal notice's PDF is not drawn yet: it cannot have been posted. "
                "Print it once its PDF is ready, then record the posting."
            ),
            code="pdf_not_ready",
        )
    reference = " ".join((reference or "").split()).upper()
    errors = {}
    if not reference:
        errors["reference"] = _("Give the registered mail number printed on the receipt.")
    elif not re.fullmatch(r"[0-9A-Z][0-9A-Z ]{5,59}", reference):
        errors["reference"] = _(
            "A registered mail number has letters and digits only, such as 1A 234 567 8901 2."
        )
    if posted_on is None:
        errors["posted_on"] = _("Give the day the letter was posted.")
    elif posted_on < letter.letter_date:
        errors["posted_on"] = _("The letter cannot be posted before its own date.")
    elif today is not None and posted_on > today:
        errors["posted_on"] = _("This date is in the future.")
    elif posted_on > letter.deadline:
        errors["posted_on"] = _(
            "The letter's final deadline passed on %(deadline)s: posted after it, the letter "
            "gives the client no time to pay. Regenerate it instead."
        ) % {"deadline": formats.date_format(letter.deadline, "SHORT_DATE_FORMAT")}
    if errors:
        raise ValidationError(errors)
    letter.posting = Letter.Posting.POSTED
    letter.posting_reference = reference
    letter.posted_on = posted_on
    letter.posted_by = actor
    letter.save(update_fields=["posting", "posting_reference", "posted_on", "posted_by"])
    audit_record(
        tenant=letter.tenant,
        actor=actor,
        action="dunning.letter_posted",
        obj=letter,
        before={"posting": Letter.Posting.TO_POST.label},
        after={
            "posting": Letter.Posting.POSTED.label,
            "posting_reference": reference,
            "posted_on": posted_on.isoformat(),
        },
    )
    return letter


# Litigation files


def overdue_invoices(*, client, today):
    """The client's issued invoices past their due date with something left to pay."""
    from dunning.selectors import overdue_invoices as all_overdue

    return list(all_overdue(today).filter(client=client).order_by("due_date", "pk"))


def file_invoices(file):
    """The invoices of a litigation file, as they stand today (their balance moves on)."""
    return list(
        Invoice.objects.filter(pk__in=file.invoice_pks)
        .select_related("consultant__user")
        .order_by("due_date", "pk")
    )


def invoices_in_open_files(invoice_pks):
    """Of these invoices, those already in an open litigation file."""
    wanted = set(invoice_pks)
    taken = set()
    for pks in LitigationFile.objects.exclude(state__in=CLOSED_STATES).values_list(
        "invoice_pks", flat=True
    ):
        taken.update(wanted.intersection(pks))
    return taken


def handlers(tenant):
    """The company's people who may handle a litigation file themselves: its active
    collectors, and its administrators, who may do a collector's work."""
    return User.objects.filter(
        memberships__tenant=tenant,
        memberships__role__in=HANDLER_ROLES,
        memberships__is_active=True,
    )


def _assignee(*, tenant, assignee_kind, assignee, assignee_name):
    """Who handles the file: someone of the company, or an agency or a lawyer by name."""
    if assignee_kind not in LitigationFile.AssigneeKind.values:
        raise ValidationError({"assignee_kind": _("Choose who handles the file.")})
    if assignee_kind == LitigationFile.AssigneeKind.COLLECTOR:
        if assignee is not None and not handlers(tenant).filter(pk=assignee.pk).exists():
            raise ValidationError({"assignee": _("Choose a collector of the company.")})
        return assignee, ""
    assignee_name = " ".join((assignee_name or "").split())
    if not assignee_name:
        raise ValidationError(
            {"assignee_name": _("Give the name of the collection agency or the lawyer.")}
        )
    return None, assignee_name[:200]


def _handled_by(file):
    if file.assignee_kind == LitigationFile.AssigneeKind.COLLECTOR:
        name = file.assignee.get_full_name() if file.assignee else ""
    else:
        name = file.assignee_name
    return f"{file.get_assignee_kind_display()} {name}".strip()


@transaction.atomic
def litigation_open(
    *, tenant, client, actor, today, invoices, assignee_kind, assignee=None, assignee_name=""
):
    """A collector hands a client's overdue invoices to litigation. Their cases leave the
    ladder (state "in litigation", no next step): no more reminders once a lawyer or an
    agency acts. Only invoices past due with a balance go in; those already in an open
    file stay there, and are left out of the new one."""

    overdue = {invoice.pk: invoice for invoice in overdue_invoices(client=client, today=today)}
    if not overdue:
        raise ValidationError(_("This client has no overdue invoice left to pay."))
    chosen = [invoice.pk for invoice in invoices]
    if not chosen:
        raise ValidationError({"invoices": _("Choose the invoices to hand to litigation.")})
    not_overdue = [pk for pk in chosen if pk not in overdue]
    if not_overdue:
        raise ValidationError(
            {"invoices": _("Only this client's overdue invoices with a balance can go in.")}
        )
    taken = invoices_in_open_files(chosen)
    chosen = [pk for pk in chosen if pk not in taken]
    if not chosen:
        raise ValidationError(
            {
                "invoices": _("Already in an open litigation file: %(numbers)s.")
                % {"numbers": ", ".join(overdue[pk].number for pk in sorted(taken))}
            }
        )
    assignee, assignee_name = _assignee(
        tenant=tenant, assignee_kind=assignee_kind, assignee=assignee, assignee_name=assignee_name
    )
    selected = [overdue[pk] for pk in sorted(set(chosen), key=chosen.index)]
    for invoice in selected:
        case_states.case_for_invoice(invoice, tenant=tenant)
    cases = Case.objects.select_for_update().filter(invoice__in=selected)
    list(cases)  # the batch skips locked cases: it cannot dun them while they change
    case_states.cases_open_litigation(cases, next_step=None, next_step_on=None)
    file = LitigationFile.objects.create(
        tenant=tenant,
        client=client,
        state=State.OPENED,
        assignee_kind=assignee_kind,
        assignee=assignee,
        assignee_name=assignee_name,
        invoice_pks=[invoice.pk for invoice in selected],
        amount=sum((invoice.balance for invoice in selected), ZERO),
        opened_on=today,
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        action="dunning.litigation_opened",
        obj=file,
        after={
            "client": client.legal_name,
            "invoices": ", ".join(invoice.number for invoice in selected),
            "amount": file.amount,
            "handled_by": _handled_by(file),
        },
    )
    return file


@transaction.atomic
def litigation_update(
    *, file, actor, state, assignee_kind, assignee=None, assignee_name="", notes="", today
):
    """Moves the file along the procedure (see `next_states`), changes who handles it, or its
    notes. Settled or lost closes it on `today`."""
    file = LitigationFile.objects.select_for_update(of=("self",)).get(pk=file.pk)
    if state not in State.values:
        raise ValidationError({"state": _("Choose a state from the list.")})
    if state != file.state and state not in next_states(file.state):
        if file.state in CLOSED_STATES:
            message = _("This file is closed; its state no longer changes.")
        else:
            message = _("A file at the stage “%(current)s” cannot go back to “%(wanted)s”.") % {
                "current": file.get_state_display(),
                "wanted": State(state).label,
            }
        raise ValidationError({"state": message})
    assignee, assignee_name = _assignee(
        tenant=file.tenant,
        assignee_kind=assignee_kind,
        assignee=assignee,
        assignee_name=assignee_name,
    )
    fields = ["state", "assignee_kind", "assignee", "assignee_name", "notes", "closed_on"]
    before = _snapshot(file)
    file.state = state
    file.assignee_kind = assignee_kind
    file.assignee = assignee
    file.assignee_name = assignee_name
    file.notes = (notes or "").strip()
    if state in CLOSED_STATES and file.closed_on is None:
        file.closed_on = today
    old, new = audit_diff(before, _snapshot(file))
    if not new:
        return file
    file.save(update_fields=fields)
    audit_record(
        tenant=file.tenant,
        actor=actor,
        action="dunning.litigation_updated",
        obj=file,
        before=old,
        after=new,
    )
    return file


def _snapshot(file):
    return {
        "state": file.get_state_display(),
        "handled_by": _handled_by(file),
        "notes": file.notes,
        "closed_on": file.closed_on.isoformat() if file.closed_on else "",
    }


def document_type(uploaded_file):
    """The document's type from its first bytes ("pdf", "png", "jpg"), if its name agrees;
    None otherwise. The name alone proves nothing."""
    extension = os.path.splitext(uploaded_file.name or "")[1].lower()
    uploaded_file.seek(0)
    head = uploaded_file.read(16)
    uploaded_file.seek(0)
    for kind, (magic, extensions) in DOCUMENT_TYPES.items():
        if head.startswith(magic) and extension in extensions:
            return kind
    return None


@transaction.atomic
def litigation_add_document(*, file, actor, title, uploaded_file):
    """Attaches a document to the file (the order, a bailiff's report, a lawyer's letter): a
    PDF, PNG or JPEG of at most 10 MB."""
    errors = {}
    title = " ".join((title or "").split())
    if not title:
        errors["title"] = _("Give the document a title.")
    if uploaded_file is None or not uploaded_file.size:
        errors["file"] = _("Choose a file.")
    elif uploaded_file.size > DOCUMENT_MAX_BYTES:
        errors["file"] = _("The file is larger than 10 MB.")
    elif document_type(uploaded_file) is None:
        errors["file"] = _("Only PDF, PNG and JPEG files are accepted.")
    if errors:
        raise ValidationError(errors)
    kind = document_type(uploaded_file)
    document = LitigationDocument(
        tenant=file.tenant, litigation=file, title=title[:200], uploaded_by=actor
    )
    document.file.save(f"{file.tenant_id}/{file.pk}/document.{kind}", uploaded_file, save=False)
    document.save()
    audit_record(
        tenant=file.tenant,
        actor=actor,
        action="dunning.litigation_updated",
        obj=file,
        after={"document": title},
    )
    return document
