"""The e-invoicing daily job (see portage.batch)."""

from portage.batch import daily_job


@daily_job("einvoicing", label="Facturation électronique")
def run(*, tenant, today):
    """Reads the platform's statuses, and builds and sends the payment e-reporting of every
    period ended."""
    from einvoicing.selectors import platform_account
    from einvoicing.services.platform import uses_api
    from einvoicing.services.reporting import reports_due
    from einvoicing.services.statuses import statuses_read

    account = platform_account()
    if account is None:
        return {"platform": "none"}
    read = statuses_read(tenant=tenant) if uses_api(account) else 0
    built = [report for report in reports_due(tenant=tenant, today=today) if report]
    return {"statuses_read": read, "payment_reports_built": len(built)}
