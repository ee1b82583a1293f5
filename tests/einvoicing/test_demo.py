"""`seed_demo` plays what a platform would have answered for the demo's invoices."""

import pytest
from django.core.management import call_command

from dunning.models import Pause
from einvoicing.models import (
    CollectionReport,
    LifecycleStatus,
    Outgoing,
    PaymentReport,
    Submission,
)
from invoices.models import Allocation
from portage.models import Tenant
from portage.tenancy import PLATFORM_DB, tenant_context

pytestmark = pytest.mark.demo


@pytest.mark.django_db(transaction=True, databases=["default", PLATFORM_DB])
def test_the_demo_deposits_its_invoices_and_reports_what_was_collected():
    call_command("seed_demo", "--password", "demo-pass-2026", "--replay-days", "0")
    for tenant in Tenant.objects.order_by("slug"):
        with tenant_context(tenant):
            assert Submission.objects.exists()
            assert not Submission.objects.exclude(state=Submission.State.DEPOSITED).exists()
            codes = list(LifecycleStatus.objects.values_list("code", flat=True))
            assert {"200", "204", "205", "210", "207", "212"} <= set(codes)
            refused = LifecycleStatus.objects.get(code="210")
            pause = Pause.objects.get(case__invoice=refused.invoice, kind=Pause.Kind.DISPUTE)
            assert refused.reason_text in pause.reason
            # Each allocation to a deposited invoice reported once, for its amount.
            for report in CollectionReport.objects.all():
                assert report.state == Outgoing.SENT
                assert report.amount == report.allocation.amount
            deposited = Allocation.objects.filter(invoice__submissions__isnull=False)
            assert CollectionReport.objects.count() == deposited.count()
            assert PaymentReport.objects.filter(state__in=[Outgoing.SENT, Outgoing.ACCEPTED])
    # Run again: nothing is deposited or reported twice.
    counts = _counts()
    call_command("seed_demo", "--password", "demo-pass-2026", "--replay-days", "0")
    assert _counts() == counts


def _counts():
    counts = []
    for tenant in Tenant.objects.order_by("slug"):
        with tenant_context(tenant):
            counts.append(
                (
                    Submission.objects.count(),
                    LifecycleStatus.objects.count(),
                    CollectionReport.objects.count(),
                    PaymentReport.objects.count(),
                )
            )
    return counts
