"""A formal notice's PDF drawn after the daily batch committed: the batch records the
letter without drawing it, the render task draws it once from the letter's stored
figures, the email copy leaves only with it, a failure shows on the print queue and is
drawn again, and nothing of it crosses from one company to another."""

import hashlib
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from dunning import tasks
from dunning.jobs import run as dunning_job
from dunning.models import Letter, Message, Policy
from dunning.services import letters
from dunning.services.letters import letter_regenerate, letters_draw_missing
from dunning.services.litigation import letter_mark_posted
from dunning.services.mail import deliver
from invoices.services.payments import payment_record
from portage.batch import run_job_for_tenant
from portage.tenancy import PLATFORM_DB, tenant_context
from tests.dunning.drawing import draw_letter_pdfs
from tests.factories import make_client, make_consultant, make_invoice, make_member
from tests.helpers import caller

ISSUED = date(2026, 3, 2)  # due 1 April 2026
LETTER_DAY = date(2026, 5, 1)  # 30 days late: 14 623,80 € claimed for two invoices


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def two_late_invoices(tenant, name="Durand & Fils"):
    client = make_client(tenant, legal_name=name)
    consultant = make_consultant(tenant)
    invoices = [
        make_invoice(tenant, client=client, consultant=consultant, issued_on=ISSUED)
        for _ in range(2)
    ]
    with tenant_context(tenant):
        Policy.objects.update(catch_up=True)
    return invoices


def batch(tenant, capture, day=LETTER_DAY):
    """The day's run, its after-commit work done (emails sent, render tasks queued)."""
    with tenant_context(tenant), capture(execute=True):
        dunning_job(tenant=tenant, today=day)
    with tenant_context(tenant):
        return Letter.objects.get()


@pytest.fixture
def renders(monkeypatch):
    """Counts the renderer's calls; `renders.fail = True` makes it raise."""

    class Renders:
        count = 0
        fail = False

    real = letters.render_letter_pdf

    def render(letter):
        Renders.count += 1
        if Renders.fail:
            raise RuntimeError("WeasyPrint could not load the letterhead")
        return real(letter)

    monkeypatch.setattr(letters, "render_letter_pdf", render)
    return Renders


@pytest.fixture
def queued(monkeypatch):
    """The render tasks sent to the broker, as (tenant id, letter id)."""
    sent = []
    monkeypatch.setattr(
        tasks.render_letter_pdf_task,
        "delay",
        lambda *, tenant_id, letter_id: sent.append((tenant_id, letter_id)),
    )
    return sent


def pdf_text(letter):
    with letter.pdf.open("rb") as pdf:
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.read())).pages)
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def copies_sent():
    return [email for email in mail.outbox if email.attachments]


# The batch


@pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])
def test_the_batch_commits_the_letter_without_drawing_it_and_queues_its_render_task(
    tenant_a, renders, queued
):
    two_late_invoices(tenant_a)
    renders.fail = True  # a renderer that would fail inside the batch would fail the batch
    summary = run_job_for_tenant("dunning", tenant=tenant_a, today=LETTER_DAY)
    assert summary["letters"] == 1
    assert renders.count == 0
    with tenant_context(tenant_a):
        letter = Letter.objects.get()
    assert (letter.pdf_state, bool(letter.pdf), letter.pdf_sha256) == ("pending", False, "")
    assert letter.total_claimed == Decimal("14623.80")
    assert queued == [(tenant_a.pk, letter.pk)]  # sent once the day's transaction committed


def test_the_render_task_draws_the_letter_and_stores_its_sha256(
    tenant_a, django_capture_on_commit_callbacks
):
    two_late_invoices(tenant_a)
    letter = batch(tenant_a, django_capture_on_commit_callbacks)
    answer = tasks.render_letter_pdf_task(tenant_id=tenant_a.pk, letter_id=letter.pk)
    with tenant_context(tenant_a):
        letter.refresh_from_db()
        with letter.pdf.open("rb") as pdf:
            content = pdf.read()
    assert letter.pdf_state == Letter.PdfState.READY and letter.pdf_attempts == 1
    assert answer == {"letter": letter.pk, "pdf_sha256": hashlib.sha256(content).hexdigest()}
    assert letter.pdf_sha256 == hashlib.sha256(content).hexdigest()
    assert letter.pdf.name.endswith(f"{tenant_a.pk}/mise-en-demeure-{letter.pk}.pdf")


def test_the_pdf_states_the_figures_of_the_letter_s_date_not_those_of_the_drawing(
    tenant_a, django_capture_on_commit_callbacks
):
    """Paid in part after the batch and before the task ran: the letter still claims what
    it claimed on its date."""
    invoices = two_late_invoices(tenant_a)
    letter = batch(tenant_a, django_capture_on_commit_callbacks)
    with tenant_context(tenant_a):
        payment_record(
            client=invoices[0].client,
            amount=Decimal("1000.00"),
            received_on=LETTER_DAY,
            by=make_member(tenant_a, "collector").user,
            allocations=[(invoices[0], Decimal("1000.00"))],
        )
    [drawn] = draw_letter_pdfs(tenant_a)
    with tenant_context(tenant_a):
        text = pdf_text(drawn)
    assert drawn.total_claimed == letter.total_claimed == Decimal("14623.80")
    assert "14 623,80" in text and "7 200,00" in text


def test_a_render_task_run_twice_draws_the_letter_once(
    tenant_a, renders, django_capture_on_commit_callbacks
):
    two_late_invoices(tenant_a)
    letter = batch(tenant_a, django_capture_on_commit_callbacks)
    first = tasks.render_letter_pdf_task(tenant_id=tenant_a.pk, letter_id=letter.pk)
    again = tasks.render_letter_pdf_task(tenant_id=tenant_a.pk, letter_id=letter.pk)
    with tenant_context(tenant_a):
        letter.refresh_from_db()
    assert first == again
    assert renders.count == 1
    assert (letter.pdf_attempts, letter.pdf_sha256) == (1, first["pdf_sha256"])


# The email copy


def test_the_email_copy_waits_for_the_pdf_then_leaves_once_with_it(
    tenant_a, django_capture_on_commit_callbacks
):
    two_late_invoices(tenant_a)
    letter = batch(tenant_a, django_capture_on_commit_callbacks)
    with tenant_context(tenant_a):
        copy = Message.objects.get(attachments__contains=[{"letter": letter.pk}])
    assert copy.status == Message.Status.HELD
    assert deliver(tenant_a.pk, copy.pk, now=timezone.now() + timedelta(days=1)) is None
    assert copies_sent() == []
    with django_capture_on_commit_callbacks(execute=True):
        draw_letter_pdfs(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.render_letter_pdf_task(tenant_id=tenant_a.pk, letter_id=letter.pk)
    assert deliver(tenant_a.pk, copy.pk, now=timezone.now() + timedelta(days=1)) is None
    [email] = copies_sent()
    [(name, content, kind)] = email.attachments
    assert (name, kind) == (f"mise-en-demeure-{letter.pk}.pdf", "application/pdf")
    with tenant_context(tenant_a):
        copy.refresh_from_db()
        letter.refresh_from_db()
    assert hashlib.sha256(content).hexdigest() == letter.pdf_sha256
    assert (copy.status, copy.attempts) == (Message.Status.SENT, 1)


def test_a_copy_queued_before_its_letter_s_pdf_is_held_again_not_sent(
    tenant_a, django_capture_on_commit_callbacks
):
    two_late_invoices(tenant_a)
    letter = batch(tenant_a, django_capture_on_commit_callbacks)
    with tenant_context(tenant_a):
        copy = Message.objects.get(attachments__contains=[{"letter": letter.pk}])
        Message.objects.filter(pk=copy.pk).update(status=Message.Status.QUEUED)
    assert deliver(tenant_a.pk, copy.pk) is None
    with tenant_context(tenant_a):
        copy.refresh_from_db()
    assert (copy.status, copy.attempts, copies_sent()) == (Message.Status.HELD, 0, [])


# A PDF that could not be drawn


def test_a_failed_drawing_is_recorded_and_the_task_retried(
    tenant_a, renders, django_capture_on_commit_callbacks
):
    two_late_invoices(tenant_a)
    letter = batch(tenant_a, django_capture_on_commit_callbacks)
    renders.fail = True
    with pytest.raises(tasks.LetterPdfFailed, match="letterhead"):
        tasks.render_letter_pdf_task(tenant_id=tenant_a.pk, letter_id=letter.pk)
    with tenant_context(tenant_a):
        letter.refresh_from_db()
        copy = Message.objects.get(attachments__contains=[{"letter": letter.pk}])
    assert (letter.pdf_state, letter.pdf_attempts, bool(letter.pdf)) == ("failed", 1, False)
    assert letter.pdf_error == "RuntimeError: WeasyPrint could not load the letterhead"
    assert copy.status == Message.Status.HELD
    renders.fail = False
    with django_capture_on_commit_callbacks(execute=True):
        tasks.render_letter_pdf_task(tenant_id=tenant_a.pk, letter_id=letter.pk)
    with tenant_context(tenant_a):
        letter.refresh_from_db()
    assert (letter.pdf_state, letter.pdf_attempts, letter.pdf_error) == ("ready", 2, "")
    assert len(copies_sent()) == 1


def test_the_print_queue_shows_a_failed_pdf_and_the_collector_draws_it_again(
    tenant_a, renders, signed_in, collector, django_capture_on_commit_callbacks
):
    two_late_invoices(tenant_a)
    letter = batch(tenant_a, django_capture_on_commit_callbacks)
    renders.fail = True
    draw_again = reverse("dunning_letter_pdf_retry", args=[letter.pk])
    with pytest.raises(tasks.LetterPdfFailed):
        tasks.render_letter_pdf_task(tenant_id=tenant_a.pk, letter_id=letter.pk)
    browser = signed_in(collector)
    page = browser.get(reverse("dunning_letter_list")).content.decode()
    assert "letters-pdf-failed" in page and 'class="letter-pdf-failed"' in page
    assert "WeasyPrint could not load the letterhead" in page
    assert draw_again in page
    assert reverse("dunning_letter_posted", args=[letter.pk]) not in page
    renders.fail = False
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(draw_again)
    assert response.status_code == 302
    with tenant_context(tenant_a):
        letter.refresh_from_db()
    assert letter.pdf_state == Letter.PdfState.READY
    assert len(copies_sent()) == 1
    page = browser.get(reverse("dunning_letter_list")).content.decode()
    assert "letters-pdf-failed" not in page
    assert reverse("dunning_letter_posted", args=[letter.pk]) in page


def test_a_reader_cannot_draw_a_pdf_again(
    tenant_a, member, signed_in, django_capture_on_commit_callbacks
):
    two_late_invoices(tenant_a)
    letter = batch(tenant_a, django_capture_on_commit_callbacks)
    accountant = member(tenant_a, "accountant")
    response = signed_in(accountant).post(reverse("dunning_letter_pdf_retry", args=[letter.pk]))
    assert response.status_code == 403
    with tenant_context(tenant_a):
        assert Letter.objects.get().pdf_state == Letter.PdfState.PENDING


@pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])
def test_the_sweep_draws_the_letters_whose_task_was_lost_or_ran_out_of_retries(
    tenant_a, renders, queued
):
    two_late_invoices(tenant_a)
    run_job_for_tenant("dunning", tenant=tenant_a, today=LETTER_DAY)
    now = timezone.now()
    assert letters_draw_missing(now=now) == {"drawn": 0, "failed": 0}  # its task may be running
    renders.fail = True
    later = now + letters.SWEEP_AFTER + timedelta(seconds=1)
    assert letters_draw_missing(now=later) == {"drawn": 0, "failed": 1}
    tried = timezone.now()
    assert letters_draw_missing(now=tried) == {"drawn": 0, "failed": 0}  # tried just now
    renders.fail = False
    drawn = letters_draw_missing(now=tried + letters.SWEEP_AFTER + timedelta(seconds=1))
    assert drawn == {"drawn": 1, "failed": 0}
    with tenant_context(tenant_a):
        letter = Letter.objects.get()
    assert (letter.pdf_state, letter.pdf_attempts) == ("ready", 2)
    assert len(copies_sent()) == 1


# Posting, downloading


def test_a_letter_without_its_pdf_cannot_be_recorded_as_posted(
    tenant_a, collector, signed_in, django_capture_on_commit_callbacks
):
    two_late_invoices(tenant_a)
    letter = batch(tenant_a, django_capture_on_commit_callbacks)
    with tenant_context(tenant_a), pytest.raises(ValidationError) as refused:
        letter_mark_posted(
            letter=letter,
            actor=collector.user,
            reference="1A 234 567 8901 2",
            posted_on=LETTER_DAY,
            today=LETTER_DAY,
        )
    assert "not drawn yet" in " ".join(refused.value.messages)
    prefix = f"letter{letter.pk}"
    response = signed_in(collector).post(
        reverse("dunning_letter_posted", args=[letter.pk]),
        {f"{prefix}-reference": "1A 234 567 8901 2", f"{prefix}-posted_on": "01/05/2026"},
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        letter.refresh_from_db()
    assert (letter.posting, letter.posting_reference) == (Letter.Posting.TO_POST, "")


def test_the_print_queue_says_a_pdf_is_being_drawn(
    tenant_a, collector, signed_in, django_capture_on_commit_callbacks
):
    two_late_invoices(tenant_a)
    letter = batch(tenant_a, django_capture_on_commit_callbacks)
    page = signed_in(collector).get(reverse("dunning_letter_list")).content.decode()
    assert 'class="letter-pdf-pending"' in page and "letter-post-waits" in page
    assert reverse("dunning_letter_pdf", args=[letter.pk]) not in page


@pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])
def test_the_api_answers_409_for_a_letter_whose_pdf_is_not_drawn_yet(tenant_a, queued):
    two_late_invoices(tenant_a)
    run_job_for_tenant("dunning", tenant=tenant_a, today=LETTER_DAY)
    client = caller(tenant_a, "read")
    [row] = client.get("/api/v1/letters/").json()["results"]
    assert (row["has_pdf"], row["pdf_state"]) == (False, "pending")
    answer = client.get(f"/api/v1/letters/{row['id']}/pdf/", HTTP_ACCEPT="application/pdf")
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "pdf_not_ready"
    draw_letter_pdfs(tenant_a)
    answer = client.get(f"/api/v1/letters/{row['id']}/pdf/")
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content).startswith(b"%PDF")
    assert client.get(f"/api/v1/letters/{row['id']}/").json()["pdf_state"] == "ready"


# The letter written again


def test_a_regenerated_letter_is_drawn_at_once(
    tenant_a, renders, django_capture_on_commit_callbacks
):
    two_late_invoices(tenant_a)
    batch(tenant_a, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        [old] = draw_letter_pdfs(tenant_a)
    with tenant_context(tenant_a), django_capture_on_commit_callbacks(execute=True):
        new = letter_regenerate(
            letter=old, actor=make_member(tenant_a, "collector").user, today=date(2026, 5, 20)
        )
    assert (new.pdf_state, renders.count) == ("ready", 2)
    assert len(copies_sent()) == 2  # the first letter's copy, then the new one's


def test_a_regeneration_stands_when_its_pdf_fails_and_its_copy_waits(
    tenant_a, renders, django_capture_on_commit_callbacks
):
    two_late_invoices(tenant_a)
    batch(tenant_a, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        [old] = draw_letter_pdfs(tenant_a)
    renders.fail = True
    with tenant_context(tenant_a), django_capture_on_commit_callbacks(execute=True):
        new = letter_regenerate(
            letter=old, actor=make_member(tenant_a, "collector").user, today=date(2026, 5, 20)
        )
    with tenant_context(tenant_a):
        old.refresh_from_db()
        copy = Message.objects.get(attachments__contains=[{"letter": new.pk}])
    assert (old.posting, new.replaces_id, new.pdf_state) == ("replaced", old.pk, "failed")
    assert copy.status == Message.Status.HELD
    assert len(copies_sent()) == 1
    renders.fail = False
    with django_capture_on_commit_callbacks(execute=True):
        tasks.render_letter_pdf_task(tenant_id=tenant_a.pk, letter_id=new.pk)
    assert len(copies_sent()) == 2


# Two companies


@pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])
def test_each_company_s_letters_are_drawn_in_its_own_context_and_seen_by_it_alone(
    tenant_a, tenant_b, collector, signed_in, queued
):
    two_late_invoices(tenant_a, name="Client Alpha")
    two_late_invoices(tenant_b, name="Client Beta")
    for tenant in (tenant_a, tenant_b):
        run_job_for_tenant("dunning", tenant=tenant, today=LETTER_DAY)
    with tenant_context(tenant_b):
        letter_b = Letter.objects.get()
    with pytest.raises(Letter.DoesNotExist):
        tasks.render_letter_pdf_task(tenant_id=tenant_a.pk, letter_id=letter_b.pk)
    later = timezone.now() + letters.SWEEP_AFTER + timedelta(seconds=1)
    assert letters_draw_missing(now=later) == {"drawn": 2, "failed": 0}
    for tenant in (tenant_a, tenant_b):
        with tenant_context(tenant):
            letter = Letter.objects.get()
        assert letter.pdf.name.startswith(f"dunning/letters/{tenant.pk}/")
    with tenant_context(tenant_b):
        assert "Client Beta" in pdf_text(Letter.objects.get())
    browser = signed_in(collector)
    page = browser.get(reverse("dunning_letter_list")).content.decode()
    assert "Client Alpha" in page and "Client Beta" not in page
    assert browser.get(reverse("dunning_letter_pdf", args=[letter_b.pk])).status_code == 404
    assert browser.post(reverse("dunning_letter_pdf_retry", args=[letter_b.pk])).status_code == 404
