"""Demo collections: the ladder replayed over the demo's past 200 days (see `seed_demo`).

Each day runs as the beat would have run it, in its own transaction, so the demo's
invoices end at every step, with the messages, letters and litigation files to look at.
The letters' PDFs are drawn at the end, in this process (no worker need be running), and
their email copies leave then. Emails go to memory, never out: the demo's addresses are
not real.
"""

from datetime import timedelta

from django.test.utils import override_settings

from dunning.models import Action, Letter
from dunning.services.letters import letter_pdf_draw
from portage.batch import run_job_for_tenant
from portage.tenancy import tenant_context


def seed(*, tenant, today, days=205, jobs=("dunning",)):
    """Replays the ladder (and the other daily `jobs` after it, e.g. credit insurance) day
    by day up to today, once per company."""
    with tenant_context(tenant):
        if Action.objects.exists():
            return False
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        for back in range(days, -1, -1):
            for job in jobs:
                run_job_for_tenant(job, tenant=tenant, today=today - timedelta(days=back))
        with tenant_context(tenant):
            for letter in Letter.objects.exclude(pdf_state=Letter.PdfState.READY):
                letter_pdf_draw(letter=letter)
    return True
