"""Formal notices to post, collection emails and litigation files: services and pages."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dunning.models import Case, Letter, LitigationDocument, LitigationFile, Message, Policy
from dunning.services.ladder import run_ladder
from dunning.services.litigation import (
    letter_mark_posted,
    litigation_add_document,
    litigation_open,
    litigation_update,
)
from portage.batch import paris_today
from portage.models import AuditEntry
from portage.permissions import Role
from portage.tenancy import tenant_context
from tests.dunning.drawing import draw_letter_pdfs
from tests.factories import make_client, make_invoice, make_member

pytestmark = pytest.mark.django_db

TODAY = paris_today()
ISSUED = TODAY - timedelta(days=90)
DUE = ISSUED + timedelta(days=30)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def invoice(tenant_a):
    return make_invoice(tenant_a, issued_on=ISSUED)


def formal_notice(tenant, invoice):
    """The batch's letter for `invoice`: with catch-up, a run 31 days after the due date
    goes straight to the formal notice. It is dated today, with its 8 days to run, as if
    written this morning: a letter past its deadline is not posted
    (tests/dunning/test_stale_letters.py). Its PDF is drawn, as the render task does."""
    assert invoice.due_date == DUE
    with tenant_context(tenant):
        Policy.objects.update(catch_up=True)
        run_ladder(tenant=tenant, today=DUE + timedelta(days=31))
        Letter.objects.filter(client=invoice.client).update(
            letter_date=TODAY, deadline=TODAY + timedelta(days=8)
        )
    draw_letter_pdfs(tenant)
    with tenant_context(tenant):
        return Letter.objects.get(client=invoice.client)


def failed_message(tenant, client, **fields):
    values = {
        "kind": "first_reminder",
        "from_email": "Alpha <relances@alpha.example>",
        "to": ["compta@client.example"],
        "subject": "Relance facture",
        "body_text": "Bonjour,\nmerci de régler la facture.",
        "body_html": "<p>Bonjour</p>",
        "status": Message.Status.FAILED,
        "attempts": 5,
        "last_error": "SMTPRecipientsRefused: 550 mailbox unavailable",
        **fields,
    }
    with tenant_context(tenant):
        return Message.objects.create(tenant=tenant, client=client, **values)


def open_file(tenant, invoice, **fields):
    with tenant_context(tenant):
        return LitigationFile.objects.create(
            tenant=tenant,
            client=invoice.client,
            invoice_pks=[invoice.pk],
            amount=invoice.total_ttc,
            opened_on=TODAY - timedelta(days=5),
            **fields,
        )


def audit_actions(tenant):
    with tenant_context(tenant):
        return list(AuditEntry.objects.values_list("action", flat=True))


# Formal notices


def test_the_batch_s_formal_notice_waits_in_the_print_queue(
    signed_in, collector, tenant_a, invoice
):
    letter = formal_notice(tenant_a, invoice)
    response = signed_in(collector).get(reverse("dunning_letter_list"))
    assert response.status_code == 200
    assert [queued.pk for queued in response.context["to_post"]] == [letter.pk]
    assert letter.total_claimed > invoice.total_ttc
    assert invoice.number.encode() in response.content


def test_the_collector_records_the_registered_mail_number(signed_in, collector, tenant_a, invoice):
    letter = formal_notice(tenant_a, invoice)
    prefix = f"letter{letter.pk}"
    response = signed_in(collector).post(
        reverse("dunning_letter_posted", args=[letter.pk]),
        {f"{prefix}-reference": "1a 234 567 8901 2", f"{prefix}-posted_on": TODAY.isoformat()},
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        letter.refresh_from_db()
    assert (letter.posting, letter.posting_reference, letter.posted_on, letter.posted_by) == (
        "posted",
        "1A 234 567 8901 2",
        TODAY,
        collector.user,
    )
    assert "dunning.letter_posted" in audit_actions(tenant_a)
    listing = signed_in(collector).get(reverse("dunning_letter_list"))
    assert listing.context["to_post"] == []
    assert [posted.pk for posted in listing.context["page"].object_list] == [letter.pk]


def test_posting_without_a_registered_mail_number_is_a_form_error(
    signed_in, collector, tenant_a, invoice
):
    letter = formal_notice(tenant_a, invoice)
    prefix = f"letter{letter.pk}"
    response = signed_in(collector).post(
        reverse("dunning_letter_posted", args=[letter.pk]),
        {f"{prefix}-reference": "  ", f"{prefix}-posted_on": TODAY.isoformat()},
    )
    assert response.status_code == 200
    assert response.context["to_post"][0].form.errors["reference"]
    with tenant_context(tenant_a):
        letter.refresh_from_db()
    assert letter.posting == "to_post"


def test_a_letter_cannot_be_posted_in_the_future_or_before_its_date(tenant_a, collector, invoice):
    letter = formal_notice(tenant_a, invoice)
    with tenant_context(tenant_a), pytest.raises(ValidationError) as refused:
        letter_mark_posted(
            letter=letter,
            actor=collector.user,
            reference="1A23456789012",
            posted_on=letter.letter_date - timedelta(days=1),
            today=TODAY,
        )
    assert "posted_on" in refused.value.error_dict
    with tenant_context(tenant_a), pytest.raises(ValidationError) as refused:
        letter_mark_posted(
            letter=letter,
            actor=collector.user,
            reference="1A23456789012",
            posted_on=TODAY + timedelta(days=1),
            today=TODAY,
        )
    assert "posted_on" in refused.value.error_dict


def test_a_letter_is_posted_once(tenant_a, collector, invoice):
    letter = formal_notice(tenant_a, invoice)
    with tenant_context(tenant_a):
        letter_mark_posted(
            letter=letter, actor=collector.user, reference="1A23456789012", posted_on=TODAY
        )
        with pytest.raises(ValidationError):
            letter_mark_posted(
                letter=letter, actor=collector.user, reference="1A99999999999", posted_on=TODAY
            )
        letter.refresh_from_db()
    assert letter.posting_reference == "1A23456789012"


def test_the_letter_pdf_is_served_inline(signed_in, collector, tenant_a, invoice):
    letter = formal_notice(tenant_a, invoice)
    response = signed_in(collector).get(reverse("dunning_letter_pdf", args=[letter.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline")
    assert f"mise-en-demeure-client-{invoice.client.siren}-{letter.letter_date}.pdf" in disposition
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_letter_whose_pdf_is_not_drawn_yet_sends_back_to_the_print_queue_saying_so(
    signed_in, collector, tenant_a
):
    client = make_client(tenant_a)
    with tenant_context(tenant_a):
        letter = Letter.objects.create(
            tenant=tenant_a,
            client=client,
            letter_date=TODAY,
            deadline=TODAY + timedelta(days=8),
            balance=Decimal("100"),
            penalties=Decimal("0"),
            indemnities=Decimal("40"),
            total_claimed=Decimal("140"),
        )
    response = signed_in(collector).get(
        reverse("dunning_letter_pdf", args=[letter.pk]), follow=True
    )
    assert response.redirect_chain == [(reverse("dunning_letter_list"), 302)]
    [message] = response.context["messages"]
    assert message.level_tag == "warning" and client.legal_name in message.message


# Collection emails


def test_a_failed_message_is_sent_again(
    signed_in, collector, tenant_a, django_capture_on_commit_callbacks
):
    message = failed_message(tenant_a, make_client(tenant_a))
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(collector).post(reverse("dunning_message_retry", args=[message.pk]))
    assert response.status_code == 302
    with tenant_context(tenant_a):
        message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 1, "")
    assert [sent.subject for sent in mail.outbox] == ["Relance facture"]
    assert "dunning.message_retried" in audit_actions(tenant_a)


def test_only_a_failed_message_is_sent_again(signed_in, collector, tenant_a):
    message = failed_message(tenant_a, make_client(tenant_a), status=Message.Status.SENT)
    response = signed_in(collector).post(reverse("dunning_message_retry", args=[message.pk]))
    assert response.status_code == 302
    with tenant_context(tenant_a):
        message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 5)
    assert mail.outbox == []


def test_the_message_list_puts_failures_first_and_filters(signed_in, collector, tenant_a):
    first, second = make_client(tenant_a), make_client(tenant_a)
    failed = failed_message(tenant_a, first)
    queued = failed_message(tenant_a, first, status=Message.Status.QUEUED, attempts=0)
    sent = failed_message(tenant_a, second, status=Message.Status.SENT, last_error="")
    browser = signed_in(collector)
    sections = browser.get(reverse("dunning_message_list")).context["sections"]
    assert [(s["status"], [m.pk for m in s["rows"]]) for s in sections] == [
        ("failed", [failed.pk]),
        ("queued", [queued.pk]),
        ("sent", [sent.pk]),
    ]
    only_sent = browser.get(reverse("dunning_message_list"), {"status": "sent"})
    assert [s["status"] for s in only_sent.context["sections"]] == ["sent"]
    of_second = browser.get(reverse("dunning_message_list"), {"client": second.pk})
    assert [s["status"] for s in of_second.context["sections"]] == ["sent"]


def test_the_message_s_html_is_shown_escaped_in_a_sandbox(signed_in, collector, tenant_a):
    message = failed_message(
        tenant_a,
        make_client(tenant_a),
        body_html='<p onclick="steal()">Bonjour</p><script>alert("x")</script>',
        message_id="<123.456@portage.example>",
    )
    response = signed_in(collector).get(reverse("dunning_message", args=[message.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>alert" not in page
    assert 'onclick="steal()"' not in page
    assert (
        '<iframe class="email-html" sandbox srcdoc="&lt;p onclick=&quot;steal()&quot;&gt;' in page
    )
    assert "&lt;123.456@portage.example&gt;" in page
    assert "550 mailbox unavailable" in page


# Litigation files


def test_the_collector_opens_a_litigation_file(tenant_a, collector, invoice):
    with tenant_context(tenant_a):
        run_ladder(tenant=tenant_a, today=DUE + timedelta(days=1))
        assert Case.objects.get(invoice=invoice).next_step is not None
        file = litigation_open(
            tenant=tenant_a,
            client=invoice.client,
            actor=collector.user,
            today=TODAY,
            invoices=[invoice],
            assignee_kind="lawyer",
            assignee_name="Maître Durand",
        )
        case = Case.objects.get(invoice=invoice)
    assert (case.state, case.next_step, case.next_step_on) == ("litigation", None, None)
    assert (file.state, file.invoice_pks, file.amount) == ("opened", [invoice.pk], invoice.balance)
    assert "dunning.litigation_opened" in audit_actions(tenant_a)


def test_an_invoice_the_batch_has_not_reached_gets_its_case_in_litigation(
    tenant_a, collector, invoice
):
    with tenant_context(tenant_a):
        litigation_open(
            tenant=tenant_a,
            client=invoice.client,
            actor=collector.user,
            today=TODAY,
            invoices=[invoice],
            assignee_kind="collector",
            assignee=collector.user,
        )
        assert Case.objects.get(invoice=invoice).state == "litigation"
        run_ladder(tenant=tenant_a, today=TODAY)
        assert Case.objects.get(invoice=invoice).state == "litigation"
        assert Letter.objects.count() == 0


def test_a_client_with_nothing_overdue_is_not_taken_to_litigation(tenant_a, collector):
    not_due = make_invoice(tenant_a, issued_on=TODAY - timedelta(days=3))
    with tenant_context(tenant_a), pytest.raises(ValidationError):
        litigation_open(
            tenant=tenant_a,
            client=not_due.client,
            actor=collector.user,
            today=TODAY,
            invoices=[not_due],
            assignee_kind="agency",
            assignee_name="Recouvre SA",
        )


def test_an_invoice_is_in_one_open_file_at_a_time(tenant_a, collector, invoice):
    open_file(tenant_a, invoice)
    with tenant_context(tenant_a), pytest.raises(ValidationError) as refused:
        litigation_open(
            tenant=tenant_a,
            client=invoice.client,
            actor=collector.user,
            today=TODAY,
            invoices=[invoice],
            assignee_kind="agency",
            assignee_name="Recouvre SA",
        )
    assert invoice.number in str(refused.value)


def test_invoices_already_in_an_open_file_stay_out_of_a_new_one(tenant_a, collector, invoice):
    open_file(tenant_a, invoice)
    later = make_invoice(
        tenant_a,
        client=invoice.client,
        consultant=invoice.consultant,
        issued_on=ISSUED + timedelta(days=10),
    )
    with tenant_context(tenant_a):
        file = litigation_open(
            tenant=tenant_a,
            client=invoice.client,
            actor=collector.user,
            today=TODAY,
            invoices=[invoice, later],
            assignee_kind="collector",
            assignee=collector.user,
        )
    assert (file.invoice_pks, file.amount) == ([later.pk], later.balance)


def test_only_someone_of_the_company_s_collections_handles_a_file(
    tenant_a, collector, admin_a, invoice
):
    accountant = make_member(tenant_a, Role.ACCOUNTANT)
    with tenant_context(tenant_a), pytest.raises(ValidationError) as refused:
        litigation_open(
            tenant=tenant_a,
            client=invoice.client,
            actor=collector.user,
            today=TODAY,
            invoices=[invoice],
            assignee_kind="collector",
            assignee=accountant.user,
        )
    assert "assignee" in refused.value.error_dict
    with tenant_context(tenant_a):
        file = litigation_open(
            tenant=tenant_a,
            client=invoice.client,
            actor=admin_a.user,
            today=TODAY,
            invoices=[invoice],
            assignee_kind="collector",
            assignee=admin_a.user,
        )
    assert file.assignee == admin_a.user


def test_the_file_moves_forward_and_closes_when_settled(signed_in, collector, tenant_a, invoice):
    file = open_file(tenant_a, invoice)
    browser = signed_in(collector)
    url = reverse("dunning_litigation", args=[file.pk])
    response = browser.post(
        url,
        {
            "action": "update",
            "state": "order_requested",
            "assignee_kind": "lawyer",
            "assignee_name": "Maître Durand",
            "notes": "Requête déposée au tribunal de commerce.",
        },
    )
    assert response.status_code == 302
    response = browser.post(
        url,
        {
            "action": "update",
            "state": "settled",
            "assignee_kind": "lawyer",
            "assignee_name": "Maître Durand",
        },
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        file.refresh_from_db()
    assert (file.state, file.assignee_name, file.closed_on) == ("settled", "Maître Durand", TODAY)
    assert audit_actions(tenant_a).count("dunning.litigation_updated") == 2
    reopened = browser.post(
        url,
        {
            "action": "update",
            "state": "enforcement",
            "assignee_kind": "lawyer",
            "assignee_name": "Maître Durand",
        },
    )
    assert reopened.status_code == 200
    assert reopened.context["update_form"].errors["state"]


def test_a_file_does_not_go_back_in_the_procedure(tenant_a, collector, invoice):
    file = open_file(tenant_a, invoice, state=LitigationFile.State.ORDER_OBTAINED)
    with tenant_context(tenant_a), pytest.raises(ValidationError) as refused:
        litigation_update(
            file=file,
            actor=collector.user,
            state="order_requested",
            assignee_kind="collector",
            today=TODAY,
        )
    assert "state" in refused.value.error_dict


def test_a_document_is_added_and_downloaded(signed_in, collector, tenant_a, invoice):
    file = open_file(tenant_a, invoice)
    browser = signed_in(collector)
    response = browser.post(
        reverse("dunning_litigation", args=[file.pk]),
        {
            "action": "upload",
            "title": "Ordonnance d'injonction de payer",
            "file": SimpleUploadedFile("ordonnance.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        document = LitigationDocument.objects.get()
    download = browser.get(reverse("dunning_litigation_document", args=[file.pk, document.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert "attachment" in download["Content-Disposition"]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("facture.pdf", b"MZ\x90\x00 not a pdf at all"),  # a program named .pdf
        ("photo.png", PDF),  # a PDF named .png
        ("notes.txt", b"%PDF-1.4 but a text name"),
        ("big.pdf", PDF + b"\x00" * (10 * 1024 * 1024)),
    ],
)
def test_a_document_that_is_not_a_small_pdf_png_or_jpeg_is_refused(
    signed_in, collector, tenant_a, invoice, name, content
):
    file = open_file(tenant_a, invoice)
    response = signed_in(collector).post(
        reverse("dunning_litigation", args=[file.pk]),
        {"action": "upload", "title": "Pièce", "file": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 200
    assert response.context["document_form"].errors["file"]
    with tenant_context(tenant_a):
        assert not LitigationDocument.objects.exists()


def test_a_png_is_accepted(tenant_a, collector, invoice):
    file = open_file(tenant_a, invoice)
    with tenant_context(tenant_a):
        document = litigation_add_document(
            file=file,
            actor=collector.user,
            title="Photo du courrier",
            uploaded_file=SimpleUploadedFile("courrier.PNG", PNG),
        )
    assert document.file.name.endswith(".png")


def test_a_document_of_another_file_answers_404(signed_in, collector, tenant_a, invoice):
    file = open_file(tenant_a, invoice)
    other = open_file(tenant_a, make_invoice(tenant_a, issued_on=ISSUED))
    with tenant_context(tenant_a):
        document = litigation_add_document(
            file=other,
            actor=collector.user,
            title="Pièce",
            uploaded_file=SimpleUploadedFile("piece.pdf", PDF),
        )
    response = signed_in(collector).get(
        reverse("dunning_litigation_document", args=[file.pk, document.pk])
    )
    assert response.status_code == 404


def test_the_litigation_pages_list_open_files_first(signed_in, collector, tenant_a, invoice):
    opened = open_file(tenant_a, invoice)
    closed = open_file(
        tenant_a,
        make_invoice(tenant_a, issued_on=ISSUED),
        state=LitigationFile.State.LOST,
        closed_on=TODAY,
    )
    browser = signed_in(collector)
    listing = browser.get(reverse("dunning_litigation_list"))
    assert [file.pk for file in listing.context["open_files"]] == [opened.pk]
    assert [file.pk for file in listing.context["page"].object_list] == [closed.pk]
    detail = browser.get(reverse("dunning_litigation", args=[opened.pk]))
    assert detail.status_code == 200
    assert [row.pk for row in detail.context["invoices"]] == [invoice.pk]
    assert detail.context["balance"] == invoice.total_ttc


# Permissions and tenancy


def test_a_consultant_sees_none_of_these_pages(signed_in, tenant_a, invoice):
    file = open_file(tenant_a, invoice)
    message = failed_message(tenant_a, invoice.client)
    browser = signed_in(make_member(tenant_a, Role.CONSULTANT))
    for url in [
        reverse("dunning_letter_list"),
        reverse("dunning_message_list"),
        reverse("dunning_message", args=[message.pk]),
        reverse("dunning_litigation_list"),
        reverse("dunning_litigation", args=[file.pk]),
    ]:
        assert browser.get(url).status_code == 403, url
    assert browser.post(reverse("dunning_message_retry", args=[message.pk])).status_code == 403


def test_an_accountant_reads_but_changes_nothing(signed_in, tenant_a, invoice):
    file = open_file(tenant_a, invoice)
    message = failed_message(tenant_a, invoice.client)
    browser = signed_in(make_member(tenant_a, Role.ACCOUNTANT))
    detail = browser.get(reverse("dunning_litigation", args=[file.pk]))
    assert detail.status_code == 200 and not detail.context["can_manage"]
    update = browser.post(
        reverse("dunning_litigation", args=[file.pk]),
        {"action": "update", "state": "lost", "assignee_kind": "collector"},
    )
    assert update.status_code == 403
    assert browser.post(reverse("dunning_message_retry", args=[message.pk])).status_code == 403
    with tenant_context(tenant_a):
        file.refresh_from_db()
        message.refresh_from_db()
    assert (file.state, message.status) == ("opened", "failed")


def test_another_tenant_s_letters_messages_and_files_answer_404(
    signed_in, collector, tenant_a, tenant_b
):
    invoice_b = make_invoice(tenant_b, issued_on=ISSUED)
    letter = formal_notice(tenant_b, invoice_b)
    message = failed_message(tenant_b, invoice_b.client)
    file = open_file(tenant_b, invoice_b)
    with tenant_context(tenant_b):
        document = litigation_add_document(
            file=file,
            actor=make_member(tenant_b, Role.COLLECTOR).user,
            title="Pièce",
            uploaded_file=SimpleUploadedFile("piece.pdf", PDF),
        )
    browser = signed_in(collector)
    for url in [
        reverse("dunning_letter_pdf", args=[letter.pk]),
        reverse("dunning_message", args=[message.pk]),
        reverse("dunning_litigation", args=[file.pk]),
        reverse("dunning_litigation_document", args=[file.pk, document.pk]),
    ]:
        assert browser.get(url).status_code == 404, url
    prefix = f"letter{letter.pk}"
    posted = browser.post(
        reverse("dunning_letter_posted", args=[letter.pk]),
        {f"{prefix}-reference": "1A23456789012", f"{prefix}-posted_on": TODAY.isoformat()},
    )
    assert posted.status_code == 404
    assert browser.post(reverse("dunning_message_retry", args=[message.pk])).status_code == 404
    assert browser.get(reverse("dunning_letter_list")).context["to_post"] == []
    assert browser.get(reverse("dunning_litigation_list")).context["open_files"].count() == 0
    sections = browser.get(reverse("dunning_message_list")).context["sections"]
    assert all(not section["rows"] for section in sections)
