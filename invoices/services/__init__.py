"""Writes of the invoicing app, by topic: billing (clients, missions, invoices, credit notes),
payments (record, allocate, reverse) and bank (statement import and matching)."""
