"""Declarations and claims through an insurer's API (the local simulator): sent once, even
when the insurer fails, answers slowly or loses its answer; nothing marked sent that was
not, and what finally fails is visible."""

from datetime import timedelta

import pytest

from insurance.connectors import TemporaryFailure
from insurance.connectors.http import HttpConnector
from insurance.models import Claim, ClaimInvoice, Declaration, Insurer
from insurance.services.batch import run_insurance
from insurance.services.transmit import transmit_claim, transmit_declaration
from tests.insurance.simulator import InsurerSimulator
from tests.insurance.test_cover_and_claims import DUE, covered_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def insurer_api():
    with InsurerSimulator(today=DUE) as simulator:
        yield simulator


def api_policy(tenant, in_tenant, simulator):
    policy, invoice = covered_invoice(tenant)
    with in_tenant(tenant):
        Insurer.objects.filter(pk=policy.insurer_id).update(
            connector="http",
            api_base_url=simulator.base_url,
            api_key=simulator.api_key,
            api_secret=simulator.secret,
        )
    return policy, invoice


def connector(simulator, sleeps):
    return HttpConnector(
        simulator.base_url, simulator.api_key, simulator.secret, timeout=0.3, sleep=sleeps.append
    )


def test_the_batch_sends_the_declaration_after_commit_once(
    tenant_a, in_tenant, insurer_api, django_capture_on_commit_callbacks, monkeypatch
):
    api_policy(tenant_a, in_tenant, insurer_api)
    sent = []
    monkeypatch.setattr(
        "insurance.tasks.send_declaration_task.delay", lambda **kwargs: sent.append(kwargs)
    )
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        run_insurance(tenant=tenant_a, today=DUE + timedelta(days=55))
        declaration = Declaration.objects.get()
    assert sent == [{"tenant_id": tenant_a.pk, "declaration_pk": declaration.pk}]
    with in_tenant(tenant_a):
        transmit_declaration(declaration.pk, connector=connector(insurer_api, []))
        transmit_declaration(declaration.pk, connector=connector(insurer_api, []))
        declaration.refresh_from_db()
    assert declaration.status == Declaration.Status.SENT
    assert declaration.insurer_reference
    assert len(insurer_api.filings("overdues")) == 1


@pytest.mark.parametrize("mode", ["500", "timeout", "drop_after_store"])
def test_an_insurer_failure_is_retried_and_files_once(tenant_a, in_tenant, insurer_api, mode):
    api_policy(tenant_a, in_tenant, insurer_api)
    with in_tenant(tenant_a):
        run_insurance(tenant=tenant_a, today=DUE + timedelta(days=150))
        claim = Claim.objects.get()
        insurer_api.fail_next(2, mode)
        sleeps = []
        transmit_claim(claim.pk, connector=connector(insurer_api, sleeps))
        claim.refresh_from_db()
    assert claim.state == Claim.State.FILED
    assert len(insurer_api.filings("claims")) == 1
    assert len(sleeps) == 2  # two retries with backoff


def test_a_lasting_outage_leaves_the_claim_to_file_and_a_later_try_files_it_once(
    tenant_a, in_tenant, insurer_api
):
    api_policy(tenant_a, in_tenant, insurer_api)
    with in_tenant(tenant_a):
        run_insurance(tenant=tenant_a, today=DUE + timedelta(days=150))
        claim = Claim.objects.get()
        insurer_api.fail_next(4, "500")  # every attempt of the first try fails
        with pytest.raises(TemporaryFailure):
            transmit_claim(claim.pk, connector=connector(insurer_api, []))
        claim.refresh_from_db()
        assert claim.state == Claim.State.TO_FILE  # never marked filed when it was not
        transmit_claim(claim.pk, connector=connector(insurer_api, []))
        claim.refresh_from_db()
    assert claim.state == Claim.State.FILED
    assert len(insurer_api.filings("claims")) == 1


def test_a_refused_declaration_is_shown_as_failed_with_the_reason(tenant_a, in_tenant, insurer_api):
    api_policy(tenant_a, in_tenant, insurer_api)
    with in_tenant(tenant_a):
        run_insurance(tenant=tenant_a, today=DUE + timedelta(days=55))
        declaration = Declaration.objects.get()
        insurer_api.fail_next(1, "refuse")
        transmit_declaration(declaration.pk, connector=connector(insurer_api, []))
        declaration.refresh_from_db()
    assert declaration.status == Declaration.Status.FAILED
    assert "SIREN" in declaration.detail
    assert insurer_api.filings("overdues") == []


def test_a_claim_refused_then_filed_through_the_api_shows_no_refusal_and_is_audited_as_filed(
    tenant_a, in_tenant, insurer_api
):
    """The API path files through `claim_file`, like the pages: the refusal an earlier try
    noted no longer shows on the filed claim (the transmit copy left it), and the audit
    says the state moved from "to file" to "filed" and when (the copy said neither)."""
    from portage.models import AuditEntry

    api_policy(tenant_a, in_tenant, insurer_api)
    with in_tenant(tenant_a):
        run_insurance(tenant=tenant_a, today=DUE + timedelta(days=150))
        claim = Claim.objects.get()
        insurer_api.fail_next(1, "refuse")
        transmit_claim(claim.pk, connector=connector(insurer_api, []))
        claim.refresh_from_db()
        assert claim.state == Claim.State.TO_FILE
        assert "SIREN" in claim.rejection_reason
        transmit_claim(claim.pk, connector=connector(insurer_api, []))
        claim.refresh_from_db()
        entry = AuditEntry.objects.get(action="insurance.claim_filed")
    assert claim.state == Claim.State.FILED
    assert claim.rejection_reason == ""
    assert entry.actor_id is None
    assert entry.actor_label == "API de l'assureur"
    assert entry.before == {"state": "À déposer"}
    assert entry.after["state"] == "Déposé"
    assert entry.after["filed_on"] == claim.filed_on.isoformat()
    assert entry.after["insurer_reference"] == claim.insurer_reference


def claim_for(tenant, in_tenant, policy, invoice, state):
    """A claim for the invoice, in `state`, as the claims pages would have brought it."""
    with in_tenant(tenant):
        claim = Claim.objects.create(
            tenant=tenant,
            client=invoice.client,
            policy=policy,
            state=state,
            opened_on=DUE + timedelta(days=50),
            unpaid_covered=invoice.total_ttc,
            expected_indemnity=invoice.total_ttc,
        )
        ClaimInvoice.objects.create(
            tenant=tenant,
            claim=claim,
            invoice=invoice,
            unpaid_amount=invoice.total_ttc,
            covered_amount=invoice.total_ttc,
        )
    return claim


@pytest.mark.parametrize("state", ["filed", "acknowledged", "indemnified", "partial"])
def test_an_invoice_a_claim_told_the_insurer_of_is_not_declared_through_the_api(
    tenant_a, in_tenant, insurer_api, django_capture_on_commit_callbacks, monkeypatch, state
):
    """The declaration was prepared, then a claim told the insurer of the invoice: the next
    day's batch does not send it, nor does a task queued before the claim."""
    policy, invoice = api_policy(tenant_a, in_tenant, insurer_api)
    sent = []
    monkeypatch.setattr(
        "insurance.tasks.send_declaration_task.delay", lambda **kwargs: sent.append(kwargs)
    )
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        run_insurance(tenant=tenant_a, today=DUE + timedelta(days=55))
        declaration = Declaration.objects.get()
    assert len(sent) == 1
    claim_for(tenant_a, in_tenant, policy, invoice, state)
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        run_insurance(tenant=tenant_a, today=DUE + timedelta(days=56))
    assert len(sent) == 1  # nothing more queued
    with in_tenant(tenant_a):
        transmit_declaration(declaration.pk, connector=connector(insurer_api, []))
        declaration.refresh_from_db()
    assert insurer_api.filings("overdues") == []
    assert declaration.status == Declaration.Status.TO_SEND


def test_a_claim_still_to_file_does_not_stop_the_declaration(
    tenant_a, in_tenant, insurer_api, django_capture_on_commit_callbacks, monkeypatch
):
    """A claim not filed yet told the insurer nothing: the overdue is declared."""
    policy, invoice = api_policy(tenant_a, in_tenant, insurer_api)
    claim_for(tenant_a, in_tenant, policy, invoice, "to_file")
    sent = []
    monkeypatch.setattr(
        "insurance.tasks.send_declaration_task.delay", lambda **kwargs: sent.append(kwargs)
    )
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        run_insurance(tenant=tenant_a, today=DUE + timedelta(days=55))
        declaration = Declaration.objects.get()
    assert sent == [{"tenant_id": tenant_a.pk, "declaration_pk": declaration.pk}]


def test_the_batch_prepares_no_declaration_for_an_invoice_already_claimed(
    tenant_a, in_tenant, insurer_api, monkeypatch
):
    policy, invoice = api_policy(tenant_a, in_tenant, insurer_api)
    claim_for(tenant_a, in_tenant, policy, invoice, "filed")
    monkeypatch.setattr("insurance.tasks.send_declaration_task.delay", lambda **kwargs: None)
    with in_tenant(tenant_a):
        run_insurance(tenant=tenant_a, today=DUE + timedelta(days=55))
        assert not Declaration.objects.exists()
