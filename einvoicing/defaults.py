"""What e-invoicing takes when nothing else is given."""

from invoices.facturx import DIRECTORY_SCHEME

# The scheme of a client's directory address when its entry names none: an address built
# on the SIREN (the French directory's scheme, 0225).
DEFAULT_SCHEME = DIRECTORY_SCHEME
