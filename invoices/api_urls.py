from invoices.api import bank_statements, clients, invoices, missions, payments

routes = [
    ("clients", clients.ClientViewSet, "api-client"),
    ("missions", missions.MissionViewSet, "api-mission"),
    ("invoices", invoices.InvoiceViewSet, "api-invoice"),
    ("payments", payments.PaymentViewSet, "api-payment"),
    ("bank-statements", bank_statements.BankStatementViewSet, "api-bank-statement"),
]
