from accounting import api

routes = [
    ("accounting/entries", api.EntryViewSet, "api-accounting-entry"),
    ("accounting/fec", api.FecViewSet, "api-accounting-fec"),
]
