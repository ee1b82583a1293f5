"""What the collections ladder tells the apps above it, which it does not know."""

from django.dispatch import Signal

# Sent inside the transaction once a step was performed for a group of invoices: `actions`
# (one per invoice), `step`, `client`, `status` (the actions' status), `day`.
step_performed = Signal()
