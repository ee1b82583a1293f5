"""Writes of the accounting export: the company's chart of accounts."""

from django.db import IntegrityError, transaction

from accounting.models import ChartOfAccounts
from portage.services import audit_diff, audit_record, snapshot

CHART_FIELDS = [
    f.name
    for f in ChartOfAccounts._meta.get_fields()
    if f.concrete and f.name not in ("id", "tenant", "updated_at")
]


@transaction.atomic
def chart_update(*, tenant, by, **changes):
    """Saves the company's accounts and journals (created with the defaults the first time);
    every number checked (digits, its class of the chart) and the change audited."""
    try:
        with transaction.atomic():
            ChartOfAccounts.objects.get_or_create(tenant=tenant)
    except IntegrityError:
        pass  # created at the same moment by another request: it is there now
    chart = ChartOfAccounts.objects.select_for_update().get(tenant=tenant)
    unknown = set(changes) - set(CHART_FIELDS)
    if unknown:
        raise TypeError(f"Not a field of the chart of accounts: {', '.join(sorted(unknown))}")
    before = snapshot(chart, changes)
    for name, value in changes.items():
        setattr(chart, name, value.strip() if isinstance(value, str) else value)
    chart.full_clean(exclude=["tenant"])
    chart.save()
    old, new = audit_diff(before, snapshot(chart, changes))
    if new:
        audit_record(
            tenant=tenant,
            actor=by,
            action="accounting.chart_updated",
            obj=chart,
            before=old,
            after=new,
        )
    return chart
