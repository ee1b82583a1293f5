"""What a new credit insurance policy starts with, before its admin enters the contract's
own terms."""

# The client categories credit insurance usually leaves out of the cover (DESIGN: public
# entities, individuals and related companies).
DEFAULT_EXCLUDED_CATEGORIES = ["public", "individual", "related"]
