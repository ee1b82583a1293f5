"""The credit insurance daily job (see portage.batch)."""

from portage.batch import daily_job


@daily_job("insurance", label="Assurance-crédit")
def run(*, tenant, today):
    from insurance.services.batch import run_insurance

    return run_insurance(tenant=tenant, today=today).summary()
