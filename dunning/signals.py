"""What the collections ladder tells the apps above it, which it does not know."""

from django.dispatch import Signal

# Sent inside the transaction once steps were performed, for all the groups of invoices a
# pass performed together: `groups`, a list of (actions (one per invoice), step, client,
# status (the actions' status)), and `day`.
step_performed = Signal()

timeline_sources = Signal()
"""
Sent when a client's collections timeline is built, for the events the apps above add to
it (credit insurance: covers refused, declarations, claims, indemnities).

sender: `Client`.
Arguments: `client`.
Answer: an iterable of `dunning.selectors.Event`.
"""

invoice_facts = Signal()
"""
Sent with the invoices the worklist, a client's timeline and the consultant's portal show,
for the facts the apps above set on them (credit insurance sets `cover`, its Cover or None).
The worklist shows its cover column only when a receiver is connected.

sender: `Invoice`.
Arguments: `invoices` (a list).
Answer: none; a receiver sets attributes on the invoices, in a constant number of queries.
"""

client_panels = Signal()
"""
Sent when a client's collections timeline page is shown, for the panels the apps above
add to it (credit insurance: the client's limit, exposure and cover).

sender: `Client`.
Arguments: `client`, `day` (today).
Answer: a dict added to the page's context (empty when the app has nothing to show).
"""
