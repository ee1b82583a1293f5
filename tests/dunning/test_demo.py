"""`seed_demo` replays the collections ladder over the demo's past 200 days: the demo's
invoices end at every step, each step once, and replaying a day changes nothing."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from dunning.models import Action, Case, Letter, LitigationFile, Message, StepKind
from insurance.models import ClaimInvoice, Cover, Declaration
from portage.batch import paris_today, run_job_for_tenant
from portage.models import Tenant
from portage.tenancy import PLATFORM_DB, tenant_context

pytestmark = pytest.mark.demo


@pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])
def test_the_demo_leaves_invoices_at_every_step_and_claims_filed_once(capsys):
    call_command("seed_demo", "--password", "demo-pass-2026")
    assert "205" in capsys.readouterr().out  # one line per company says what was replayed
    today = paris_today()
    for tenant in Tenant.objects.order_by("slug"):
        with tenant_context(tenant):
            kinds = set(Action.objects.values_list("kind", flat=True))
            assert kinds == set(StepKind.values)
            pairs = list(Action.objects.values_list("invoice_id", "step_id"))
            assert len(pairs) == len(set(pairs))
            # Each step on its day: due date + the step's days (the replay saw every day).
            for action in Action.objects.select_related("invoice", "step"):
                expected = action.invoice.due_date + timedelta(days=action.step.days_from_due)
                assert action.performed_on == expected, (action.invoice.number, action.kind)
            assert Letter.objects.exists() and LitigationFile.objects.exists()
            assert not Message.objects.exclude(status="sent").exists()
            assert Case.objects.filter(state__in=["litigation", "insurer"]).count() >= 2
            # Credit insurance, replayed with it: every covered overdue invoice declared by
            # its deadline, each claim filed on the day the waiting period ran, once.
            declared = {d.invoice_id: d for d in Declaration.objects.select_related("policy")}
            for cover in Cover.objects.filter(covered_amount__gt=0).select_related(
                "invoice", "policy"
            ):
                invoice = cover.invoice
                deadline = invoice.due_date + timedelta(days=cover.policy.declaration_days)
                if invoice.balance > 0 and deadline - timedelta(days=5) <= today:
                    assert declared[invoice.pk].prepared_on <= deadline, invoice.number
                    assert declared[invoice.pk].status == "to_send"
            lines = list(ClaimInvoice.objects.select_related("claim", "invoice"))
            assert lines, "the demo files at least one claim"
            assert len({line.invoice_id for line in lines}) == len(lines)
            for line in lines:
                waiting = timedelta(days=line.claim.policy.waiting_days)
                assert line.claim.opened_on == line.invoice.due_date + waiting
            assert {c.reason for c in Cover.objects.all()} >= {"covered", "limit_refused"}
            before = Action.objects.count()
        # Re-running any day of the last 90 changes nothing (every day for the first
        # company, a few for the second).
        for back in range(91) if tenant.slug == "alpine" else (0, 45, 90):
            summary = run_job_for_tenant("dunning", tenant=tenant, today=today - timedelta(back))
            assert summary["steps"] == 0
        with tenant_context(tenant):
            assert Action.objects.count() == before
