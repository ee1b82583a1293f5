"""Collections pages: the worklist and timelines (worklist), the aging balance (aging),
policies and rates (policies), letters, messages and litigation files (litigation), and the
consultant's part in the portal (portal)."""
