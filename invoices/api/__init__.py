"""API v1 for billing, one module per resource: clients, missions, invoices and credit
notes, payments, bank statements. The same services as the pages; this layer validates
input and answers. The routes are in invoices/api_urls.py."""
