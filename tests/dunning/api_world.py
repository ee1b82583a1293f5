"""Collections objects of one company, for the API's cross-company walk
(tests/portage/test_api.py) and the API tests: an invoice the ladder followed up to the
formal notice, with its case, its reminders and its letter, its PDF drawn."""

from datetime import date, timedelta

from dunning.models import Case, Letter, Message, StepKind
from portage.batch import run_job_for_tenant
from portage.tenancy import tenant_context
from tests.dunning.drawing import draw_letter_pdfs
from tests.factories import make_invoice

ISSUED = date(2026, 3, 2)
DUE = ISSUED + timedelta(days=30)  # 1 April 2026
# The default ladder's first reminder, second reminder and formal notice.
LADDER_DAYS = [DUE + timedelta(days=1), DUE + timedelta(days=15), DUE + timedelta(days=30)]


def late_invoice(tenant, *, issued_on=ISSUED, days=LADDER_DAYS, **invoice_fields):
    """An invoice issued on `issued_on` (due 30 days later) and the ladder run on `days`."""
    invoice = make_invoice(tenant, issued_on=issued_on, **invoice_fields)
    for day in days:
        run_job_for_tenant("dunning", tenant=tenant, today=day)
    return invoice


def build(tenant):
    invoice = late_invoice(tenant)
    draw_letter_pdfs(tenant)
    with tenant_context(tenant):
        case = Case.objects.get(invoice=invoice)
        message = Message.objects.filter(kind=StepKind.FIRST_REMINDER).get()
        letter = Letter.objects.get()
    return {"dunning-case": case.pk, "message": message.pk, "letter": letter.pk}
