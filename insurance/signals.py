"""What credit insurance tells the apps above it, which it does not know."""

from django.dispatch import Signal

# Sent inside the transaction with `claim`, once it is filed with the insurer (by hand or
# through the insurer's API), and once its indemnity is recorded.
claim_filed = Signal()
claim_indemnified = Signal()
