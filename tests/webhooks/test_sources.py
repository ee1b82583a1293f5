"""Where the events come from: the collections ladder and the claims, through the same
services as the pages and the batch; a dry run of the batch records and sends nothing."""

from datetime import timedelta

import pytest

from dunning.models import Action
from portage.batch import run_job_for_tenant
from portage.tenancy import tenant_context
from tests.factories import make_client, make_consultant, make_invoice, make_member
from tests.insurance.test_claims_pages import ISSUED, batch_claim, indemnified
from webhooks.models import Delivery, Event

pytestmark = pytest.mark.django_db


def events(tenant):
    with tenant_context(tenant):
        return [(event.type, event.data) for event in Event.objects.order_by("id")]


def test_a_dunning_step_is_an_event_and_a_dry_run_sends_nothing(
    tenant_a, receiver, subscribe, django_capture_on_commit_callbacks
):
    subscribe(tenant_a, receiver, ["dunning.step_performed"])
    invoice = make_invoice(tenant_a, issued_on=ISSUED)
    day = invoice.due_date - timedelta(days=3)
    with django_capture_on_commit_callbacks() as callbacks:
        run_job_for_tenant("dunning", tenant=tenant_a, today=day, dry_run=True)
    assert events(tenant_a) == [] and callbacks == []
    run_job_for_tenant("dunning", tenant=tenant_a, today=day)
    ((kind, data),) = events(tenant_a)
    assert kind == "dunning.step_performed"
    assert (data["invoice"], data["invoice_number"], data["client"]) == (
        invoice.pk,
        invoice.number,
        invoice.client_id,
    )
    assert (data["step"], data["performed_on"], data["balance"]) == (
        "consultant_reminder",
        day.isoformat(),
        str(invoice.total_ttc),
    )


def test_a_day_s_steps_are_one_event_each_for_every_endpoint_of_their_company_only(
    tenant_a, tenant_b, receiver, subscribe
):
    endpoints = [
        subscribe(tenant_a, receiver, ["dunning.step_performed"]),
        subscribe(tenant_a, receiver, ["dunning.step_performed", "invoice.paid"]),
    ]
    elsewhere = subscribe(tenant_b, receiver, ["dunning.step_performed"])
    consultant = make_consultant(tenant_a)
    invoices = [
        make_invoice(
            tenant_a, client=make_client(tenant_a), consultant=consultant, issued_on=ISSUED
        )
        for _ in range(3)
    ]
    day = invoices[0].due_date + timedelta(days=1)  # J-3 and J+1 to the consultant, 1st reminder
    summary = run_job_for_tenant("dunning", tenant=tenant_a, today=day)
    assert summary["steps"] == 9
    with tenant_context(tenant_a):
        actions = {action.pk: action for action in Action.objects.filter(performed_on=day)}
        stored = list(Event.objects.order_by("id").prefetch_related("deliveries"))
    assert [event.type for event in stored] == ["dunning.step_performed"] * 9
    assert sorted(event.data["id"] for event in stored) == sorted(actions)
    for event in stored:
        action = actions[event.data["id"]]
        assert (event.data["invoice"], event.data["step"], event.data["status"]) == (
            action.invoice_id,
            action.kind,
            action.status,
        )
        assert sorted(d.endpoint_id for d in event.deliveries.all()) == sorted(
            endpoint.pk for endpoint in endpoints
        )
    assert events(tenant_b) == []
    with tenant_context(tenant_b):
        assert not Delivery.objects.filter(endpoint=elsewhere).exists()


def test_a_claim_filed_then_indemnified_is_two_events(tenant_a, receiver, subscribe):
    subscribe(tenant_a, receiver, ["claim.filed", "claim.indemnified"])
    claim, invoice = batch_claim(tenant_a)
    indemnified(tenant_a, claim, make_member(tenant_a, "collector").user)
    (filed_type, filed), (paid_type, paid) = events(tenant_a)
    assert (filed_type, paid_type) == ("claim.filed", "claim.indemnified")
    assert (filed["id"], filed["state"], filed["invoices"]) == (claim.pk, "filed", [invoice.pk])
    assert (filed["expected_indemnity"], filed["indemnity_amount"]) == ("4900.00", None)
    assert (paid["state"], paid["indemnity_amount"]) == ("indemnified", "4900.00")
