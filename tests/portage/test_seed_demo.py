"""`manage.py seed_demo`: two companies, one user per role each, credentials printed."""

import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from portage.models import Membership, Tenant, User
from portage.permissions import Role
from portage.tenancy import tenant_context

pytestmark = [pytest.mark.demo, pytest.mark.django_db]


def seed(capsys):
    # The collections replay is tested in tests/dunning/test_demo.py.
    call_command("seed_demo", "--password", "demo-pass-2026", "--replay-days", "0")
    return capsys.readouterr().out


def test_it_creates_two_companies_with_a_printed_user_for_each_role(capsys):
    out = seed(capsys)
    tenants = list(Tenant.objects.order_by("slug"))
    assert [t.slug for t in tenants] == ["alpine", "horizon"]
    for tenant in tenants:
        printed = [
            f"{part}@{tenant.slug}.example"
            for part in ("admin", "recouvrement", "consultant", "comptable")
        ]
        with tenant_context(tenant):
            roles = dict(
                Membership.objects.filter(user__email__in=printed).values_list(
                    "user__email", "role"
                )
            )
        assert sorted(roles.values()) == sorted(Role.values)
        assert all(email in out for email in printed)


def test_it_prints_every_sign_in_and_can_run_twice(capsys):
    first = seed(capsys)
    users = User.objects.count()
    second = seed(capsys)
    assert first == second
    emails = re.findall(r"^\s+(\S+@\S+)\s+demo-pass-2026", first, re.MULTILINE)
    assert len(emails) == 10
    assert User.objects.count() == users


def test_the_printed_credentials_sign_in(capsys, client):
    seed(capsys)
    response = client.post(
        reverse("account_login"),
        {"login": "consultant@horizon.example", "password": "demo-pass-2026"},
    )
    assert response.status_code == 302
    page = client.get(reverse("dashboard"))
    assert page.context["active_tenant"].slug == "horizon"


def test_the_shared_accountant_sees_both_companies(capsys, client):
    seed(capsys)
    client.post(
        reverse("account_login"),
        {"login": "cabinet@expertise.example", "password": "demo-pass-2026"},
    )
    page = client.get(reverse("dashboard"))
    assert len(page.context["user_memberships"]) == 2


def test_each_company_gets_invoices_at_every_stage(capsys):
    from datetime import timedelta

    from invoices.models import Invoice
    from portage.batch import paris_today

    seed(capsys)
    today = paris_today()
    for tenant in Tenant.objects.all():
        with tenant_context(tenant):
            invoices = list(Invoice.objects.filter(kind="invoice"))
        statuses = {invoice.status for invoice in invoices}
        assert statuses == {"draft", "issued", "partially_paid", "paid", "credited"}
        late = {(today - i.due_date).days for i in invoices if i.is_open}
        assert {200, 100, 40, 20, 5, 0} <= late
        assert any(i.due_date > today for i in invoices if i.is_open)
        assert today - timedelta(days=230) == min(i.issue_date for i in invoices if i.issue_date)


def test_the_demo_consultants_pay_status_adds_up(capsys):
    from consultants.selectors import consultant_of
    from invoices.selectors import pay_status

    seed(capsys)
    tenant = Tenant.objects.get(slug="horizon")
    with tenant_context(tenant):
        user = User.objects.get(email="consultant@horizon.example")
        status = pay_status(consultant=consultant_of(user=user, tenant=tenant))
    assert status.total("acquired") > 0 and status.total("waiting") > 0
    assert status.total("acquired") + status.total("waiting") == status.total("net")
    assert status.balance == status.total("acquired") - 3200


def test_the_demo_consultant_finds_each_client_payment_notified_on_the_pay_page(
    capsys, client, mailoutbox, django_capture_on_commit_callbacks
):
    # Code du travail L1254-25: each payment of the demo's clients is notified to the
    # consultant by email and kept on the pay page, from a freshly seeded demo on.
    from invoices.models import Payment, PaymentNotice

    with django_capture_on_commit_callbacks(execute=True):
        seed(capsys)
    tenant = Tenant.objects.get(slug="horizon")
    with tenant_context(tenant):
        notices = list(
            PaymentNotice.objects.filter(
                consultant__user__email="consultant@horizon.example"
            ).select_related("invoice")
        )
        payments = Payment.objects.filter(
            allocations__invoice__consultant__user__email="consultant@horizon.example"
        ).distinct()
        assert len(notices) == payments.count() > 0
    assert all(notice.sent_at for notice in notices)
    emailed = [m for m in mailoutbox if m.to == ["consultant@horizon.example"]]
    assert len(emailed) == len(notices)
    client.post(
        reverse("account_login"),
        {"login": "consultant@horizon.example", "password": "demo-pass-2026"},
    )
    page = client.get(reverse("portal_pay"))
    assert list(page.context["notices"]) == notices
    for notice in notices:
        assert notice.invoice.number in page.content.decode()
