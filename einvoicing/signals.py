"""What e-invoicing tells the apps above it (collections, insurance, webhooks)."""

from django.dispatch import Signal

# Sent inside the transaction once a lifecycle status is recorded for the first time
# (`invoice`, `status`: a LifecycleStatus). Collections pause or hold the invoice's case on
# the buyer's refusal, dispute, suspension or payment transmitted.
status_received = Signal()
