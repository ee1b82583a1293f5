from django.urls import path

from accounting import api

routes = [
    ("accounting/fec", api.FecViewSet, "api-accounting-fec"),
]

# One page of entries is an object (next, previous, results), not a list of them.
urlpatterns = [
    path(
        "accounting/entries/",
        api.EntryViewSet.as_view({"get": "retrieve"}),
        name="api-accounting-entries",
    ),
    path(
        "accounting/chart/",
        api.ChartViewSet.as_view({"get": "retrieve", "put": "update"}),
        name="api-accounting-chart",
    ),
]
