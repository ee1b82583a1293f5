"""What the billing app tells the apps above it (collections, insurance), which it does not
know: they connect their own services to these signals in their `AppConfig.ready`."""

from django.dispatch import Signal

# Sent inside the issuing transaction, with `invoice` (an issued invoice, not a credit
# note): credit insurance decides its cover then, as the policy asks.
invoice_issued = Signal()
