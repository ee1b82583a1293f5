"""What the billing app tells the apps above it (collections, insurance), which it does not
know: they connect their own services to these signals in their `AppConfig.ready`."""

from django.dispatch import Signal

# Sent inside the issuing transaction, with `invoice` (an issued invoice, not a credit
# note): credit insurance decides its cover then, as the policy asks.
invoice_issued = Signal()

# Sent inside the issuing transaction for every issued document, invoice or credit note
# (`invoice`): e-invoicing deposits it with the company's plateforme agréée.
document_issued = Signal()

# Sent inside the transaction when a client is created (`client`): e-invoicing looks its
# SIREN up in the directory once the client is committed.
client_created = Signal()

# Checks the apps above run on a draft before it is issued: callables
# `check(invoice, day) -> list of str`, each a warning shown to the user (credit insurance
# warns when the invoice takes the client over its limit). They never block the issue.
issue_warnings = []


def warnings_before_issue(invoice, day):
    return [warning for check in issue_warnings for warning in check(invoice, day)]


# Sent inside the transaction when part of a payment is allocated to an invoice
# (`allocation`, `invoice`, `payment`), after the consultant's account was brought in line,
# and when an allocation is undone (`allocation`, `invoice`, `booked_on`). Credit insurance
# shares a payment received after an indemnity with the insurer (subrogation).
payment_allocated = Signal()
allocation_undone = Signal()

# Sent inside the transaction once a payment and its allocations are recorded (`payment`).
payment_recorded = Signal()

# Panels the apps above add to a client's page: callables `panel(client, today) -> dict`,
# merged into the page's context (credit insurance adds its limit, exposure and cover).
client_panels = []


def client_panel_context(client, day):
    context = {}
    for panel in client_panels:
        context.update(panel(client, day))
    return context
