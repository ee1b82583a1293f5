"""Cover decided at issue, overdue declarations before the deadline, claims after the
waiting period: each once, with figures worked by hand."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from dunning.models import Case, Pause
from dunning.services.ladder import run_ladder
from insurance.models import (
    Claim,
    ClaimInvoice,
    Cover,
    CreditLimit,
    Declaration,
    InsurancePolicy,
    Insurer,
)
from insurance.services.batch import run_insurance
from portage.batch import run_job_for_tenant
from tests.factories import day_line, make_client, make_consultant, make_invoice

pytestmark = pytest.mark.django_db

D = Decimal
ISSUED = date(2026, 3, 2)
DUE = date(2026, 4, 1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def make_policy(tenant, **terms):
    from portage.tenancy import tenant_context

    values = {
        "number": "POL-1",
        "starts_on": date(2026, 1, 1),
        "ends_on": date(2026, 12, 31),
        "covered_share": D("90"),
        "deductible_per_claim": D("500.00"),
        "waiting_days": 150,
        "declaration_days": 60,
        "declaration_margin_days": 5,
        "discretionary_limit": D("5000.00"),
        "max_credit_days": 60,
        **terms,
    }
    with tenant_context(tenant):
        insurer = Insurer.objects.get_or_create(tenant=tenant, name="Assureur Test")[0]
        return InsurancePolicy.objects.create(tenant=tenant, insurer=insurer, **values)


def grant(tenant, client, policy, amount, on=date(2026, 1, 1), status="granted"):
    from portage.tenancy import tenant_context

    with tenant_context(tenant):
        return CreditLimit.objects.create(
            tenant=tenant,
            client=client,
            policy=policy,
            status=status,
            amount=D(amount),
            decided_on=on,
            effective_from=on,
        )


def cover(tenant, invoice, in_tenant):
    with in_tenant(tenant):
        return Cover.objects.get(invoice=invoice)


def test_an_invoice_within_the_limit_is_covered_excluding_vat(tenant_a, in_tenant):
    policy = make_policy(tenant_a)
    client = make_client(tenant_a)
    grant(tenant_a, client, policy, "20000.00")
    invoice = make_invoice(tenant_a, client=client, issued_on=ISSUED)  # 6 000 HT, 7 200 TTC
    decided = cover(tenant_a, invoice, in_tenant)
    assert (decided.reason, decided.basis_amount, decided.covered_amount) == (
        "covered",
        D("6000.00"),
        D("6000.00"),
    )
    assert decided.limit_amount == D("20000.00")


def test_over_the_limit_the_invoice_is_partly_covered(tenant_a, in_tenant):
    # Limit 10 000 HT; a first invoice of 6 000 HT is covered; the second (6 000 HT) finds
    # 6 000 already used: 4 000 covered, 2 000 not.
    policy = make_policy(tenant_a)
    client = make_client(tenant_a)
    grant(tenant_a, client, policy, "10000.00")
    consultant = make_consultant(tenant_a)
    make_invoice(tenant_a, client=client, consultant=consultant, issued_on=ISSUED)
    second = make_invoice(tenant_a, client=client, consultant=consultant, issued_on=ISSUED)
    decided = cover(tenant_a, second, in_tenant)
    assert (decided.reason, decided.covered_amount, decided.uncovered_amount) == (
        "limit_exceeded",
        D("4000.00"),
        D("2000.00"),
    )
    assert decided.exposure_before == D("6000.00")


def test_the_reasons_an_invoice_is_not_covered(tenant_a, in_tenant):
    # No policy in force on the issue date.
    early = make_invoice(tenant_a, issued_on=date(2025, 12, 1))
    assert cover(tenant_a, early, in_tenant).reason == "no_policy"
    make_policy(tenant_a)
    public = make_client(tenant_a, category="public")
    assert (
        cover(tenant_a, make_invoice(tenant_a, client=public, issued_on=ISSUED), in_tenant).reason
        == "excluded_category"
    )
    # No named limit and 7 200 TTC / 6 000 HT over the 5 000 discretionary limit.
    unknown = make_client(tenant_a)
    decided = cover(tenant_a, make_invoice(tenant_a, client=unknown, issued_on=ISSUED), in_tenant)
    assert (decided.reason, decided.covered_amount) == ("no_limit", D("0"))
    # Under the discretionary limit: 3 days × 600 = 1 800 HT.
    small = make_client(tenant_a)
    decided = cover(
        tenant_a,
        make_invoice(tenant_a, client=small, lines=[day_line(days="3")], issued_on=ISSUED),
        in_tenant,
    )
    assert (decided.reason, decided.covered_amount) == ("discretionary", D("1800.00"))


def covered_invoice(tenant_a):
    policy = make_policy(tenant_a)
    client = make_client(tenant_a)
    grant(tenant_a, client, policy, "50000.00")
    return policy, make_invoice(tenant_a, client=client, issued_on=ISSUED)


def test_the_overdue_is_declared_once_before_its_deadline(tenant_a, in_tenant):
    _policy, invoice = covered_invoice(tenant_a)
    deadline = DUE + timedelta(days=60)
    with in_tenant(tenant_a):
        for day in range(0, 70):
            run_insurance(tenant=tenant_a, today=DUE + timedelta(days=day))
        declaration = Declaration.objects.get(invoice=invoice)
    assert declaration.deadline == deadline
    assert declaration.prepared_on == deadline - timedelta(days=5)
    assert declaration.status == Declaration.Status.TO_SEND


def test_a_missed_deadline_is_recorded_as_late(tenant_a, in_tenant):
    _policy, invoice = covered_invoice(tenant_a)
    with in_tenant(tenant_a):
        summary = run_insurance(tenant=tenant_a, today=DUE + timedelta(days=61)).summary()
        assert Declaration.objects.get(invoice=invoice).status == Declaration.Status.LATE
    assert summary["late_declarations"] == 1


def test_the_claim_is_filed_once_after_the_waiting_period_with_its_computation(tenant_a, in_tenant):
    """Invoice 7 200 TTC = 6 000 HT, covered excl. VAT, unpaid. Limit 50 000.
    Base: min(6 000, 50 000) = 6 000; × 90 % = 5 400; − deductible 500 = 4 900."""
    _policy, invoice = covered_invoice(tenant_a)
    opens = DUE + timedelta(days=150)
    with in_tenant(tenant_a):
        run_ladder(tenant=tenant_a, today=DUE + timedelta(days=1))
        assert run_insurance(tenant=tenant_a, today=opens - timedelta(days=1)).claims == 0
        assert run_insurance(tenant=tenant_a, today=opens).claims == 1
        assert run_insurance(tenant=tenant_a, today=opens).claims == 0
        assert run_insurance(tenant=tenant_a, today=opens + timedelta(days=5)).claims == 0
        claim = Claim.objects.get()
        assert ClaimInvoice.objects.get().invoice == invoice
        assert Case.objects.get(invoice=invoice).state == Case.State.INSURER
    assert claim.unpaid_covered == D("6000.00")
    assert claim.expected_indemnity == D("4900.00")
    assert claim.state == Claim.State.TO_FILE
    assert [label for label, _amount in claim.computation][-1]
    assert claim.computation[-1][1] == "4900.00"


def test_the_limits_read_together_are_those_read_one_by_one(tenant_a, in_tenant):
    """The batch reads its claims' limits in one query: the same as `limit_in_force` for a
    granted limit, a later decision replacing it, a refusal, an expired limit, a requested
    one (not a decision), another policy's and none at all."""
    from insurance.selectors import limit_in_force, limits_in_force

    policy, other = make_policy(tenant_a), make_policy(tenant_a, number="POL-2")
    clients = [make_client(tenant_a) for _ in range(6)]
    grant(tenant_a, clients[0], policy, "10000.00")
    grant(tenant_a, clients[1], policy, "10000.00")
    grant(tenant_a, clients[1], policy, "20000.00", on=date(2026, 3, 1))
    grant(tenant_a, clients[2], policy, "0.00", status="refused")
    expired = grant(tenant_a, clients[3], policy, "10000.00")
    grant(tenant_a, clients[4], policy, "30000.00", on=date(2026, 3, 1), status="requested")
    grant(tenant_a, clients[5], other, "40000.00")
    with in_tenant(tenant_a):
        CreditLimit.objects.filter(pk=expired.pk).update(valid_until=date(2026, 2, 1))
        day = date(2026, 4, 1)
        pairs = [(client.pk, p.pk) for client in clients for p in (policy, other)]
        together = limits_in_force(pairs, day)
        one_by_one = {
            (client.pk, p.pk): limit_in_force(client, day, p)
            for client in clients
            for p in (policy, other)
        }
    assert together == one_by_one
    assert [together[(client.pk, policy.pk)] for client in clients] == [
        D("10000.00"),
        D("20000.00"),
        D("0"),
        None,
        None,
        None,
    ]
    assert together[(clients[5].pk, other.pk)] == D("40000.00")


def test_a_disputed_invoice_is_not_claimed(tenant_a, in_tenant):
    _policy, invoice = covered_invoice(tenant_a)
    with in_tenant(tenant_a):
        run_ladder(tenant=tenant_a, today=DUE + timedelta(days=1))
        Pause.objects.create(
            tenant=tenant_a,
            case=Case.objects.get(invoice=invoice),
            kind=Pause.Kind.DISPUTE,
            reason="Quantity disputed",
            starts_on=DUE + timedelta(days=2),
        )
        assert run_insurance(tenant=tenant_a, today=DUE + timedelta(days=160)).claims == 0


def test_the_daily_job_records_its_run_and_each_tenant_sees_only_its_claims(
    tenant_a, tenant_b, in_tenant
):
    covered_invoice(tenant_a)
    day = DUE + timedelta(days=150)
    assert run_job_for_tenant("insurance", tenant=tenant_a, today=day)["claims"] == 1
    assert run_job_for_tenant("insurance", tenant=tenant_b, today=day)["claims"] == 0
    with in_tenant(tenant_b):
        assert not Claim.objects.exists() and not Cover.objects.exists()
    with in_tenant(tenant_a):
        assert Claim.objects.count() == 1


def test_admins_are_told_once_when_a_declaration_is_at_risk(
    tenant_a, in_tenant, admin_a, django_capture_on_commit_callbacks, mailoutbox
):
    _policy, invoice = covered_invoice(tenant_a)
    deadline = DUE + timedelta(days=60)
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        run_insurance(tenant=tenant_a, today=deadline - timedelta(days=5))  # prepared
        assert mailoutbox == []
        run_insurance(tenant=tenant_a, today=deadline - timedelta(days=2))  # still not sent
        run_insurance(tenant=tenant_a, today=deadline - timedelta(days=1))
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [admin_a.user.email]
    assert invoice.number in mailoutbox[0].body


def test_the_warning_before_issue_tells_the_cover_the_invoice_will_get(tenant_a, in_tenant):
    # Terms "45 days end of month" issued on 20 March: 45 days is 4 May, the end of that
    # month 31 May, 72 days of credit beyond the policy's 60: not covered at all. The warning
    # shown on the draft reads the same credit period as the cover stored at issue.
    from invoices.services.billing import invoice_draft_create, invoice_issue
    from invoices.signals import warnings_before_issue
    from portage.tenancy import tenant_context

    policy = make_policy(tenant_a)
    client = make_client(tenant_a)
    grant(tenant_a, client, policy, "50000.00")
    issued_on = date(2026, 3, 20)
    with tenant_context(tenant_a):
        draft = invoice_draft_create(
            tenant=tenant_a,
            client=client,
            consultant=make_consultant(tenant_a),
            lines=[day_line()],
            by=None,
            payment_terms="eom45",
            payment_days=45,
        )
        warnings = warnings_before_issue(draft, issued_on)
        invoice = invoice_issue(invoice=draft, by=None, issued_on=issued_on)
    assert warnings == [
        "Credit insurance: 6\u202f000,00\xa0€ of this invoice will not be covered (Credit "
        "period beyond the maximum). Limit in force: 50\u202f000,00\xa0€."
    ]
    decided = cover(tenant_a, invoice, in_tenant)
    assert (decided.reason, decided.uncovered_amount) == ("credit_period", D("6000.00"))
