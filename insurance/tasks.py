"""Insurance tasks: each filing sent through the insurer's API, retried with backoff for
hours while it does not answer (the filing's reference makes every retry safe)."""

from celery import shared_task

from insurance.connectors import TemporaryFailure
from insurance.services.transmit import transmit_claim, transmit_declaration
from portage.tasks import TenantTask, retry_while_unreachable

RETRY_WHILE_INSURER_DOWN = retry_while_unreachable(TemporaryFailure, first_wait=60)


@shared_task(
    base=TenantTask,
    name="insurance.tasks.send_declaration",
    bind=True,
    acks_late=True,
    **RETRY_WHILE_INSURER_DOWN,
)
def send_declaration_task(self, *, tenant, declaration_pk):
    """Declares an overdue through the insurer's API, retried with backoff for hours."""
    transmit_declaration(declaration_pk, final=self.request.retries >= self.max_retries)


@shared_task(
    base=TenantTask,
    name="insurance.tasks.send_claim",
    bind=True,
    acks_late=True,
    **RETRY_WHILE_INSURER_DOWN,
)
def send_claim_task(self, *, tenant, claim_pk):
    """Files a claim through the insurer's API, retried with backoff for hours."""
    transmit_claim(claim_pk, final=self.request.retries >= self.max_retries)
