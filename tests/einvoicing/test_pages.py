"""The e-invoicing pages: settings, board, the invoice's statuses, the client's directory
entry, the consultant's portal; roles and tenancy."""

import socket
from datetime import date

import pytest
from django.urls import reverse

from einvoicing.models import LifecycleStatus, PlatformAccount, Submission
from portage.models import AuditEntry
from portage.permissions import Role
from portage.tenancy import tenant_context
from tests.factories import make_client, make_consultant, make_invoice

pytestmark = pytest.mark.django_db

SECRET = "s3cret-from-the-platform"


def make_account(tenant, **fields):
    with tenant_context(tenant):
        return PlatformAccount.objects.create(
            tenant=tenant,
            platform_name="Plateforme test",
            in_scope_from=date(2026, 9, 1),
            **fields,
        )


def deposited_invoice(tenant, *, consultant=None, state=Submission.State.SENT):
    invoice = make_invoice(tenant, consultant=consultant, issued_on=date(2026, 10, 1))
    with tenant_context(tenant):
        Submission.objects.update_or_create(
            tenant=tenant,
            invoice=invoice,
            defaults={"reference": f"FX-{invoice.number}", "state": state},
        )
    return invoice


def settings_post(**changes):
    data = {
        "platform_name": "Plateforme test",
        "connector": "http",
        "api_base_url": "https://pa.example/api",
        "api_key": "",
        "api_secret": "",
        "in_scope_from": "2026-09-01",
        "einvoicing_address": "123456782",
        "reporting_period": "monthly",
        "payment_hold_days": "5",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("role", [Role.ADMIN, Role.COLLECTOR, Role.ACCOUNTANT])
def test_the_board_answers_its_roles(signed_in, member, tenant_a, role):
    response = signed_in(member(tenant_a, role)).get(reverse("einvoicing_board"))
    assert response.status_code == 200
    assert "Nothing to fix" in response.content.decode() or "Rien à corriger" in (
        response.content.decode()
    )


def test_the_board_is_closed_to_consultants(signed_in, member, tenant_a):
    response = signed_in(member(tenant_a, Role.CONSULTANT)).get(reverse("einvoicing_board"))
    assert response.status_code == 403


def test_the_board_lists_a_blocked_deposit_with_its_reason_and_send_again(
    signed_in, member, tenant_a
):
    make_account(tenant_a)
    invoice = deposited_invoice(tenant_a, state=Submission.State.BLOCKED)
    with tenant_context(tenant_a):
        Submission.objects.filter(invoice=invoice).update(blocked_reason="No directory entry.")
        submission = invoice.submissions.get()
    page = signed_in(member(tenant_a, Role.COLLECTOR)).get(reverse("einvoicing_board"))
    text = page.content.decode()
    assert invoice.number in text and "No directory entry." in text
    assert reverse("einvoicing_submission_retry", args=[submission.pk]) in text


def test_the_accountant_sees_the_board_without_its_buttons(signed_in, member, tenant_a):
    make_account(tenant_a)
    invoice = deposited_invoice(tenant_a, state=Submission.State.BLOCKED)
    page = signed_in(member(tenant_a, Role.ACCOUNTANT)).get(reverse("einvoicing_board"))
    with tenant_context(tenant_a):
        submission = invoice.submissions.get()
    assert invoice.number in page.content.decode()
    assert reverse("einvoicing_submission_retry", args=[submission.pk]) not in (
        page.content.decode()
    )


@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.ACCOUNTANT, Role.CONSULTANT])
def test_the_settings_are_for_admins_only(signed_in, member, tenant_a, role):
    response = signed_in(member(tenant_a, role)).get(reverse("einvoicing_settings"))
    assert response.status_code == 403


def test_the_settings_page_has_an_empty_state_before_an_account(signed_in, admin_a):
    response = signed_in(admin_a).get(reverse("einvoicing_settings"))
    assert response.status_code == 200
    assert "empty__title" in response.content.decode()


def test_the_admin_creates_the_account_and_the_secret_is_never_shown_nor_audited(
    signed_in, admin_a, tenant_a
):
    browser = signed_in(admin_a)
    response = browser.post(
        reverse("einvoicing_settings"),
        settings_post(api_key="key-1", api_secret=SECRET, vat_on_debits="on"),
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        account = PlatformAccount.objects.get()
        entry = AuditEntry.objects.get(action="einvoicing.settings_changed")
    tenant_a.refresh_from_db()
    assert (account.api_secret, account.api_key) == (SECRET, "key-1")
    assert (tenant_a.vat_on_debits, tenant_a.einvoicing_address) == (True, "123456782")
    assert SECRET not in str(entry.after) and "key-1" not in str(entry.after)
    assert "api_secret" in entry.after["fields"]
    page = browser.get(reverse("einvoicing_settings")).content.decode()
    assert SECRET not in page and "key-1" not in page
    assert account.webhook_token in page


def test_a_blank_secret_keeps_the_one_recorded(signed_in, admin_a, tenant_a):
    make_account(
        tenant_a, connector="http", api_base_url="https://pa.example/api", api_secret=SECRET
    )
    response = signed_in(admin_a).post(
        reverse("einvoicing_settings"), settings_post(platform_name="Autre plateforme")
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        account = PlatformAccount.objects.get()
        entry = AuditEntry.objects.get(action="einvoicing.settings_changed")
    assert (account.platform_name, account.api_secret) == ("Autre plateforme", SECRET)
    assert entry.after == {"fields": ["platform_name", "einvoicing_address"]}


def test_the_api_connector_needs_its_address(signed_in, admin_a, tenant_a):
    response = signed_in(admin_a).post(
        reverse("einvoicing_settings"), settings_post(api_base_url="")
    )
    assert response.status_code == 200
    with tenant_context(tenant_a):
        assert not PlatformAccount.objects.exists()


def test_a_collector_enters_a_refusal_on_the_invoice_page_and_it_shows(signed_in, member, tenant_a):
    make_account(tenant_a)
    invoice = deposited_invoice(tenant_a)
    browser = signed_in(member(tenant_a, Role.COLLECTOR))
    page = browser.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    assert reverse("einvoicing_status_enter", args=[invoice.pk]) in page
    response = browser.post(
        reverse("einvoicing_status_enter", args=[invoice.pk]),
        {
            "code": "210",
            "issued_on": "2026-10-05",
            "reason_code": "REF",
            "reason_text": "Commande inconnue",
        },
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        status = LifecycleStatus.objects.get(invoice=invoice)
    assert (status.code, status.sender, status.reason_text) == ("210", "buyer", "Commande inconnue")
    page = browser.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    assert "Refusée" in page and "Commande inconnue" in page


def test_no_status_is_entered_after_a_refusal_which_is_final(signed_in, member, tenant_a):
    make_account(tenant_a)
    invoice = deposited_invoice(tenant_a)
    browser = signed_in(member(tenant_a, Role.COLLECTOR))
    url = reverse("einvoicing_status_enter", args=[invoice.pk])
    refusal = {"code": "210", "issued_on": "2026-10-05", "reason_text": "Commande inconnue"}
    assert browser.post(url, {**refusal, "reason_code": "REF"}).status_code == 302

    response = browser.post(url, {"code": "205", "issued_on": "2026-10-06", "reason_text": ""})

    assert response.status_code == 200
    assert "(210)" in str(response.context["form"].errors["code"])
    with tenant_context(tenant_a):
        assert list(LifecycleStatus.objects.values_list("code", flat=True)) == ["210"]


def test_a_refusal_without_its_reason_is_refused(signed_in, member, tenant_a):
    make_account(tenant_a)
    invoice = deposited_invoice(tenant_a)
    response = signed_in(member(tenant_a, Role.COLLECTOR)).post(
        reverse("einvoicing_status_enter", args=[invoice.pk]),
        {"code": "210", "issued_on": "2026-10-05", "reason_code": "", "reason_text": ""},
    )
    assert response.status_code == 200
    with tenant_context(tenant_a):
        assert not LifecycleStatus.objects.exists()


def test_an_accountant_cannot_enter_a_status(signed_in, member, tenant_a):
    make_account(tenant_a)
    invoice = deposited_invoice(tenant_a)
    browser = signed_in(member(tenant_a, Role.ACCOUNTANT))
    page = browser.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    assert reverse("einvoicing_status_enter", args=[invoice.pk]) not in page
    response = browser.post(
        reverse("einvoicing_status_enter", args=[invoice.pk]),
        {"code": "200", "issued_on": "2026-10-05"},
    )
    assert response.status_code == 403


def test_another_companys_invoice_and_submission_answer_404(signed_in, member, tenant_a, tenant_b):
    make_account(tenant_b)
    invoice = deposited_invoice(tenant_b, state=Submission.State.BLOCKED)
    with tenant_context(tenant_b):
        submission = invoice.submissions.get()
    browser = signed_in(member(tenant_a, Role.COLLECTOR))
    assert (
        browser.post(
            reverse("einvoicing_status_enter", args=[invoice.pk]),
            {"code": "200", "issued_on": "2026-10-05"},
        ).status_code
        == 404
    )
    assert (
        browser.post(reverse("einvoicing_submission_retry", args=[submission.pk])).status_code
        == 404
    )
    assert (
        browser.get(reverse("einvoicing_submission_document", args=[submission.pk])).status_code
        == 404
    )


def test_a_collector_enters_the_directory_entry_on_the_client_page(signed_in, member, tenant_a):
    make_account(tenant_a)
    client = make_client(tenant_a)
    browser = signed_in(member(tenant_a, Role.COLLECTOR))
    page = browser.get(reverse("client_detail", args=[client.pk])).content.decode()
    assert reverse("einvoicing_directory_enter", args=[client.pk]) in page
    response = browser.post(
        reverse("einvoicing_directory_enter", args=[client.pk]),
        {"address": client.siren, "scheme": "0225", "platform": "PA acheteur", "routing_code": ""},
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        client.refresh_from_db()
    assert (client.einvoicing_address, client.einvoicing_platform) == (client.siren, "PA acheteur")
    page = browser.get(reverse("client_detail", args=[client.pk])).content.decode()
    assert "PA acheteur" in page


def test_the_consultant_reads_the_refusal_in_words_on_the_portal(signed_in, tenant_a):
    make_account(tenant_a)
    consultant = make_consultant(tenant_a)
    invoice = deposited_invoice(tenant_a, consultant=consultant)
    collector_entry = {
        "tenant": tenant_a,
        "invoice": invoice,
        "by": None,
        "issued_on": date(2026, 10, 5),
    }
    from einvoicing.services.statuses import status_enter

    with tenant_context(tenant_a):
        status_enter(code="200", **collector_entry)
        status_enter(code="210", reason_text="Commande inconnue", **collector_entry)
        membership = consultant.user.memberships.get()
    browser = signed_in(membership)
    response = browser.get(reverse("portal_invoice", args=[invoice.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Commande inconnue" in text
    assert ("Refused by the client" in text) or ("Refusée par le client" in text)


def test_an_api_address_over_plain_http_is_refused_next_to_its_field(signed_in, admin_a, tenant_a):
    response = signed_in(admin_a).post(
        reverse("einvoicing_settings"),
        settings_post(directory_url="http://pa.example/annuaire"),
    )
    assert response.status_code == 200
    assert "https://" in str(response.context["form"].errors["directory_url"])
    with tenant_context(tenant_a):
        assert not PlatformAccount.objects.exists()


def test_the_directory_address_is_kept_and_used_by_the_connector(signed_in, admin_a, tenant_a):
    from einvoicing.services.platform import connector_of

    response = signed_in(admin_a).post(
        reverse("einvoicing_settings"),
        settings_post(directory_url="https://pa.example/afnor-directory/v1"),
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        connector = connector_of(PlatformAccount.objects.get())
    assert connector.base_url == "https://pa.example/api"
    assert connector.directory_url == "https://pa.example/afnor-directory/v1"


@pytest.fixture
def live_platform(tenant_a):
    from tests.einvoicing.simulator import PlatformSimulator

    with PlatformSimulator(flow_root="/flow", directory_root="/annuaire") as platform:
        make_account(
            tenant_a,
            connector="http",
            api_base_url=platform.base_url,
            directory_url=platform.directory_url,
            api_key=platform.api_key,
            api_secret=platform.secret,
        )
        yield platform


def check_messages(browser):
    response = browser.post(reverse("einvoicing_settings_check"), follow=True)
    assert response.status_code == 200
    return [(m.level_tag, m.message) for m in response.context["messages"]]


def test_the_connection_test_tries_both_services(signed_in, admin_a, tenant_a, live_platform):
    live_platform.add_directory_entry(tenant_a.siren, f"{tenant_a.siren}_FACT")

    shown = check_messages(signed_in(admin_a))

    assert [level for level, _ in shown] == ["success", "success"]
    assert f"{tenant_a.siren}_FACT" in shown[1][1]
    paths = [request.path for request in live_platform.received]
    assert paths == [
        "/flow/flows/search",
        f"/annuaire/siren/code-insee:{tenant_a.siren}",
        "/annuaire/directory-line/search",
    ]
    assert not live_platform.flows()  # nothing sent


def test_the_connection_test_says_the_secret_is_refused(
    signed_in, admin_a, tenant_a, live_platform
):
    with tenant_context(tenant_a):
        PlatformAccount.objects.update(api_secret="not-the-secret")

    shown = check_messages(signed_in(admin_a))

    assert [level for level, _ in shown] == ["error", "error"]
    assert all("key or the secret" in message or "clé" in message for _, message in shown)


def test_the_connection_test_says_the_company_is_not_in_the_directory(
    signed_in, admin_a, tenant_a, live_platform
):
    shown = check_messages(signed_in(admin_a))

    assert shown[0][0] == "success"
    assert shown[1][0] == "error" and tenant_a.siren in shown[1][1]


def test_the_connection_test_says_the_platform_does_not_answer(signed_in, admin_a, tenant_a):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    make_account(tenant_a, connector="http", api_base_url=f"http://127.0.0.1:{port}")

    shown = check_messages(signed_in(admin_a))

    assert [level for level, _ in shown] == ["error", "error"]


def test_a_manual_platform_has_no_connection_test(signed_in, admin_a, tenant_a):
    make_account(tenant_a)
    browser = signed_in(admin_a)
    assert (
        reverse("einvoicing_settings_check")
        not in browser.get(reverse("einvoicing_settings")).content.decode()
    )
    assert [level for level, _ in check_messages(browser)] == ["error"]
