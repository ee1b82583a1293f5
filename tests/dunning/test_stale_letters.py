"""A formal notice left unposted past its final deadline: flagged on the print queue, not
posted as it is, written again (new date, penalties to the new date, new deadline), the old
one kept and marked replaced."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from dunning.models import Letter, Policy
from dunning.services.letters import letter_is_stale, letter_regenerate, stale_letters
from dunning.services.litigation import letter_mark_posted
from invoices.models import Invoice
from invoices.services.payments import payment_record
from portage.models import AuditEntry
from portage.tenancy import tenant_context
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
    1 April 2026: 30 days late, 71,90 € of penalties each, 14 623,80 € claimed."""
    client = make_client(tenant_a, legal_name="Durand & Fils")
    consultant = make_consultant(tenant_a)
    for _ in range(2):
        make_invoice(tenant_a, client=client, consultant=consultant, issued_on=ISSUED)
    with in_tenant(tenant_a):
        Policy.objects.update(catch_up=True)
        from dunning.jobs import run as dunning_job

        dunning_job(tenant=tenant_a, today=LETTER_DAY)
        return Letter.objects.get()


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
