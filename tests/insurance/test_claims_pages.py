"""Claims and overdue declarations after the batch: the insurer's answers, the indemnity
credited to the consultants, the subrogation share of a later payment, the documents for
the insurer's portal, and the pages. Figures worked by hand."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from consultants.models import LedgerEntry
from insurance.models import Claim, CreditLimit, Declaration, InsurancePolicy, Insurer
from insurance.selectors import claims as claim_selectors
from insurance.services import claims as services
from insurance.services.batch import run_insurance
from invoices.selectors import pay_status
from portage.batch import paris_today
from portage.models import AuditEntry
from portage.permissions import Role
from portage.tenancy import tenant_context
from tests.factories import day_line, make_client, make_consultant, make_invoice, make_member

pytestmark = pytest.mark.django_db

D = Decimal
ISSUED = date(2026, 3, 2)  # due 2026-04-01 (30 days)
CLAIM_DAY = date(2026, 8, 29)  # the due date + the 150 days of waiting
FILED = date(2026, 9, 1)
PAID = date(2026, 9, 10)


def make_policy(tenant, **terms):
    values = {
        "number": "POL-1",
        "starts_on": date(2026, 1, 1),
        "ends_on": date(2026, 12, 31),
        "covered_share": D("90"),
        "deductible_per_claim": D("500.00"),
        "waiting_days": 150,
        **terms,
    }
    with tenant_context(tenant):
        insurer = Insurer.objects.create(tenant=tenant, name="Assureur Test")
        return InsurancePolicy.objects.create(tenant=tenant, insurer=insurer, **values)


def grant(tenant, client, policy, amount="50000.00"):
    with tenant_context(tenant):
        CreditLimit.objects.create(
            tenant=tenant,
            client=client,
            policy=policy,
            status=CreditLimit.Status.GRANTED,
            amount=D(amount),
            decided_on=date(2026, 1, 1),
            effective_from=date(2026, 1, 1),
        )


def batch_claim(tenant, *, consultant=None, **terms):
    """One invoice of 6 000 HT / 7 200 TTC, covered, still unpaid after the waiting period:
    the batch opens a claim expecting min(6 000, 50 000) × 90 % − 500 = 4 900."""
    policy = make_policy(tenant, **terms)
    client = make_client(tenant)
    grant(tenant, client, policy)
    invoice = make_invoice(tenant, client=client, consultant=consultant, issued_on=ISSUED)
    with tenant_context(tenant):
        run_insurance(tenant=tenant, today=CLAIM_DAY)
        return Claim.objects.get(), invoice


def refreshed(tenant, obj):
    with tenant_context(tenant):
        obj.refresh_from_db()
    return obj


def filed(tenant, claim, user):
    with tenant_context(tenant):
        return services.claim_file(claim=claim, actor=user, filed_on=FILED, insurer_reference="S1")


def indemnified(tenant, claim, user, amount="4900.00"):
    filed(tenant, claim, user)
    with tenant_context(tenant):
        return services.claim_indemnify(claim=claim, actor=user, amount=D(amount), paid_on=PAID)


def indemnity_entries(tenant):
    with tenant_context(tenant):
        return list(
            LedgerEntry.objects.filter(kind=LedgerEntry.Kind.INDEMNITY_RECEIVED).values_list(
                "consultant_id", "amount", "invoice_pk", "reference", "booked_on"
            )
        )


def audit_actions(tenant):
    with tenant_context(tenant):
        return list(AuditEntry.objects.order_by("id").values_list("action", flat=True))


@pytest.fixture
def accountant(tenant_a):
    return make_member(tenant_a, Role.ACCOUNTANT)


# The claim's life


def test_the_batch_opens_the_claim_expecting_4900(tenant_a):
    claim, _invoice = batch_claim(tenant_a)
    assert (claim.state, claim.unpaid_covered, claim.expected_indemnity) == (
        "to_file",
        D("6000.00"),
        D("4900.00"),
    )


def test_filing_acknowledging_and_indemnifying_move_the_claim_and_are_audited(tenant_a, collector):
    claim, _invoice = batch_claim(tenant_a)
    user = collector.user
    with tenant_context(tenant_a):
        services.claim_file(claim=claim, actor=user, filed_on=FILED, insurer_reference=" S-1 ")
        services.claim_acknowledge(claim=claim, actor=user)
        services.claim_indemnify(claim=claim, actor=user, amount=D("4900.00"), paid_on=PAID)
        claim.refresh_from_db()
    assert (claim.state, claim.filed_on, claim.insurer_reference) == ("indemnified", FILED, "S-1")
    assert (claim.indemnity_amount, claim.indemnified_on) == (D("4900.00"), PAID)
    assert audit_actions(tenant_a)[-3:] == [
        "insurance.claim_filed",
        "insurance.claim_acknowledged",
        "insurance.claim_indemnified",
    ]


def test_less_than_expected_is_a_partial_indemnity(tenant_a, collector):
    claim, _invoice = batch_claim(tenant_a)
    assert indemnified(tenant_a, claim, collector.user, "4000.00").state == "partial"


def test_a_claim_to_file_cannot_be_acknowledged_indemnified_or_rejected(tenant_a, collector):
    claim, _invoice = batch_claim(tenant_a)
    user = collector.user
    with tenant_context(tenant_a):
        with pytest.raises(ValidationError):
            services.claim_acknowledge(claim=claim, actor=user)
        with pytest.raises(ValidationError):
            services.claim_indemnify(claim=claim, actor=user, amount=D("4900"), paid_on=PAID)
        with pytest.raises(ValidationError):
            services.claim_reject(claim=claim, actor=user, reason="Late")
        claim.refresh_from_db()
    assert claim.state == "to_file"
    assert indemnity_entries(tenant_a) == []


def test_filing_before_the_claim_opened_or_in_the_future_is_refused(tenant_a, collector):
    claim, _invoice = batch_claim(tenant_a)
    for day in (CLAIM_DAY - timedelta(days=1), paris_today() + timedelta(days=1)):
        with tenant_context(tenant_a), pytest.raises(ValidationError) as refused:
            services.claim_file(
                claim=claim, actor=collector.user, filed_on=day, today=paris_today()
            )
        assert "filed_on" in refused.value.error_dict


def test_a_rejected_claim_keeps_its_reason_and_can_then_only_be_closed(tenant_a, collector):
    claim, _invoice = batch_claim(tenant_a)
    filed(tenant_a, claim, collector.user)
    with tenant_context(tenant_a):
        with pytest.raises(ValidationError) as refused:
            services.claim_reject(claim=claim, actor=collector.user, reason="  ")
        assert "reason" in refused.value.error_dict
        services.claim_reject(claim=claim, actor=collector.user, reason="Overdue declared late")
        with pytest.raises(ValidationError):
            services.claim_indemnify(
                claim=claim, actor=collector.user, amount=D("4900"), paid_on=PAID
            )
        services.claim_close(claim=claim, actor=collector.user)
        with pytest.raises(ValidationError):
            services.claim_close(claim=claim, actor=collector.user)
        claim.refresh_from_db()
    assert (claim.state, claim.rejection_reason) == ("closed", "Overdue declared late")
    assert audit_actions(tenant_a)[-2:] == ["insurance.claim_rejected", "insurance.claim_closed"]


# The indemnity in the consultants' accounts


def test_the_indemnity_credits_the_consultant_net_of_the_fee(tenant_a, collector):
    """Covered excl. VAT: the 4 900 indemnity is the consultant's excl. VAT; less the fee
    of 10 % (490): 4 410.00, booked on the day the insurer paid, naming the invoice."""
    consultant = make_consultant(tenant_a)  # fee_rate 10.00
    claim, invoice = batch_claim(tenant_a, consultant=consultant)
    indemnified(tenant_a, claim, collector.user)
    assert indemnity_entries(tenant_a) == [
        (consultant.pk, D("4410.00"), invoice.pk, invoice.number, PAID)
    ]


def test_the_pay_status_shows_the_indemnity_and_what_still_waits(tenant_a, collector):
    """Net of the invoice 6 000 − 600 = 5 400; indemnified 4 410; waiting 990."""
    consultant = make_consultant(tenant_a)
    claim, _invoice = batch_claim(tenant_a, consultant=consultant)
    indemnified(tenant_a, claim, collector.user)
    with tenant_context(tenant_a):
        row = pay_status(consultant=consultant).rows[0]
    assert (row.net, row.indemnified, row.waiting) == (D("5400.00"), D("4410.00"), D("990.00"))


def test_a_second_indemnity_on_the_same_claim_is_refused(tenant_a, collector):
    claim, _invoice = batch_claim(tenant_a)
    indemnified(tenant_a, claim, collector.user, "4000.00")
    with tenant_context(tenant_a), pytest.raises(ValidationError):
        services.claim_indemnify(
            claim=claim, actor=collector.user, amount=D("900.00"), paid_on=PAID
        )
    assert [entry[1] for entry in indemnity_entries(tenant_a)] == [D("3600.00")]
    assert refreshed(tenant_a, claim).indemnity_amount == D("4000.00")


def test_a_policy_covering_vat_credits_the_consultant_excluding_vat(tenant_a, collector):
    """Covered incl. VAT: expected 7 200 × 90 % − 500 = 5 980. Excl. VAT: 5 980 × 6 000 /
    7 200 = 4 983.33; fee 10 % = 498.33; credited 4 485.00."""
    claim, _invoice = batch_claim(tenant_a, covers_vat=True)
    assert claim.expected_indemnity == D("5980.00")
    indemnified(tenant_a, claim, collector.user, "5980.00")
    assert [entry[1] for entry in indemnity_entries(tenant_a)] == [D("4485.00")]


def test_the_indemnity_is_shared_over_the_invoices_in_proportion_to_their_cover(
    tenant_a, collector
):
    """Two invoices of the client: 6 000 HT (consultant fee 10 %) and 1 800 HT (fee 8 %),
    unpaid covered 7 800, expected 7 800 × 90 % − 500 = 6 520. Shares: 6 520 × 6 000 / 7 800
    = 5 015.38, and the rest 1 504.62. Credited 5 015.38 − 501.54 = 4 513.84, and
    1 504.62 − 120.37 = 1 384.25."""
    policy = make_policy(tenant_a)
    client = make_client(tenant_a)
    grant(tenant_a, client, policy)
    first, second = make_consultant(tenant_a), make_consultant(tenant_a, fee_rate="8.00")
    make_invoice(tenant_a, client=client, consultant=first, issued_on=ISSUED)
    make_invoice(
        tenant_a, client=client, consultant=second, issued_on=ISSUED, lines=[day_line(days="3")]
    )
    with tenant_context(tenant_a):
        run_insurance(tenant=tenant_a, today=CLAIM_DAY)
        claim = Claim.objects.get()
    assert claim.expected_indemnity == D("6520.00")
    indemnified(tenant_a, claim, collector.user, "6520.00")
    assert sorted(entry[:2] for entry in indemnity_entries(tenant_a)) == sorted(
        [(first.pk, D("4513.84")), (second.pk, D("1384.25"))]
    )


def test_the_parts_of_an_indemnity_add_up_to_the_cent():
    lines = [SimpleNamespace(covered_amount=D("100.00")) for _ in range(3)]
    parts = [part for _line, part in claim_selectors.indemnity_parts(lines, D("100.00"))]
    assert parts == [D("33.33"), D("33.33"), D("33.34")]


# Subrogation


def test_a_payment_after_the_indemnity_is_shared_with_the_insurer(tenant_a, collector):
    """The insurer paid 4 900 of the 6 000 HT loss. A payment of the whole 7 200 TTC received
    after it: 6 000 HT × 4 900 / 6 000 = 4 900.00 to the insurer, what it paid; 2 300.00 to
    the company, of which the 1 200.00 VAT."""
    claim, invoice = batch_claim(tenant_a)
    claim = indemnified(tenant_a, claim, collector.user)
    with tenant_context(tenant_a):
        split = claim_selectors.subrogation_split(
            claim=claim, amount=D("7200.00"), received_on=PAID + timedelta(days=5)
        )
    assert split.shared
    assert [(row.invoice.pk, row.to_insurer, row.to_company, row.vat) for row in split.rows] == [
        (invoice.pk, D("4900.00"), D("2300.00"), D("1200.00"))
    ]


def test_a_payment_beyond_the_balance_leaves_the_rest_to_the_company(tenant_a, collector):
    """8 000 received: 7 200 settles the invoice (4 900 / 2 300), 800 is the client's credit,
    all the company's."""
    claim, _invoice = batch_claim(tenant_a)
    claim = indemnified(tenant_a, claim, collector.user)
    with tenant_context(tenant_a):
        split = claim_selectors.subrogation_split(
            claim=claim, amount=D("8000.00"), received_on=PAID
        )
    assert (split.to_insurer, split.to_company) == (D("4900.00"), D("3100.00"))
    assert (split.rows[-1].invoice, split.rows[-1].to_company) == (None, D("800.00"))


def test_a_payment_received_before_the_indemnity_is_all_the_company_s(tenant_a, collector):
    claim, _invoice = batch_claim(tenant_a)
    claim = indemnified(tenant_a, claim, collector.user)
    with tenant_context(tenant_a):
        split = claim_selectors.subrogation_split(
            claim=claim, amount=D("7200.00"), received_on=PAID - timedelta(days=1)
        )
    assert (split.shared, split.to_insurer, split.to_company) == (False, D("0"), D("7200.00"))


# Pages


def test_the_board_groups_the_claims_by_state_with_their_totals(signed_in, collector, tenant_a):
    claim, _invoice = batch_claim(tenant_a)
    response = signed_in(collector).get(reverse("insurance_claim_list"))
    assert response.status_code == 200
    groups = {group["key"]: group for group in response.context["groups"]}
    assert [c.pk for c in groups["to_file"]["rows"]] == [claim.pk]
    assert groups["to_file"]["rows"][0].invoice_count == 1
    assert (groups["to_file"]["totals"]["expected"], groups["to_file"]["totals"]["received"]) == (
        D("4900.00"),
        D("0"),
    )
    indemnified(tenant_a, claim, collector.user, "4000.00")
    groups = {
        group["key"]: group
        for group in signed_in(collector).get(reverse("insurance_claim_list")).context["groups"]
    }
    assert groups["to_file"]["rows"] == []
    assert (
        groups["indemnified"]["totals"]["expected"],
        groups["indemnified"]["totals"]["received"],
    ) == (
        D("4900.00"),
        D("4000.00"),
    )


def test_the_claim_page_shows_the_computation_line_by_line(signed_in, collector, tenant_a):
    claim, invoice = batch_claim(tenant_a)
    response = signed_in(collector).get(reverse("insurance_claim", args=[claim.pk]))
    assert response.status_code == 200
    assert [step["amount"] for step in response.context["steps"]] == [
        D("6000.00"),
        D("50000.00"),
        D("6000.00"),
        D("5400.00"),
        D("-500.00"),
        D("4900.00"),
    ]
    assert response.context["steps"][-1]["last"]
    assert invoice.number.encode() in response.content
    assert set(response.context["forms"]) == {"file", "close"}


def test_the_collector_files_then_indemnifies_from_the_claim_page(signed_in, collector, tenant_a):
    consultant = make_consultant(tenant_a)
    claim, _invoice = batch_claim(tenant_a, consultant=consultant)
    page = reverse("insurance_claim", args=[claim.pk])
    browser = signed_in(collector)
    response = browser.post(
        page,
        {"action": "file", "file-filed_on": "2026-09-01", "file-insurer_reference": "SIN-42"},
    )
    assert response.status_code == 302
    assert set(browser.get(page).context["forms"]) == {
        "acknowledge",
        "indemnify",
        "reject",
        "close",
    }
    response = browser.post(
        page,
        {"action": "indemnify", "indemnify-amount": "4900.00", "indemnify-paid_on": "2026-09-10"},
    )
    assert response.status_code == 302
    claim = refreshed(tenant_a, claim)
    assert (claim.state, claim.insurer_reference, claim.indemnity_amount) == (
        "indemnified",
        "SIN-42",
        D("4900.00"),
    )
    assert [entry[1] for entry in indemnity_entries(tenant_a)] == [D("4410.00")]
    detail = browser.get(page)
    assert [(row["indemnity_part"], row["credited"]) for row in detail.context["invoices"]] == [
        (D("4900.00"), D("4410.00"))
    ]
    assert set(detail.context["forms"]) == {"close"}


def test_an_indemnity_posted_twice_from_a_stale_page_is_refused(signed_in, collector, tenant_a):
    claim, _invoice = batch_claim(tenant_a)
    indemnified(tenant_a, claim, collector.user)
    response = signed_in(collector).post(
        reverse("insurance_claim", args=[claim.pk]),
        {"action": "indemnify", "indemnify-amount": "4900.00", "indemnify-paid_on": "2026-09-10"},
    )
    assert response.status_code == 302
    assert len(indemnity_entries(tenant_a)) == 1


def test_a_filing_date_in_the_future_is_a_form_error(signed_in, collector, tenant_a):
    claim, _invoice = batch_claim(tenant_a)
    response = signed_in(collector).post(
        reverse("insurance_claim", args=[claim.pk]),
        {"action": "file", "file-filed_on": (paris_today() + timedelta(days=3)).isoformat()},
    )
    assert response.status_code == 200
    assert response.context["forms"]["file"].errors["filed_on"]
    assert refreshed(tenant_a, claim).state == "to_file"


def test_closing_asks_for_confirmation(signed_in, collector, tenant_a):
    claim, _invoice = batch_claim(tenant_a)
    page = reverse("insurance_claim", args=[claim.pk])
    response = signed_in(collector).post(page, {"action": "close"})
    assert response.status_code == 200
    assert response.context["forms"]["close"].errors["confirm"]
    assert refreshed(tenant_a, claim).state == "to_file"
    assert (
        signed_in(collector).post(page, {"action": "close", "close-confirm": "on"}).status_code
        == 302
    )
    assert refreshed(tenant_a, claim).state == "closed"


def test_the_subrogation_simulator_on_the_claim_page(signed_in, collector, tenant_a):
    claim, _invoice = batch_claim(tenant_a)
    indemnified(tenant_a, claim, collector.user)
    response = signed_in(collector).get(
        reverse("insurance_claim", args=[claim.pk]),
        {"sim-amount": "7200.00", "sim-received_on": "2026-09-15"},
    )
    assert response.status_code == 200
    split = response.context["split"]
    assert (split.to_insurer, split.to_company) == (D("4900.00"), D("2300.00"))
    assert response.context["insurer_share"] == D("81.67")
    assert response.context["insurer_recovered"] == D("0.00")
    page = response.content.decode()
    assert "81,67\u00a0% du montant HT" in page and "dont TVA" in page
    assert "1\u202f200,00\u00a0€" in page  # the VAT, the company's
    assert "Récupéré par l'assureur à ce jour : 0,00\u00a0€ sur les 4\u202f900,00\u00a0€" in page


def test_the_claim_file_downloads_as_csv_and_pdf(signed_in, collector, tenant_a):
    claim, invoice = batch_claim(tenant_a)
    filed(tenant_a, claim, collector.user)
    browser = signed_in(collector)
    response = browser.get(reverse("insurance_claim_csv", args=[claim.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[1] == [
        f"CLM-{claim.pk}",
        invoice.client.siren,
        invoice.client.legal_name,
        invoice.number,
        "02/03/2026",
        "01/04/2026",
        "7200,00",
        "01/09/2026",
    ]
    response = browser.get(reverse("insurance_claim_pdf", args=[claim.pk]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


def test_the_manual_connector_documents_of_a_claim_and_its_declaration(tenant_a):
    claim, invoice = batch_claim(tenant_a)
    with tenant_context(tenant_a):
        declaration = Declaration.objects.get(invoice=invoice)
        claim_csv, claim_pdf = claim_selectors.claim_documents(claim, today=date(2026, 8, 30))
        notice_csv, notice_pdf = claim_selectors.declaration_documents(declaration)
    claim_rows = list(csv.reader(io.StringIO(claim_csv.decode("utf-8-sig")), delimiter=";"))
    notice_rows = list(csv.reader(io.StringIO(notice_csv.decode("utf-8-sig")), delimiter=";"))
    assert (claim_rows[1][0], claim_rows[1][-1]) == (f"CLM-{claim.pk}", "30/08/2026")
    assert notice_rows[1] == [
        f"OVD-{declaration.pk}",
        invoice.client.siren,
        invoice.client.legal_name,
        invoice.number,
        "01/04/2026",
        "7200,00",
    ]
    assert claim_pdf.startswith(b"%PDF") and notice_pdf.startswith(b"%PDF")


# Declarations


def two_declarations(tenant):
    """Invoice X due 2026-04-01 (deadline 2026-05-31), invoice Y due 2026-05-01 (deadline
    2026-06-30). On 2026-06-27 the batch finds X's deadline missed, Y's to send."""
    policy = make_policy(tenant)
    client = make_client(tenant)
    grant(tenant, client, policy)
    consultant = make_consultant(tenant)
    late = make_invoice(tenant, client=client, consultant=consultant, issued_on=ISSUED)
    to_send = make_invoice(tenant, client=client, consultant=consultant, issued_on=date(2026, 4, 1))
    with tenant_context(tenant):
        run_insurance(tenant=tenant, today=date(2026, 6, 27))
        return Declaration.objects.get(invoice=late), Declaration.objects.get(invoice=to_send)


def test_late_declarations_come_first_then_those_to_send(
    signed_in, collector, tenant_a, monkeypatch
):
    late, to_send = two_declarations(tenant_a)
    assert (late.status, to_send.status) == ("late", "to_send")
    monkeypatch.setattr("insurance.views.claims.paris_today", lambda: date(2026, 6, 27))
    response = signed_in(collector).get(reverse("insurance_declaration_list"))
    assert response.status_code == 200
    assert [d.pk for d in response.context["lost"]] == [late.pk]
    assert [d.pk for d in response.context["to_declare"]] == [to_send.pk]
    assert response.context["to_declare"][0].form is not None
    assert list(response.context["page"].object_list) == []


def test_the_collector_marks_an_overdue_as_declared(signed_in, collector, tenant_a):
    _late, to_send = two_declarations(tenant_a)
    prefix = f"declaration{to_send.pk}"
    response = signed_in(collector).post(
        reverse("insurance_declaration_sent", args=[to_send.pk]),
        {f"{prefix}-declared_on": "2026-06-28", f"{prefix}-insurer_reference": "MS-7"},
    )
    assert response.status_code == 302
    to_send = refreshed(tenant_a, to_send)
    assert (to_send.status, to_send.declared_on, to_send.insurer_reference) == (
        "sent",
        date(2026, 6, 28),
        "MS-7",
    )
    assert "insurance.declaration_sent" in audit_actions(tenant_a)
    listing = signed_in(collector).get(reverse("insurance_declaration_list"))
    assert [d.pk for d in listing.context["page"].object_list] == [to_send.pk]


def test_a_late_or_already_sent_declaration_cannot_be_marked_declared(tenant_a, collector):
    late, to_send = two_declarations(tenant_a)
    with tenant_context(tenant_a):
        with pytest.raises(ValidationError):
            services.declaration_mark_sent(
                declaration=late, actor=collector.user, declared_on=date(2026, 6, 28)
            )
        services.declaration_mark_sent(
            declaration=to_send, actor=collector.user, declared_on=date(2026, 6, 28)
        )
        with pytest.raises(ValidationError):
            services.declaration_mark_sent(
                declaration=to_send, actor=collector.user, declared_on=date(2026, 6, 29)
            )
        late.refresh_from_db()
    assert late.status == "late"


def test_a_declaration_date_before_the_due_date_is_a_form_error(signed_in, collector, tenant_a):
    _late, to_send = two_declarations(tenant_a)
    prefix = f"declaration{to_send.pk}"
    response = signed_in(collector).post(
        reverse("insurance_declaration_sent", args=[to_send.pk]),
        {f"{prefix}-declared_on": "2026-04-15"},
    )
    assert response.status_code == 200
    listed = response.context["lost"] + response.context["to_declare"]
    assert next(d for d in listed if d.pk == to_send.pk).form.errors["declared_on"]
    assert refreshed(tenant_a, to_send).status == "to_send"


def test_the_declaration_documents_download(signed_in, collector, tenant_a):
    _late, to_send = two_declarations(tenant_a)
    browser = signed_in(collector)
    response = browser.get(reverse("insurance_declaration_csv", args=[to_send.pk]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][0] == f"OVD-{to_send.pk}"
    assert rows[1][-2:] == ["01/05/2026", "7200,00"]
    pdf = browser.get(reverse("insurance_declaration_pdf", args=[to_send.pk]))
    assert pdf.content.startswith(b"%PDF")


# Permissions and tenancy


def test_a_consultant_sees_neither_claims_nor_declarations(signed_in, tenant_a):
    claim, _invoice = batch_claim(tenant_a)
    browser = signed_in(make_member(tenant_a, Role.CONSULTANT))
    for url in (
        reverse("insurance_claim_list"),
        reverse("insurance_claim", args=[claim.pk]),
        reverse("insurance_claim_csv", args=[claim.pk]),
        reverse("insurance_declaration_list"),
    ):
        assert browser.get(url).status_code == 403


def test_the_accountant_reads_a_claim_but_records_no_answer(signed_in, accountant, tenant_a):
    claim, _invoice = batch_claim(tenant_a)
    browser = signed_in(accountant)
    page = reverse("insurance_claim", args=[claim.pk])
    response = browser.get(page)
    assert response.status_code == 200
    assert response.context["forms"] == {}
    response = browser.post(page, {"action": "file", "file-filed_on": "2026-09-01"})
    assert response.status_code == 403
    assert refreshed(tenant_a, claim).state == "to_file"


def test_the_accountant_cannot_mark_a_declaration_sent(signed_in, accountant, tenant_a):
    _late, to_send = two_declarations(tenant_a)
    prefix = f"declaration{to_send.pk}"
    response = signed_in(accountant).post(
        reverse("insurance_declaration_sent", args=[to_send.pk]),
        {f"{prefix}-declared_on": "2026-06-28"},
    )
    assert response.status_code == 403
    assert refreshed(tenant_a, to_send).status == "to_send"


def test_another_company_s_claims_and_declarations_answer_404(
    signed_in, collector, tenant_a, tenant_b
):
    claim_a, _invoice = batch_claim(tenant_a)
    claim_b, _invoice = batch_claim(tenant_b)
    with tenant_context(tenant_b):
        declaration_b = Declaration.objects.get()  # late: the batch ran after its deadline
    browser = signed_in(collector)
    for name in ("insurance_claim", "insurance_claim_csv", "insurance_claim_pdf"):
        assert browser.get(reverse(name, args=[claim_b.pk])).status_code == 404
    assert (
        browser.get(reverse("insurance_declaration_csv", args=[declaration_b.pk])).status_code
        == 404
    )
    response = browser.post(
        reverse("insurance_claim", args=[claim_b.pk]),
        {"action": "close", "close-confirm": "on"},
    )
    assert response.status_code == 404
    response = browser.post(
        reverse("insurance_declaration_sent", args=[declaration_b.pk]),
        {f"declaration{declaration_b.pk}-declared_on": "2026-06-28"},
    )
    assert response.status_code == 404
    assert refreshed(tenant_b, claim_b).state == "to_file"
    board = browser.get(reverse("insurance_claim_list")).context["groups"]
    assert claim_b.pk not in [claim.pk for group in board for claim in group["rows"]]
    declarations = browser.get(reverse("insurance_declaration_list")).context["lost"]
    assert [d.invoice.client_id for d in declarations] == [claim_a.client_id]
