from invoices.api import invoices as api

routes = [
    ("clients", api.ClientViewSet, "api-client"),
    ("missions", api.MissionViewSet, "api-mission"),
    ("invoices", api.InvoiceViewSet, "api-invoice"),
    ("payments", api.PaymentViewSet, "api-payment"),
    ("bank-statements", api.BankStatementViewSet, "api-bank-statement"),
]
