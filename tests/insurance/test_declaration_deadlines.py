"""Overdue declarations counted and coloured once (insurance.selectors), the same on the
collector's home, the insurance home and the declarations page."""

import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation

from insurance import selectors
from insurance.models import Claim, ClaimInvoice, Declaration
from insurance.services import claims as services
from insurance.services.batch import InsuranceRun, alert_admins, run_insurance
from insurance.timeline import client_events
from portage.tenancy import tenant_context
from tests.factories import make_client, make_consultant, make_invoice
from tests.insurance.test_claims_pages import (
    CLAIM_DAY,
    FILED,
    grant,
    make_policy,
    refreshed,
    two_declarations,
)

pytestmark = pytest.mark.django_db

# two_declarations: X due 2026-04-01, deadline 2026-05-31, found late on 2026-06-27;
# Y due 2026-05-01, deadline 2026-06-30, to send.
BATCH_DAY = date(2026, 6, 27)


def counts(tenant, today):
    with tenant_context(tenant):
        return selectors.declaration_counts(today=today)


def test_a_declaration_past_its_deadline_counts_as_cover_lost_whatever_its_status(tenant_a):
    two_declarations(tenant_a)
    assert counts(tenant_a, BATCH_DAY) == selectors.DeclarationCounts(lost=1, to_declare=1, near=0)
    assert counts(tenant_a, date(2026, 7, 1)) == selectors.DeclarationCounts(
        lost=2, to_declare=0, near=0
    )


def test_the_deadline_day_is_still_in_time_and_near(tenant_a):
    two_declarations(tenant_a)
    assert counts(tenant_a, date(2026, 6, 28)).near == 1
    assert counts(tenant_a, date(2026, 6, 30)) == selectors.DeclarationCounts(
        lost=1, to_declare=1, near=1
    )


def test_a_declared_overdue_is_no_longer_counted(tenant_a, collector):
    _late, to_send = two_declarations(tenant_a)
    with tenant_context(tenant_a):
        services.declaration_mark_sent(
            declaration=to_send, actor=collector.user, declared_on=BATCH_DAY, today=BATCH_DAY
        )
    assert counts(tenant_a, BATCH_DAY) == selectors.DeclarationCounts(lost=1, to_declare=0, near=0)


def claim_of_both(tenant):
    """Both invoices still unpaid when X's waiting period has run: the batch opens one claim
    to file for X (Y's waiting period runs until 2026-09-28)."""
    with tenant_context(tenant):
        run_insurance(tenant=tenant, today=CLAIM_DAY)
        return Claim.objects.get()


def test_an_invoice_whose_claim_is_filed_is_not_to_declare(tenant_a, collector):
    late, _to_send = two_declarations(tenant_a)
    claim = claim_of_both(tenant_a)
    assert counts(tenant_a, FILED).lost == 2  # a claim to file has told the insurer nothing
    with tenant_context(tenant_a):
        services.claim_file(claim=claim, actor=collector.user, filed_on=FILED)
        assert list(selectors.declarations_told_by_claim()) == [late]
    assert counts(tenant_a, FILED) == selectors.DeclarationCounts(lost=1, to_declare=0, near=0)


@pytest.mark.parametrize("state", ["acknowledged", "indemnified", "partial"])
def test_an_invoice_whose_claim_was_acknowledged_or_indemnified_is_not_to_declare(tenant_a, state):
    two_declarations(tenant_a)
    claim = claim_of_both(tenant_a)
    with tenant_context(tenant_a):
        Claim.objects.filter(pk=claim.pk).update(state=state)
    assert counts(tenant_a, FILED).lost == 1


def test_a_declaration_the_insurer_api_refused_can_be_recorded_as_declared(tenant_a, collector):
    _late, to_send = two_declarations(tenant_a)
    with tenant_context(tenant_a):
        services.declaration_mark_failed(declaration=to_send, detail="503")
        services.declaration_mark_sent(
            declaration=to_send, actor=collector.user, declared_on=BATCH_DAY, today=BATCH_DAY
        )
    assert refreshed(tenant_a, to_send).status == Declaration.Status.SENT


# The pages


@pytest.fixture
def on_day(monkeypatch):
    def set_day(day):
        for module in ("insurance.views.home", "insurance.views.claims"):
            monkeypatch.setattr(f"{module}.paris_today", lambda: day)

    return set_day


STAT = re.compile(
    r'class="stat stat--declarations-(lost|due)( stat--\w+)?"[^>]*>.*?'
    r'<span class="stat__value">(\d+)</span>',
    re.S,
)


def stats_on(html):
    """{"lost": (count, colour), "due": (count, colour)} as the page shows them."""
    return {kind: (int(value), tone.strip()) for kind, tone, value in STAT.findall(html)}


def test_the_three_pages_show_the_same_counts_and_colours(signed_in, collector, tenant_a, on_day):
    two_declarations(tenant_a)
    on_day(date(2026, 6, 29))
    browser = signed_in(collector)
    pages = [reverse("dashboard"), reverse("insurance_home"), reverse("insurance_declaration_list")]
    seen = [stats_on(browser.get(url).content.decode()) for url in pages]
    assert seen == [{"lost": (1, "stat--alert"), "due": (1, "stat--warn")}] * 3


def test_the_declarations_page_lists_the_lost_covers_with_what_to_do(
    signed_in, collector, tenant_a, on_day
):
    late, to_send = two_declarations(tenant_a)
    on_day(date(2026, 7, 1))
    response = signed_in(collector).get(reverse("insurance_declaration_list"))
    assert [d.pk for d in response.context["lost"]] == [late.pk, to_send.pk]
    assert response.context["to_declare"] == []
    html = response.content.decode()
    assert "What to do:" in html or "Que faire" in html
    # Only the one still waiting to be sent may be recorded as declared late.
    assert [getattr(d, "form", None) is not None for d in response.context["lost"]] == [
        False,
        True,
    ]


def test_the_declarations_page_shows_an_invoice_a_claim_told_the_insurer_of(
    signed_in, collector, tenant_a, on_day
):
    late, _to_send = two_declarations(tenant_a)
    claim = claim_of_both(tenant_a)
    with tenant_context(tenant_a):
        services.claim_file(claim=claim, actor=collector.user, filed_on=FILED)
    on_day(FILED)
    response = signed_in(collector).get(reverse("insurance_declaration_list"))
    assert late.pk not in [d.pk for d in response.context["lost"]]
    assert [d.pk for d in response.context["told_by_claim"]] == [late.pk]


def test_no_declaration_leaves_both_counts_at_zero_and_uncoloured(signed_in, collector, tenant_a):
    policy = make_policy(tenant_a)
    client = make_client(tenant_a)
    grant(tenant_a, client, policy)
    make_invoice(tenant_a, client=client, consultant=make_consultant(tenant_a))
    html = signed_in(collector).get(reverse("insurance_home")).content.decode()
    assert stats_on(html) == {"lost": (0, ""), "due": (0, "")}


# The client's timeline and the admins' alert read the same declarations


def test_the_client_timeline_tells_a_lost_cover_and_one_still_to_declare(tenant_a, monkeypatch):
    late, to_send = two_declarations(tenant_a)
    monkeypatch.setattr("insurance.timeline.paris_today", lambda: BATCH_DAY)
    with tenant_context(tenant_a), translation.override("en"):
        late, to_send = (
            Declaration.objects.select_related("invoice__client").get(pk=d.pk)
            for d in (late, to_send)
        )
        titles = [event.title for event in client_events(sender=None, client=late.invoice.client)]
    assert f"Overdue declaration deadline missed — {late.invoice.number}" in titles
    assert f"Overdue to declare by 06/30/2026 — {to_send.invoice.number}" in titles


def claimed_by_hand(tenant, declaration, state=Claim.State.FILED):
    """A claim the insurer was told of, for the declaration's invoice."""
    with tenant_context(tenant):
        claim = Claim.objects.create(
            tenant=tenant,
            client=declaration.invoice.client,
            policy=declaration.policy,
            state=state,
            opened_on=BATCH_DAY,
            unpaid_covered=declaration.unpaid_amount,
            expected_indemnity=declaration.unpaid_amount,
        )
        ClaimInvoice.objects.create(
            tenant=tenant,
            claim=claim,
            invoice=declaration.invoice,
            unpaid_amount=declaration.unpaid_amount,
            covered_amount=declaration.unpaid_amount,
        )


def test_the_admins_are_not_alerted_of_an_invoice_a_claim_told_the_insurer_of(tenant_a):
    _late, to_send = two_declarations(tenant_a)
    claimed_by_hand(tenant_a, to_send)
    with tenant_context(tenant_a):
        alert_admins(tenant_a, date(2026, 6, 29), InsuranceRun())
    assert refreshed(tenant_a, to_send).alerted_on is None


def test_the_admins_are_alerted_two_days_before_the_deadline(tenant_a):
    _late, to_send = two_declarations(tenant_a)
    with tenant_context(tenant_a):
        alert_admins(tenant_a, date(2026, 6, 28), InsuranceRun())
    assert refreshed(tenant_a, to_send).alerted_on == date(2026, 6, 28)


def test_the_consultant_reads_a_lost_cover_as_the_collector_s_pages_count_it(
    signed_in, collector, tenant_a, on_day, monkeypatch
):
    # Y's declaration still waits to be sent the day after its deadline: the declarations
    # page counts it as lost cover, and the consultant's invoice page does not say it is
    # "being declared".
    _late, to_send = two_declarations(tenant_a)
    day = date(2026, 7, 1)
    on_day(day)
    monkeypatch.setattr("invoices.views.portal.paris_today", lambda: day)
    lost = signed_in(collector).get(reverse("insurance_declaration_list")).context["lost"]
    assert to_send.pk in [d.pk for d in lost]
    with tenant_context(tenant_a):
        consultant = to_send.invoice.consultant
        membership = consultant.user.memberships.get(tenant=tenant_a)
    html = signed_in(membership).get(reverse("portal_invoice", args=[to_send.invoice_id]))
    html = html.content.decode().replace("&#x27;", "'")
    assert "Non déclaré à temps à l'assureur-crédit" in html
    assert "en cours de déclaration" not in html


def test_the_invoice_list_marks_the_cover_lost_where_the_declarations_page_counts_it(
    signed_in, collector, tenant_a, monkeypatch
):
    # On 2026-06-29 X's declaration is past its deadline (lost), Y's still in time.
    late, to_send = two_declarations(tenant_a)
    monkeypatch.setattr("insurance.timeline.paris_today", lambda: date(2026, 6, 29))
    browser = signed_in(collector)
    rows = {
        invoice.pk: invoice
        for invoice in browser.get(reverse("invoice_list")).context["page"].object_list
    }
    assert rows[late.invoice_id].cover.lost_deadline == late.deadline
    assert rows[to_send.invoice_id].cover.lost_deadline is None
    html = browser.get(reverse("invoice_detail", args=[late.invoice_id])).content.decode()
    assert 'class="badge badge--danger cover-lost"' in html
    html = browser.get(reverse("invoice_detail", args=[to_send.invoice_id])).content.decode()
    assert "cover-lost" not in html
