from django.urls import path

from accounting import api

routes = [
    ("accounting/entries", api.EntryViewSet, "api-accounting-entry"),
    ("accounting/fec", api.FecViewSet, "api-accounting-fec"),
]

urlpatterns = [
    path(
        "accounting/chart/",
        api.ChartViewSet.as_view({"get": "retrieve", "put": "update"}),
        name="api-accounting-chart",
    ),
]
