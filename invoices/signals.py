"""What the billing app tells the apps above it (collections, insurance), which it does not
know: they connect their own services to these signals in their `AppConfig.ready`."""

from django.dispatch import Signal

from invoices.models import Invoice

# Sent inside the issuing transaction, with `invoice` (an issued invoice, not a credit
# note): credit insurance decides its cover then, as the policy asks.
invoice_issued = Signal()

# Sent inside the issuing transaction for every issued document, invoice or credit note
# (`invoice`): e-invoicing deposits it with the company's plateforme agréée.
document_issued = Signal()

# Sent inside the transaction when a client is created (`client`): e-invoicing looks its
# SIREN up in the directory once the client is committed.
client_created = Signal()

issue_warnings = Signal()
"""
Sent when a draft is shown before it is issued, for what the apps above want the user to
know first (credit insurance: the part of the invoice it will not cover, and why).

sender: `Invoice`.
Arguments: `invoice` (the draft), `day` (the day it would be issued).
Answer: a list of warnings (str), shown to the user; they never block the issue.
"""


def warnings_before_issue(invoice, day):
    answers = issue_warnings.send(sender=type(invoice), invoice=invoice, day=day)
    return [warning for _receiver, warnings in answers for warning in warnings]


# Sent inside the transaction when part of a payment is allocated to an invoice
# (`allocation`, `invoice`, `payment`), after the consultant's account was brought in line,
# and when an allocation is undone (`allocation`, `invoice`, `booked_on`). Credit insurance
# shares a payment received after an indemnity with the insurer (subrogation).
payment_allocated = Signal()
allocation_undone = Signal()

# Sent inside the transaction once a payment and its allocations are recorded (`payment`).
payment_recorded = Signal()

client_panels = Signal()
"""
Sent when a client's page is shown, for the panels the apps above add to it (credit
insurance: the client's limit, exposure and cover).

sender: `Client`.
Arguments: `client`, `day` (today).
Answer: a dict added to the page's context (empty when the app has nothing to show).
"""


def client_panel_context(client, day):
    context = {}
    for _receiver, answer in client_panels.send(sender=type(client), client=client, day=day):
        context.update(answer)
    return context


invoice_rows = Signal()
"""
Sent by the invoice list and an invoice's page with the invoices they show, before the page
is rendered, so that the apps above set on them what the page shows of their collection.

sender: `Invoice`.
Arguments: `invoices` (a list).
Answer: none; a receiver sets attributes on the invoices, in a constant number of queries
(collections sets `case`, with its last and next step, `bank_hold` and `timeline_url`;
credit insurance, through collections' `invoice_facts`, `cover`).
"""


def invoice_row_facts(invoices):
    """Sets what the apps above know of `invoices` (see `invoice_rows`); returns them."""
    invoice_rows.send(sender=Invoice, invoices=invoices)
    return invoices
