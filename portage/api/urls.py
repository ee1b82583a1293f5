"""The routes of API v1, gathered from each app's `api_urls`: its `routes` (prefix, viewset,
basename) go on one router, its `urlpatterns` (for what is not a viewset) are added as they
are. Basenames are `api-<name>`; the cross-company walk in tests/portage/test_api.py reads
them."""

from importlib import import_module

from rest_framework.routers import SimpleRouter

APPS = ["invoices", "consultants", "dunning", "insurance", "webhooks", "accounting", "einvoicing"]

router = SimpleRouter()
urlpatterns = []
for app in APPS:
    module = import_module(f"{app}.api_urls")
    for prefix, viewset, basename in getattr(module, "routes", []):
        router.register(prefix, viewset, basename=basename)
    urlpatterns += getattr(module, "urlpatterns", [])
urlpatterns += router.urls
