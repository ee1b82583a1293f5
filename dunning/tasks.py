"""Dunning tasks: small wrappers around the services.

The services that write a formal notice send its render task, and the tasks call the
services: each side imports the other's module, not names from it, so either may be
imported first."""

from datetime import date

from celery import shared_task
from django.utils import timezone

from dunning.models import Letter
from dunning.services import ladder, letters, mail
from portage.tasks import RETRY_ON_DATABASE, TenantTask
from portage.tenancy import tenant_context

# A letter's PDF that could not be drawn is tried again 1, 4 and 16 minutes later; past
# that, the sweep draws it again every `letters.SWEEP_AFTER`.
LETTER_PDF_RETRIES = 3


class LetterPdfFailed(Exception):
    """The renderer failed on a letter; the error is stored on the letter."""


@shared_task(
    base=TenantTask,
    name="dunning.tasks.run_dunning_chunk",
    acks_late=True,
    reject_on_worker_lost=True,
    **RETRY_ON_DATABASE,
)
def run_dunning_chunk_task(*, tenant, run_date, client_ids):
    """One chunk of a tenant's day: these clients' steps due that day, performed once (a
    redelivered or retried chunk finds its actions written and does nothing again)."""
    result = ladder.run_ladder(
        tenant=tenant, today=date.fromisoformat(run_date), client_ids=client_ids
    )
    mail.send_after_commit(tenant, result.message_ids)
    summary = result.summary()
    summary.pop("lines")
    return summary


@shared_task(
    base=TenantTask,
    bind=True,
    name="dunning.tasks.render_letter_pdf",
    atomic=False,
    acks_late=True,
    reject_on_worker_lost=True,
    **RETRY_ON_DATABASE,
)
def render_letter_pdf_task(self, *, tenant, letter_id):
    """Draws a formal notice's PDF once the batch committed it (idempotent: a letter that
    has its PDF is left as it is). A failure is recorded on the letter, in its own
    transaction, then the task is retried with backoff."""
    with tenant_context(tenant):
        letter = letters.letter_pdf_draw(letter=Letter.objects.get(pk=letter_id))
    if letter.pdf_state == Letter.PdfState.FAILED:
        raise self.retry(
            exc=LetterPdfFailed(letter.pdf_error),
            countdown=60 * 4**self.request.retries,
            max_retries=LETTER_PDF_RETRIES,
        )
    return {"letter": letter.pk, "pdf_sha256": letter.pdf_sha256}


@shared_task(name="dunning.tasks.draw_missing_letter_pdfs", acks_late=True)
def draw_missing_letter_pdfs_task():
    """Draws the formal notices' PDFs still missing, for every tenant (the beat runs this
    every quarter of an hour: a task lost while the broker was away, retries run out)."""
    return letters.letters_draw_missing(now=timezone.now())


@shared_task(name="dunning.tasks.deliver_due_messages", acks_late=True)
def deliver_due_messages_task():
    """Sends the collection emails whose (next) attempt is due, for every tenant."""
    return mail.deliver_due()
