"""What the consultants' portal tells the apps above it, which it does not know: they
connect to these signals in their `AppConfig.ready`, with a `dispatch_uid`."""

from django.dispatch import Signal

portal_invoices = Signal()
"""
Sent by the consultant's home, an invoice's page in the portal and the pay page with the
invoices they show, before the page is rendered, so that the apps above set on them what
the page tells of each.

sender: `Consultant`.
Arguments: `consultant`, `invoices` (a list of the consultant's issued invoices), `today`
(the page's day, Paris time).
Answer: none; a receiver sets attributes on the invoices (collections sets `case`, with
its last and next step; credit insurance, through collections' `invoice_facts`, `cover`,
and `insurance_status`: where the insurer stands, in words, or "").
"""
