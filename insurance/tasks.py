from celery import shared_task

from insurance.connectors import TemporaryFailure
from portage.tasks import TenantTask

RETRY = {
    "autoretry_for": (TemporaryFailure,),
    "retry_backoff": 60,
    "retry_backoff_max": 3600,
    "max_retries": 8,
}


@shared_task(base=TenantTask, bind=True, acks_late=True, **RETRY)
def send_declaration(self, *, tenant, declaration_pk):
    """Declares an overdue through the insurer's API, retried with backoff for hours."""
    from insurance.services.transmit import transmit_declaration

    transmit_declaration(declaration_pk, final=self.request.retries >= self.max_retries)


@shared_task(base=TenantTask, bind=True, acks_late=True, **RETRY)
def send_claim(self, *, tenant, claim_pk):
    """Files a claim through the insurer's API, retried with backoff for hours."""
    from insurance.services.transmit import transmit_claim

    transmit_claim(claim_pk, final=self.request.retries >= self.max_retries)
