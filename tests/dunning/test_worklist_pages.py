"""The collector's worklist and client timeline, and the consultant's reminders in the
portal, as their users work them."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from dunning.jobs import run as dunning_job
from dunning.models import Action, Case, ContactLog, Pause, StepKind
from dunning.services.ladder import run_ladder
from portage.batch import paris_today
from portage.permissions import Role
from tests.factories import make_client, make_consultant, make_invoice, make_member

pytestmark = pytest.mark.django_db

TODAY = paris_today()


@pytest.fixture
def late(tenant_a, in_tenant, django_capture_on_commit_callbacks):
    """An invoice 20 days late that the ladder has followed (first reminder sent)."""
    client = make_client(tenant_a, legal_name="Durand Industrie")
    invoice = make_invoice(tenant_a, client=client, issued_on=TODAY - timedelta(days=50))
    with in_tenant(tenant_a), django_capture_on_commit_callbacks(execute=True):
        dunning_job(tenant=tenant_a, today=TODAY - timedelta(days=19))
    return invoice


def test_the_worklist_groups_overdue_invoices_by_client(signed_in, collector, late, tenant_a):
    other = make_invoice(tenant_a, client=late.client, issued_on=TODAY - timedelta(days=40))
    response = signed_in(collector).get(reverse("dunning_worklist"))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("Durand Industrie") == 1
    assert late.number in page and other.number in page
    assert "Première relance" in page  # the step reached, in French


def test_a_client_with_eight_overdue_invoices_shows_five_and_links_to_the_other_three(
    signed_in, collector, tenant_a
):
    client = make_client(tenant_a, legal_name="Huit Factures SA")
    invoices = [
        make_invoice(tenant_a, client=client, issued_on=TODAY - timedelta(days=90 - 5 * n))
        for n in range(8)
    ]
    response = signed_in(collector).get(reverse("dunning_worklist"))
    assert response.status_code == 200
    (row,) = response.context["page"].object_list
    assert row.invoice_count == 8 and row.more == 3
    assert row.invoices == invoices[:5]  # the most overdue first
    assert row.total == sum(invoice.total_ttc for invoice in invoices)
    assert row.oldest_days == (TODAY - invoices[0].due_date).days
    page = response.content.decode()
    assert all(invoice.number in page for invoice in invoices[:5])
    assert not any(invoice.number in page for invoice in invoices[5:])
    assert "8 factures" in page
    timeline = reverse("dunning_client", args=[client.pk])
    assert f'<a href="{timeline}">+ 3 autres factures — ouvrir la chronologie du client</a>' in page
    assert response.context["totals"]["invoices"] == 8


def test_worklist_filters_and_sorts_without_error(signed_in, collector, late):
    browser = signed_in(collector)
    for query in ["?sort=late", "?sort=next&state=active", "?minimum=abc", "?step=first_reminder"]:
        assert browser.get(reverse("dunning_worklist") + query).status_code == 200
    empty = browser.get(reverse("dunning_worklist") + "?q=nobody-matches")
    assert late.number not in empty.content.decode()


def test_the_timeline_merges_invoices_messages_and_contacts(
    signed_in, collector, late, tenant_a, in_tenant
):
    browser = signed_in(collector)
    response = browser.post(
        reverse("dunning_contact_log", args=[late.client_id]),
        {"kind": "call", "happened_on": TODAY.isoformat(), "text": "Promised to check"},
    )
    assert response.status_code == 302
    page = browser.get(reverse("dunning_client", args=[late.client_id])).content.decode()
    assert late.number in page
    assert "Promised to check" in page
    assert "Rappel : facture(s) échue(s)" in page  # the first reminder's subject


def test_the_collector_pauses_disputes_and_resumes_an_invoice(
    signed_in, collector, late, tenant_a, in_tenant
):
    browser = signed_in(collector)
    url = reverse("dunning_case_action", args=[late.pk, "pause"])
    # A dispute without its reason is refused with a message, not a 500.
    response = browser.post(url, {"kind": "dispute", "reason": ""}, follow=True)
    assert response.status_code == 200
    with in_tenant(tenant_a):
        assert not Pause.objects.exists()
    browser.post(url, {"kind": "dispute", "reason": "Wrong day count"})
    with in_tenant(tenant_a):
        assert Case.objects.get(invoice=late).state == Case.State.DISPUTED
        run_ladder(tenant=tenant_a, today=TODAY)
        assert not Action.objects.filter(kind=StepKind.SECOND_REMINDER).exists()
    browser.post(reverse("dunning_case_action", args=[late.pk, "resume"]), {"reason": "Agreed"})
    with in_tenant(tenant_a):
        assert Case.objects.get(invoice=late).state == Case.State.ACTIVE
        run_ladder(tenant=tenant_a, today=TODAY)
        assert Action.objects.filter(kind=StepKind.SECOND_REMINDER).exists()


def test_send_the_next_step_now_needs_confirmation_and_performs_it_once(
    signed_in, collector, late, tenant_a, in_tenant, django_capture_on_commit_callbacks
):
    browser = signed_in(collector)
    url = reverse("dunning_case_action", args=[late.pk, "send-now"])
    browser.post(url, {})
    with in_tenant(tenant_a):
        assert not Action.objects.filter(kind=StepKind.SECOND_REMINDER).exists()
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(url, {"confirm": "on"})
    with in_tenant(tenant_a):
        action = Action.objects.get(kind=StepKind.SECOND_REMINDER)
        assert action.performed_by == collector.user
        run_ladder(tenant=tenant_a, today=TODAY)
        assert Action.objects.filter(kind=StepKind.SECOND_REMINDER).count() == 1
    assert any("Deuxième relance" in message.subject for message in mail.outbox)


def test_a_payment_plan_must_add_up_to_the_balance(signed_in, collector, late, tenant_a, in_tenant):
    browser = signed_in(collector)
    url = reverse("dunning_case_action", args=[late.pk, "plan"])
    half = late.total_ttc / 2
    browser.post(url, {"due_1": (TODAY + timedelta(days=10)).isoformat(), "amount_1": str(half)})
    with in_tenant(tenant_a):
        assert not Pause.objects.exists()
    browser.post(
        url,
        {
            "due_1": (TODAY + timedelta(days=10)).isoformat(),
            "amount_1": str(half),
            "due_2": (TODAY + timedelta(days=40)).isoformat(),
            "amount_2": str(late.total_ttc - half),
        },
    )
    with in_tenant(tenant_a):
        plan = Pause.objects.get(kind=Pause.Kind.PLAN)
        assert len(plan.instalments) == 2
        # Past the first instalment's date with nothing paid: the ladder resumes.
        run_ladder(tenant=tenant_a, today=TODAY + timedelta(days=11))
        plan.refresh_from_db()
        assert plan.ended_on == TODAY + timedelta(days=11)
        assert f"{TODAY + timedelta(days=10):%d/%m/%Y}" in plan.end_reason


def test_the_consultant_is_asked_and_logs_a_promise_that_pauses_the_ladder(
    signed_in, tenant_a, in_tenant
):
    consultant = make_consultant(tenant_a)
    invoice = make_invoice(tenant_a, consultant=consultant, issued_on=TODAY - timedelta(days=31))
    with in_tenant(tenant_a):
        run_ladder(tenant=tenant_a, today=TODAY)
    from portage.models import Membership

    with in_tenant(tenant_a):
        membership = Membership.objects.get(user=consultant.user)
    browser = signed_in(membership)
    home = browser.get(reverse("dashboard")).content.decode()
    assert invoice.number in home
    assert reverse("dunning_portal_log", args=[invoice.pk]) in home  # the task to do
    tasks = browser.get(reverse("dunning_portal_tasks"))
    assert invoice.number in tasks.content.decode()
    promise = TODAY + timedelta(days=10)
    response = browser.post(
        reverse("dunning_portal_log", args=[invoice.pk]),
        {"kind": "promise", "happened_on": TODAY.isoformat(), "promise_date": promise.isoformat()},
    )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        log = ContactLog.objects.get()
        assert log.by_consultant and log.promise_date == promise
        assert Case.objects.get(invoice=invoice).state == Case.State.PAUSED
        assert not Action.objects.filter(completed_at__isnull=True, kind="consultant_reminder")
    # Another consultant's invoice is not theirs to log: 404.
    other = make_invoice(tenant_a, issued_on=TODAY - timedelta(days=31))
    assert browser.get(reverse("dunning_portal_log", args=[other.pk])).status_code == 404


def test_a_consultant_cannot_open_the_worklist(signed_in, tenant_a):
    consultant = make_member(tenant_a, Role.CONSULTANT)
    assert signed_in(consultant).get(reverse("dunning_worklist")).status_code == 403


def test_another_tenant_s_client_and_invoice_answer_404(signed_in, late, tenant_b, in_tenant):
    other_collector = make_member(tenant_b, Role.COLLECTOR)
    browser = signed_in(other_collector)
    assert browser.get(reverse("dunning_client", args=[late.client_id])).status_code == 404
    response = browser.post(
        reverse("dunning_case_action", args=[late.pk, "pause"]),
        {"kind": "manual", "until": TODAY.isoformat()},
    )
    assert response.status_code == 404
    assert late.number not in browser.get(reverse("dunning_worklist")).content.decode()
