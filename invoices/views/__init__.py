"""Billing pages: clients and their missions (clients), invoices and credit notes with
their PDF (invoices), payments (payments), the bank statement queue (bank), the consultant's
invoices in the portal (portal), and billing's part of the collector's home (home)."""
