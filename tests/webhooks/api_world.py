"""This app's objects of one company, for the API's cross-company walk
(tests/portage/test_api.py): one id per route basename of the app's `api_urls.routes`."""

from portage.tenancy import tenant_context
from webhooks.services import endpoint_create, endpoint_ping


def build(tenant):
    with tenant_context(tenant):
        endpoint = endpoint_create(
            tenant=tenant, url="https://hooks.example/portage", events=["invoice.paid"], by=None
        )
        delivery = endpoint_ping(endpoint=endpoint, by=None)
    return {"webhook-endpoint": endpoint.pk, "webhook-delivery": delivery.pk}
