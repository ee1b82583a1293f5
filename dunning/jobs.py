"""The dunning ladder's daily job (see portage.batch)."""

from portage.batch import daily_job


@daily_job("dunning", label="Relances")
def run(*, tenant, today):
    from dunning.services.ladder import run_ladder
    from dunning.services.mail import send_after_commit

    result = run_ladder(tenant=tenant, today=today)
    send_after_commit(tenant, result.message_ids)
    return result.summary()
