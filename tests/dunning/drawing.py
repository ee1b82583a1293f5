"""The formal notices' PDFs drawn as a worker draws them once the batch committed: each
letter's render task, called in the test's process."""

from dunning.models import Letter
from dunning.tasks import render_letter_pdf_task
from portage.tenancy import tenant_context


def draw_letter_pdfs(tenant):
    """Runs the render task of every letter of `tenant` whose PDF is not drawn yet; returns
    the letters drawn, as they now are."""
    with tenant_context(tenant):
        waiting = list(
            Letter.objects.exclude(pdf_state=Letter.PdfState.READY).values_list("pk", flat=True)
        )
    for letter_pk in waiting:
        render_letter_pdf_task(tenant_id=tenant.pk, letter_id=letter_pk)
    with tenant_context(tenant):
        return list(Letter.objects.filter(pk__in=waiting).order_by("pk"))
