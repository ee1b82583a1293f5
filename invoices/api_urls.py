from invoices import api

routes = [
    ("clients", api.ClientViewSet, "api-client"),
    ("invoices", api.InvoiceViewSet, "api-invoice"),
    ("payments", api.PaymentViewSet, "api-payment"),
]
