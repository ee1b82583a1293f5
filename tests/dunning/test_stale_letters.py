"""A formal notice left unposted past its final deadline: flagged on the print queue, not
posted as it is, written again (new date, penalties to the new date, new deadline), the old
one kept and marked replaced."""

import html
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from dunning.jobs import run as dunning_job
from dunning.models import Action, Letter, Message, Policy
from dunning.services.cases import pause_create
from dunning.services.letters import (
    letter_is_stale,
    letter_regenerate,
    letter_withdraw,
    stale_letters,
)
from dunning.services.litigation import letter_mark_posted
from invoices.models import BankLine, Invoice
from invoices.services.bank import bank_line_dismiss
from invoices.services.payments import payment_record
from portage.models import AuditEntry
from portage.tenancy import tenant_context
from tests.dunning.drawing import draw_letter_pdfs
from tests.dunning.test_bank_hold import propose_credit
from tests.factories import make_client, make_consultant, make_invoice, make_member

pytestmark = pytest.mark.django_db

ISSUED = date(2026, 3, 2)  # due 2026-04-01
LETTER_DAY = date(2026, 5, 1)  # the batch's letter: deadline 9 May 2026 (8 days)
AGAIN = date(2026, 5, 20)  # written again: 49 days late, deadline 28 May 2026


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def letter(tenant_a, in_tenant):
    """The batch's formal notice of 1 May 2026 for two invoices of 7 200,00 € TTC due
    1 April 2026: 30 days late, 71,90 € of penalties each, 14 623,80 € claimed; its PDF
    drawn by the render task."""
    client = make_client(tenant_a, legal_name="Durand & Fils")
    consultant = make_consultant(tenant_a)
    for _ in range(2):
        make_invoice(tenant_a, client=client, consultant=consultant, issued_on=ISSUED)
    with in_tenant(tenant_a):
        Policy.objects.update(catch_up=True)
        from dunning.jobs import run as dunning_job

        dunning_job(tenant=tenant_a, today=LETTER_DAY)
    [drawn] = draw_letter_pdfs(tenant_a)
    return drawn


def regenerated(tenant, letter, user, today=AGAIN):
    with tenant_context(tenant):
        return letter_regenerate(letter=letter, actor=user, today=today)


def test_a_letter_still_to_post_after_its_deadline_is_stale(letter, tenant_a, in_tenant):
    assert letter.deadline == date(2026, 5, 9)
    assert not letter_is_stale(letter, today=date(2026, 5, 9))
    assert letter_is_stale(letter, today=date(2026, 5, 10))
    with in_tenant(tenant_a):
        assert list(stale_letters(today=date(2026, 5, 10))) == [letter]


def test_regenerating_counts_the_penalties_to_the_new_date(letter, tenant_a, in_tenant):
    """On 20 May 2026 each invoice is 49 days late (2 April to 20 May). Rate: H1 2026 ECB
    2,15 % + 10 points = 12,15 %. Penalties: 7 200,00 × 12,15 % × 49 / 365 = 117,4389…
    → 117,44 € each, 234,88 €; indemnities 2 × 40,00 €; total 14 400,00 + 234,88 + 80,00
    = 14 714,88 €. New deadline: 8 days after, 28 May 2026."""
    collector = make_member(tenant_a, "collector")
    new = regenerated(tenant_a, letter, collector.user)
    assert (new.letter_date, new.deadline) == (AGAIN, date(2026, 5, 28))
    assert [(line["days_late"], line["penalty"]) for line in new.lines] == [
        (49, "117.44"),
        (49, "117.44"),
    ]
    assert (new.balance, new.penalties, new.indemnities, new.total_claimed) == (
        Decimal("14400.00"),
        Decimal("234.88"),
        Decimal("80.00"),
        Decimal("14714.88"),
    )
    assert new.posting == Letter.Posting.TO_POST and new.replaces == letter
    with in_tenant(tenant_a):
        letter.refresh_from_db()
        entry = AuditEntry.objects.get(action="dunning.letter_regenerated")
    assert (letter.posting, letter.total_claimed) == (Letter.Posting.REPLACED, Decimal("14623.80"))
    assert entry.before["total_claimed"] == "14623.80"
    assert entry.after["total_claimed"] == "14714.88"


def test_the_new_letter_s_pdf_says_it_replaces_the_old_one(letter, tenant_a):
    new = regenerated(tenant_a, letter, make_member(tenant_a, "collector").user)
    with new.pdf.open("rb") as pdf:
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.read())).pages)
    text = text.replace("\u202f", " ").replace("\xa0", " ")
    for expected in ["annule et remplace", "1 mai 2026", "234,88", "14 714,88", "28 mai 2026"]:
        assert expected in text, expected


def test_an_invoice_paid_since_the_first_letter_is_left_out(letter, tenant_a, in_tenant):
    """Invoice 2 paid on 12 May: the new letter claims invoice 1 alone, 7 200,00 + 117,44
    + 40,00 = 7 357,44 €."""
    collector = make_member(tenant_a, "collector")
    with in_tenant(tenant_a):
        paid = Invoice.objects.get(pk=letter.lines[1]["invoice_pk"])
        payment_record(
            client=paid.client,
            amount=Decimal("7200.00"),
            received_on=date(2026, 5, 12),
            by=collector.user,
            allocations=[(paid, Decimal("7200.00"))],
        )
    new = regenerated(tenant_a, letter, collector.user)
    assert [line["invoice_pk"] for line in new.lines] == [letter.lines[0]["invoice_pk"]]
    assert new.total_claimed == Decimal("7357.44")


def test_a_letter_whose_deadline_has_not_passed_is_not_regenerated(letter, tenant_a):
    with pytest.raises(ValidationError):
        regenerated(
            tenant_a, letter, make_member(tenant_a, "collector").user, today=date(2026, 5, 9)
        )


def test_a_letter_is_replaced_once(letter, tenant_a):
    collector = make_member(tenant_a, "collector")
    regenerated(tenant_a, letter, collector.user)
    with pytest.raises(ValidationError):
        regenerated(tenant_a, letter, collector.user, today=date(2026, 5, 21))


def post(tenant, letter, user, posted_on, today):
    with tenant_context(tenant):
        return letter_mark_posted(
            letter=letter, actor=user, reference="1A23456789012", posted_on=posted_on, today=today
        )


def test_a_stale_letter_cannot_be_posted_after_its_deadline(letter, tenant_a):
    collector = make_member(tenant_a, "collector")
    with pytest.raises(ValidationError) as refused:
        post(tenant_a, letter, collector.user, posted_on=date(2026, 5, 10), today=AGAIN)
    assert "posted_on" in refused.value.error_dict


def test_a_letter_posted_before_its_deadline_can_still_be_recorded_later(letter, tenant_a):
    collector = make_member(tenant_a, "collector")
    posted = post(tenant_a, letter, collector.user, posted_on=date(2026, 5, 4), today=AGAIN)
    assert posted.posting == Letter.Posting.POSTED


def test_a_replaced_letter_cannot_be_posted(letter, tenant_a):
    collector = make_member(tenant_a, "collector")
    regenerated(tenant_a, letter, collector.user)
    with pytest.raises(ValidationError):
        post(tenant_a, letter, collector.user, posted_on=AGAIN, today=AGAIN)


# The print queue


@pytest.fixture
def on_day(monkeypatch):
    def set_day(day):
        monkeypatch.setattr("dunning.views.litigation.paris_today", lambda: day)

    return set_day


def test_the_print_queue_flags_a_stale_letter_and_offers_to_regenerate_it(
    signed_in, collector, letter, on_day
):
    on_day(AGAIN)
    response = signed_in(collector).get(reverse("dunning_letter_list"))
    assert [queued.stale for queued in response.context["to_post"]] == [True]
    assert response.context["stale_count"] == 1
    assert reverse("dunning_letter_regenerate", args=[letter.pk]).encode() in response.content


def test_a_letter_in_time_is_not_flagged(signed_in, collector, letter, on_day):
    on_day(date(2026, 5, 9))
    response = signed_in(collector).get(reverse("dunning_letter_list"))
    assert [queued.stale for queued in response.context["to_post"]] == [False]
    assert reverse("dunning_letter_regenerate", args=[letter.pk]).encode() not in response.content


def test_the_confirmation_shows_the_new_figures_and_writes_nothing(
    signed_in, collector, letter, tenant_a, in_tenant, on_day
):
    on_day(AGAIN)
    response = signed_in(collector).get(reverse("dunning_letter_regenerate", args=[letter.pk]))
    assert response.status_code == 200
    new = response.context["new"]
    assert (new["deadline"], new["penalties"], new["total_claimed"]) == (
        date(2026, 5, 28),
        Decimal("234.88"),
        Decimal("14714.88"),
    )
    with in_tenant(tenant_a):
        assert Letter.objects.count() == 1


def test_the_collector_regenerates_a_stale_letter(
    signed_in, collector, letter, tenant_a, in_tenant, on_day
):
    on_day(AGAIN)
    browser = signed_in(collector)
    response = browser.post(reverse("dunning_letter_regenerate", args=[letter.pk]))
    assert response.status_code == 302
    listing = browser.get(reverse("dunning_letter_list"))
    [new] = listing.context["to_post"]
    assert (new.letter_date, new.stale, new.replaces_id) == (AGAIN, False, letter.pk)
    assert [old.pk for old in listing.context["replaced"]] == [letter.pk]
    page = html.unescape(listing.content.decode())
    assert "remplacé par le courrier du 20/05/2026" in page
    # An invoice number is never broken at its hyphens in the list of the letter's invoices.
    assert '<span class="letter-invoice">' in page


def test_a_letter_in_time_is_not_regenerated_through_the_page(
    signed_in, collector, letter, tenant_a, in_tenant, on_day
):
    on_day(date(2026, 5, 9))
    response = signed_in(collector).post(reverse("dunning_letter_regenerate", args=[letter.pk]))
    assert response.status_code == 302
    with in_tenant(tenant_a):
        assert list(Letter.objects.values_list("posting", flat=True)) == ["to_post"]


def test_a_reader_cannot_regenerate(signed_in, member, tenant_a, letter, on_day):
    on_day(AGAIN)
    accountant = member(tenant_a, "accountant")
    response = signed_in(accountant).post(reverse("dunning_letter_regenerate", args=[letter.pk]))
    assert response.status_code == 403


# The email copy of the letter written again


def test_the_regenerated_letter_is_emailed_as_the_first_one_was(
    letter, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    """The first letter went to the client's billing address with its PDF: the new one
    does too, from the company's sender, saying it cancels and replaces the first."""
    tenant_a.sender_name = "Alpha Recouvrement"
    tenant_a.sender_email = "relances@alpha.example"
    tenant_a.save(update_fields=["sender_name", "sender_email"])
    with in_tenant(tenant_a):
        first = Message.objects.get()
    assert first.attachments == [{"letter": letter.pk, "name": f"mise-en-demeure-{letter.pk}.pdf"}]
    with django_capture_on_commit_callbacks(execute=True):
        new = regenerated(tenant_a, letter, make_member(tenant_a, "collector").user)
    with in_tenant(tenant_a):
        copy = Message.objects.exclude(pk=first.pk).get()
    assert copy.attachments == [{"letter": new.pk, "name": f"mise-en-demeure-{new.pk}.pdf"}]
    assert (copy.kind, copy.to, copy.step_day) == ("formal_notice", first.to, AGAIN)
    assert copy.status == Message.Status.SENT
    [email] = mail.outbox
    assert email.to == ["compta@client.example"]
    assert email.from_email == "Alpha Recouvrement <relances@alpha.example>"
    assert "annule et remplace notre mise en demeure du 01/05/2026" in email.body
    assert "14\u202f714,88" in email.body  # the new total, penalties to 20 May
    [(name, content, kind)] = email.attachments
    assert (name, kind) == (f"mise-en-demeure-{new.pk}.pdf", "application/pdf")
    assert "annule et remplace" in " ".join(
        page.extract_text() for page in PdfReader(io.BytesIO(content)).pages
    )


def test_a_letter_that_had_no_email_copy_is_regenerated_without_one(
    letter, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    with in_tenant(tenant_a):
        Action.objects.filter(letter=letter).update(message=None)
        Message.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        regenerated(tenant_a, letter, make_member(tenant_a, "collector").user)
    with in_tenant(tenant_a):
        assert not Message.objects.exists()
    assert mail.outbox == []


# Holds placed since the first letter


def invoice_of(tenant, letter, index):
    with tenant_context(tenant):
        return Invoice.objects.get(pk=letter.lines[index]["invoice_pk"])


@pytest.mark.parametrize(
    ("kind", "until", "words"),
    [
        ("dispute", None, "contestée par le client (Prestation non livrée)"),
        ("promise", date(2026, 5, 31), "promesse de paiement jusqu'au 31/05/2026"),
        ("manual", date(2026, 5, 20), "pause manuelle jusqu'au 20/05/2026"),
    ],
)
def test_a_case_paused_since_gets_no_regenerated_letter_and_the_queue_says_why(
    letter, tenant_a, in_tenant, signed_in, collector, on_day, kind, until, words
):
    invoice = invoice_of(tenant_a, letter, 1)
    with tenant_context(tenant_a):
        pause_create(
            tenant=tenant_a,
            invoice=invoice,
            actor=collector.user,
            kind=kind,
            today=date(2026, 5, 12),
            until=until,
            reason="Prestation non livrée" if kind == "dispute" else "",
        )
    with pytest.raises(ValidationError) as refused:
        regenerated(tenant_a, letter, collector.user)
    assert any(invoice.number in message for message in refused.value.messages)
    on_day(AGAIN)
    browser = signed_in(collector)
    page = browser.get(reverse("dunning_letter_list"), HTTP_ACCEPT_LANGUAGE="fr")
    text = html.unescape(page.content.decode())
    assert reverse("dunning_letter_regenerate", args=[letter.pk]) not in text
    assert "ne peut pas être régénéré" in text
    assert f"{invoice.number} : {words}" in text
    response = browser.post(reverse("dunning_letter_regenerate", args=[letter.pk]))
    assert response.status_code == 302
    with in_tenant(tenant_a):
        assert list(Letter.objects.values_list("posting", flat=True)) == ["to_post"]


def test_a_pause_over_before_the_day_no_longer_holds_the_letter(letter, tenant_a, collector):
    """A manual pause until 15 May: on 20 May the letter is written again."""
    with tenant_context(tenant_a):
        pause_create(
            tenant=tenant_a,
            invoice=invoice_of(tenant_a, letter, 0),
            actor=collector.user,
            kind="manual",
            today=date(2026, 5, 12),
            until=date(2026, 5, 15),
        )
    assert regenerated(tenant_a, letter, collector.user).replaces == letter


def test_a_bank_credit_awaiting_confirmation_holds_the_regeneration(
    letter, tenant_a, in_tenant, signed_in, collector, on_day
):
    invoice = invoice_of(tenant_a, letter, 0)
    propose_credit(tenant_a, in_tenant, invoice, day=date(2026, 5, 18))
    with pytest.raises(ValidationError):
        regenerated(tenant_a, letter, collector.user)
    on_day(AGAIN)
    text = (
        signed_in(collector)
        .get(reverse("dunning_letter_list"), HTTP_ACCEPT_LANGUAGE="fr")
        .content.decode()
    )
    assert reverse("dunning_letter_regenerate", args=[letter.pk]) not in text
    assert f"{invoice.number} : un virement de 7\u202f200,00\xa0€ reçu le 18/05/2026" in text
    with in_tenant(tenant_a):
        bank_line_dismiss(
            line=BankLine.objects.get(status=BankLine.Status.SUGGESTED),
            by=None,
            reason="Virement interne",
        )
    assert regenerated(tenant_a, letter, collector.user).replaces == letter


# Withdrawing a letter whose invoices were paid since


def pay_all(tenant, letter, collector):
    with tenant_context(tenant):
        for line in letter.lines:
            paid = Invoice.objects.get(pk=line["invoice_pk"])
            payment_record(
                client=paid.client,
                amount=paid.balance,
                received_on=date(2026, 5, 12),
                by=collector.user,
                allocations=[(paid, paid.balance)],
            )


def test_a_stale_letter_paid_since_is_withdrawn_and_kept_in_the_history(
    letter, tenant_a, in_tenant, signed_in, collector, on_day
):
    pay_all(tenant_a, letter, collector)
    on_day(AGAIN)
    browser = signed_in(collector)
    listing = browser.get(reverse("dunning_letter_list"), HTTP_ACCEPT_LANGUAGE="fr")
    withdraw = reverse("dunning_letter_withdraw", args=[letter.pk])
    assert withdraw in listing.content.decode()
    assert reverse("dunning_letter_regenerate", args=[letter.pk]) not in listing.content.decode()
    confirmation = browser.get(withdraw, HTTP_ACCEPT_LANGUAGE="fr")
    assert confirmation.status_code == 200
    assert "rien à réclamer" in confirmation.content.decode()
    with in_tenant(tenant_a):
        assert Letter.objects.get().posting == Letter.Posting.TO_POST  # asked, not done
    assert browser.post(withdraw).status_code == 302
    with in_tenant(tenant_a):
        kept = Letter.objects.get()  # no new letter
        entry = AuditEntry.objects.get(action="dunning.letter_withdrawn")
    assert (kept.posting, kept.withdrawn_on, kept.withdrawn_by) == (
        Letter.Posting.WITHDRAWN,
        AGAIN,
        collector.user,
    )
    assert entry.actor == collector.user
    listing = browser.get(reverse("dunning_letter_list"), HTTP_ACCEPT_LANGUAGE="fr")
    assert listing.context["to_post"] == []
    assert [old.pk for old in listing.context["replaced"]] == [letter.pk]
    assert "retiré le 20/05/2026" in listing.content.decode()


def test_a_letter_with_an_invoice_still_unpaid_cannot_be_withdrawn(
    letter, tenant_a, in_tenant, signed_in, collector, on_day
):
    unpaid = invoice_of(tenant_a, letter, 0)
    with pytest.raises(ValidationError) as refused:
        with tenant_context(tenant_a):
            letter_withdraw(letter=letter, actor=collector.user, today=AGAIN)
    assert unpaid.number in refused.value.messages[0]
    on_day(AGAIN)
    browser = signed_in(collector)
    withdraw = reverse("dunning_letter_withdraw", args=[letter.pk])
    assert withdraw not in browser.get(reverse("dunning_letter_list")).content.decode()
    assert browser.post(withdraw).status_code == 302
    with in_tenant(tenant_a):
        assert Letter.objects.get().posting == Letter.Posting.TO_POST


def test_a_withdrawn_letter_can_be_neither_posted_nor_regenerated(letter, tenant_a, collector):
    pay_all(tenant_a, letter, collector)
    with tenant_context(tenant_a):
        letter_withdraw(letter=letter, actor=collector.user, today=AGAIN)
    with pytest.raises(ValidationError):
        post(tenant_a, letter, collector.user, posted_on=AGAIN, today=AGAIN)
    with pytest.raises(ValidationError):
        regenerated(tenant_a, letter, collector.user)


def test_a_reader_cannot_withdraw(signed_in, member, tenant_a, letter, collector, on_day):
    pay_all(tenant_a, letter, collector)
    on_day(AGAIN)
    accountant = member(tenant_a, "accountant")
    response = signed_in(accountant).post(reverse("dunning_letter_withdraw", args=[letter.pk]))
    assert response.status_code == 403


def test_the_print_queue_reads_as_much_for_three_letters_as_for_one(
    letter, tenant_a, in_tenant, signed_in, collector, on_day
):
    on_day(AGAIN)
    browser = signed_in(collector)

    def queries():
        with CaptureQueriesContext(connection) as read:
            page = browser.get(reverse("dunning_letter_list"))
        assert page.status_code == 200
        return len(read), page.context["to_post"]

    one, queue = queries()
    assert len(queue) == 1 and queue[0].stale
    for name in ("Martin SA", "Petit SARL"):
        client = make_client(tenant_a, legal_name=name)
        for _ in range(2):
            make_invoice(tenant_a, client=client, issued_on=ISSUED)
    with in_tenant(tenant_a):
        dunning_job(tenant=tenant_a, today=LETTER_DAY)
    draw_letter_pdfs(tenant_a)
    held = invoice_of(tenant_a, letter, 0)
    with tenant_context(tenant_a):
        pause_create(
            tenant=tenant_a,
            invoice=held,
            actor=collector.user,
            kind="dispute",
            today=date(2026, 5, 12),
            reason="Prestation non livrée",
        )
    three, queue = queries()
    assert len(queue) == 3 and all(queued.stale for queued in queue)
    assert [bool(queued.holds) for queued in queue] == [True, False, False]
    assert three == one
