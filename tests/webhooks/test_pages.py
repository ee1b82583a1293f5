"""The admin's webhooks pages: register an endpoint with its events, see its secret and its
deliveries, test it, replay a delivery, disable, enable and delete it. (New wording is not
translated yet: these tests assert on statuses, addresses and data.)"""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from portage.permissions import Role
from portage.tenancy import tenant_context
from tests.factories import make_invoice, make_member
from webhooks import dispatch, services
from webhooks.models import Delivery, Endpoint, EventType

pytestmark = pytest.mark.django_db

FORM = {
    "url": "https://erp.example/hooks",
    "description": "ERP",
    "events": ["invoice.issued", "invoice.paid"],
}


def endpoint_of(tenant, **fields):
    with tenant_context(tenant):
        return services.endpoint_create(
            tenant=tenant,
            url=fields.get("url", FORM["url"]),
            events=fields.get("events", FORM["events"]),
            by=None,
        )


def stored(tenant):
    with tenant_context(tenant):
        return list(Endpoint.objects.all())


def test_the_admin_registers_an_endpoint_and_sees_its_secret(signed_in, admin_a):
    client = signed_in(admin_a)
    response = client.post(reverse("webhook_create"), FORM)
    (endpoint,) = stored(admin_a.tenant)
    assert response.status_code == 302
    assert response["Location"] == reverse("webhook_endpoint", args=[endpoint.pk])
    assert (endpoint.url, endpoint.events) == (FORM["url"], FORM["events"])
    page = client.get(response["Location"])
    assert page.status_code == 200 and endpoint.secret in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    listing = client.get(reverse("webhook_list")).content.decode()
    assert FORM["url"] in listing and endpoint.secret not in listing


def test_the_company_page_links_to_the_webhooks(signed_in, admin_a):
    page = signed_in(admin_a).get(reverse("company")).content.decode()
    assert reverse("webhook_list") in page


def test_a_form_without_events_or_with_a_bad_url_is_shown_again(signed_in, admin_a):
    response = signed_in(admin_a).post(reverse("webhook_create"), {"url": "ftp://x", "events": []})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"url", "events"}
    assert stored(admin_a.tenant) == []


def test_private_addresses_are_refused_in_production(signed_in, admin_a, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    response = signed_in(admin_a).post(
        reverse("webhook_create"), {**FORM, "url": "https://127.0.0.1:8000/hooks"}
    )
    assert response.status_code == 200 and "url" in response.context["form"].errors
    assert stored(admin_a.tenant) == []


@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.ACCOUNTANT, Role.CONSULTANT])
def test_only_the_admin_opens_the_webhooks(signed_in, tenant_a, role):
    client = signed_in(make_member(tenant_a, role))
    assert client.get(reverse("webhook_list")).status_code == 403
    assert client.post(reverse("webhook_create"), FORM).status_code == 403
    assert stored(tenant_a) == []


def test_the_admin_edits_the_events(signed_in, admin_a):
    endpoint = endpoint_of(admin_a.tenant)
    client = signed_in(admin_a)
    assert client.get(reverse("webhook_edit", args=[endpoint.pk])).status_code == 200
    response = client.post(
        reverse("webhook_edit", args=[endpoint.pk]), {**FORM, "events": ["claim.filed"]}
    )
    assert response.status_code == 302
    assert stored(admin_a.tenant)[0].events == ["claim.filed"]


def test_disable_enable_and_delete_after_confirmation(signed_in, admin_a):
    endpoint = endpoint_of(admin_a.tenant)
    client = signed_in(admin_a)
    client.post(reverse("webhook_disable", args=[endpoint.pk]))
    assert not stored(admin_a.tenant)[0].is_active
    assert client.get(reverse("webhook_endpoint", args=[endpoint.pk])).status_code == 200
    client.post(reverse("webhook_enable", args=[endpoint.pk]))
    assert stored(admin_a.tenant)[0].is_active
    confirm = client.get(reverse("webhook_delete", args=[endpoint.pk]))
    assert confirm.status_code == 200 and stored(admin_a.tenant)
    response = client.post(reverse("webhook_delete", args=[endpoint.pk]))
    assert response["Location"] == reverse("webhook_list")
    assert stored(admin_a.tenant) == []


def test_the_test_event_and_the_replay_send_now(signed_in, admin_a, receiver, subscribe):
    endpoint = subscribe(admin_a.tenant, receiver, ["invoice.issued"])
    client = signed_in(admin_a)
    client.post(reverse("webhook_ping", args=[endpoint.pk]))
    make_invoice(admin_a.tenant, issued_on=date(2026, 3, 2))
    with tenant_context(admin_a.tenant):
        ping, issued = Delivery.objects.order_by("id")
    for delivery in (ping, issued):
        dispatch.deliver(tenant=admin_a.tenant, delivery_id=delivery.pk)
    page = client.get(reverse("webhook_endpoint", args=[endpoint.pk]))
    assert [d.event.type for d in page.context["page"].object_list] == ["invoice.issued", "ping"]
    detail = client.get(reverse("webhook_delivery", args=[issued.pk]))
    assert detail.status_code == 200 and "HTTP 200" in detail.content.decode()
    response = client.post(reverse("webhook_replay", args=[issued.pk]))
    assert response["Location"] == reverse("webhook_endpoint", args=[endpoint.pk])
    with tenant_context(admin_a.tenant):
        issued.refresh_from_db()
    assert (issued.status, issued.attempts) == ("pending", 0)
    dispatch.deliver(tenant=admin_a.tenant, delivery_id=issued.pk)
    assert receiver.types == ["ping", "invoice.issued", "invoice.issued"]


def test_another_company_s_endpoint_is_not_found(signed_in, admin_a, tenant_b):
    endpoint_b = endpoint_of(tenant_b, url="https://beta.example/hooks")
    client = signed_in(admin_a)
    for name in ("webhook_endpoint", "webhook_edit", "webhook_delete"):
        assert client.get(reverse(name, args=[endpoint_b.pk])).status_code == 404
    for name in ("webhook_disable", "webhook_ping"):
        assert client.post(reverse(name, args=[endpoint_b.pk])).status_code == 404
    assert stored(tenant_b)[0].is_active
    assert "beta.example" not in client.get(reverse("webhook_list")).content.decode()


def test_the_form_offers_every_event_type_under_its_french_label(signed_in, admin_a):
    """A type added without a label, or with one missing from the French catalogue, would
    show the admin its code or English words."""
    with translation.override("en"):
        english = {value: str(label) for value, label in EventType.choices}
    with translation.override("fr"):
        french = {value: str(label) for value, label in EventType.choices}
    assert [value for value in EventType.values if french[value] in (english[value], value)] == []

    page = signed_in(admin_a).get(reverse("webhook_list")).content.decode()

    for value in EventType.values:
        assert f'value="{value}"' in page
        assert escape(french[value]) in page
