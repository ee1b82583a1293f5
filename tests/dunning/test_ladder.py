"""The daily ladder: the right steps at the right dates, each once, whatever is replayed."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail

from dunning.models import Action, Case, LitigationFile, Message, Pause, Policy, StepKind
from dunning.services.ladder import run_ladder
from invoices.services.payments import payment_record
from portage.batch import run_job_for_tenant
from tests.dunning.drawing import draw_letter_pdfs
from tests.factories import make_client, make_consultant, make_invoice, make_member

ISSUED = date(2026, 3, 2)
DUE = ISSUED + timedelta(days=30)  # 1 April 2026


@pytest.fixture
def run_day(django_capture_on_commit_callbacks):
    """The day's run, then the formal notices' PDFs drawn, as the worker draws them."""

    def run(tenant, day, dry_run=False):
        with django_capture_on_commit_callbacks(execute=True):
            summary = run_job_for_tenant("dunning", tenant=tenant, today=day, dry_run=dry_run)
        with django_capture_on_commit_callbacks(execute=True):
            draw_letter_pdfs(tenant)
        return summary

    return run


def steps_of(tenant, invoice, in_tenant):
    with in_tenant(tenant):
        return [
            (action.kind, action.performed_on, action.status)
            for action in Action.objects.filter(invoice=invoice).order_by("performed_on", "id")
        ]


def test_the_default_ladder_day_by_day(tenant_a, in_tenant, run_day):
    invoice = make_invoice(tenant_a, issued_on=ISSUED)
    assert invoice.due_date == DUE
    for offset in range(-10, 61):
        run_day(tenant_a, DUE + timedelta(days=offset))
    assert steps_of(tenant_a, invoice, in_tenant) == [
        (StepKind.CONSULTANT_REMINDER, DUE - timedelta(days=3), "done"),
        (StepKind.CONSULTANT_REMINDER, DUE + timedelta(days=1), "done"),
        (StepKind.FIRST_REMINDER, DUE + timedelta(days=1), "done"),
        (StepKind.SECOND_REMINDER, DUE + timedelta(days=15), "done"),
        (StepKind.FORMAL_NOTICE, DUE + timedelta(days=30), "done"),
        (StepKind.LITIGATION, DUE + timedelta(days=45), "done"),
    ]
    # Two emails to the consultant, two reminders and the formal notice's copy to the client.
    assert sorted(len(message.to) and message.to[0] for message in mail.outbox) == sorted(
        [invoice.consultant.user.email] * 2 + ["compta@client.example"] * 3
    )
    with in_tenant(tenant_a):
        case = Case.objects.get(invoice=invoice)
        assert case.state == Case.State.LITIGATION
        assert LitigationFile.objects.get().invoice_pks == [invoice.pk]


def test_replaying_any_day_changes_nothing(tenant_a, in_tenant, run_day):
    invoice = make_invoice(tenant_a, issued_on=ISSUED)
    days = [DUE + timedelta(days=offset) for offset in range(-5, 50)]
    for day in days:
        run_day(tenant_a, day)
    before = steps_of(tenant_a, invoice, in_tenant)
    sent = len(mail.outbox)
    for day in days:
        summary = run_day(tenant_a, day)
        assert summary["steps"] == 0
    assert steps_of(tenant_a, invoice, in_tenant) == before
    assert len(mail.outbox) == sent


def test_an_invoice_first_seen_40_days_late_climbs_every_step(tenant_a, in_tenant, run_day):
    invoice = make_invoice(tenant_a, issued_on=ISSUED)
    first_seen = DUE + timedelta(days=40)
    for offset in range(0, 40):
        run_day(tenant_a, first_seen + timedelta(days=offset))
    kinds = [(kind, day) for kind, day, _status in steps_of(tenant_a, invoice, in_tenant)]
    assert kinds == [
        (StepKind.CONSULTANT_REMINDER, first_seen),
        (StepKind.CONSULTANT_REMINDER, first_seen),
        (StepKind.FIRST_REMINDER, first_seen),
        (StepKind.SECOND_REMINDER, first_seen + timedelta(days=10)),
        (StepKind.FORMAL_NOTICE, first_seen + timedelta(days=20)),
        (StepKind.LITIGATION, first_seen + timedelta(days=30)),
    ]


def test_a_catch_up_policy_records_the_skipped_steps(tenant_a, in_tenant, run_day):
    with in_tenant(tenant_a):
        Policy.objects.update(catch_up=True)
    invoice = make_invoice(tenant_a, issued_on=ISSUED)
    run_day(tenant_a, DUE + timedelta(days=40))
    steps = steps_of(tenant_a, invoice, in_tenant)
    assert [(kind, status) for kind, _day, status in steps] == [
        (StepKind.CONSULTANT_REMINDER, "skipped"),
        (StepKind.CONSULTANT_REMINDER, "skipped"),
        (StepKind.FIRST_REMINDER, "skipped"),
        (StepKind.SECOND_REMINDER, "skipped"),
        (StepKind.FORMAL_NOTICE, "done"),
    ]
    with in_tenant(tenant_a):
        assert "40 days late" in Action.objects.filter(status="skipped").first().reason


def test_a_client_s_invoices_at_the_same_step_share_one_message(tenant_a, in_tenant, run_day):
    client = make_client(tenant_a)
    consultant = make_consultant(tenant_a)
    first = make_invoice(tenant_a, client=client, consultant=consultant, issued_on=ISSUED)
    second = make_invoice(tenant_a, client=client, consultant=consultant, issued_on=ISSUED)
    run_day(tenant_a, DUE + timedelta(days=1))
    with in_tenant(tenant_a):
        reminders = Message.objects.filter(kind=StepKind.FIRST_REMINDER)
        assert reminders.count() == 1
        body = reminders.get().body_text
    assert first.number in body and second.number in body
    client_mail = [m for m in mail.outbox if m.to == ["compta@client.example"]]
    assert len(client_mail) == 1
    assert client_mail[0].alternatives[0][1] == "text/html"


def test_paid_invoice_leaves_the_ladder_partial_payment_keeps_it(tenant_a, in_tenant, run_day):
    collector = make_member(tenant_a, "collector").user
    paid = make_invoice(tenant_a, issued_on=ISSUED)
    partly = make_invoice(tenant_a, issued_on=ISSUED)
    run_day(tenant_a, DUE + timedelta(days=1))
    with in_tenant(tenant_a):
        payment_record(
            client=paid.client,
            amount=paid.total_ttc,
            received_on=DUE + timedelta(days=3),
            by=collector,
            allocations=[(paid, paid.total_ttc)],
        )
        payment_record(
            client=partly.client,
            amount=Decimal("100.00"),
            received_on=DUE + timedelta(days=3),
            by=collector,
            allocations=[(partly, Decimal("100.00"))],
        )
    run_day(tenant_a, DUE + timedelta(days=15))
    with in_tenant(tenant_a):
        assert Case.objects.get(invoice=paid).state == Case.State.CLOSED
        second = Action.objects.get(invoice=partly, kind=StepKind.SECOND_REMINDER)
        assert second.balance == partly.total_ttc - Decimal("100.00")
        assert not Action.objects.filter(invoice=paid, kind=StepKind.SECOND_REMINDER).exists()


def test_a_promise_pauses_until_its_date_then_the_ladder_resumes(tenant_a, in_tenant, run_day):
    invoice = make_invoice(tenant_a, issued_on=ISSUED)
    run_day(tenant_a, DUE + timedelta(days=1))
    with in_tenant(tenant_a):
        case = Case.objects.get(invoice=invoice)
        Pause.objects.create(
            tenant=tenant_a,
            case=case,
            kind=Pause.Kind.PROMISE,
            starts_on=DUE + timedelta(days=2),
            until=DUE + timedelta(days=20),
        )
    run_day(tenant_a, DUE + timedelta(days=15))
    with in_tenant(tenant_a):
        assert Case.objects.get(invoice=invoice).state == Case.State.PAUSED
        assert not Action.objects.filter(kind=StepKind.SECOND_REMINDER).exists()
    run_day(tenant_a, DUE + timedelta(days=21))
    with in_tenant(tenant_a):
        assert Action.objects.get(kind=StepKind.SECOND_REMINDER).performed_on == DUE + timedelta(
            days=21
        )
        assert Pause.objects.get().ended_on == DUE + timedelta(days=21)


def test_a_dry_run_sends_nothing_and_keeps_nothing(tenant_a, in_tenant, run_day):
    make_invoice(tenant_a, issued_on=ISSUED)
    summary = run_day(tenant_a, DUE + timedelta(days=1), dry_run=True)
    assert summary["steps"] == 3
    assert any("First reminder" in line for line in summary["lines"])
    assert mail.outbox == []
    with in_tenant(tenant_a):
        assert not Action.objects.exists()


def test_time_barred_debt_gets_no_step_until_acknowledged(tenant_a, in_tenant):
    invoice = make_invoice(tenant_a, issued_on=ISSUED)
    late = date(2031, 4, 2)
    with in_tenant(tenant_a):
        run_ladder(tenant=tenant_a, today=late)
        case = Case.objects.get(invoice=invoice)
        assert case.state == Case.State.TIME_BARRED
        assert not Action.objects.exists()


def test_each_tenant_sees_only_its_own_cases(tenant_a, tenant_b, in_tenant, run_day):
    make_invoice(tenant_a, issued_on=ISSUED)
    make_invoice(tenant_b, issued_on=ISSUED)
    make_invoice(tenant_b, issued_on=ISSUED)
    run_day(tenant_a, DUE + timedelta(days=1))
    run_day(tenant_b, DUE + timedelta(days=1))
    with in_tenant(tenant_a):
        assert Case.objects.count() == 1
        assert Message.objects.count() == 3  # two to the consultant, one to the client
    with in_tenant(tenant_b):
        assert Case.objects.count() == 2


def test_run_dunning_dry_run_prints_what_would_be_sent_and_sends_nothing(tenant_a, in_tenant):
    from io import StringIO

    from django.core.management import call_command

    invoice = make_invoice(tenant_a, issued_on=ISSUED)
    out = StringIO()
    call_command(
        "run_dunning",
        "--date",
        (DUE + timedelta(days=1)).isoformat(),
        "--tenant",
        tenant_a.slug,
        "--dry-run",
        stdout=out,
    )
    printed = out.getvalue()
    assert "[dry run]" in printed and "steps=3" in printed
    assert f"would send: {invoice.client.legal_name}" in printed and invoice.number in printed
    assert mail.outbox == []
    with in_tenant(tenant_a):
        assert not Action.objects.exists()


def test_run_dunning_refuses_a_bad_date_and_an_unknown_company(tenant_a):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("run_dunning", "--date", "25/11/2026")
    with pytest.raises(CommandError, match="nowhere"):
        call_command("run_dunning", "--tenant", "nowhere")


def test_emails_leave_from_the_company_s_sender_address(tenant_a, in_tenant, run_day):
    tenant_a.sender_name = "Alpha Recouvrement"
    tenant_a.sender_email = "recouvrement@alpha.example"
    tenant_a.save()
    make_invoice(tenant_a, issued_on=ISSUED)
    run_day(tenant_a, DUE + timedelta(days=1))
    assert {message.from_email for message in mail.outbox} == {
        "Alpha Recouvrement <recouvrement@alpha.example>"
    }
    assert all(message.extra_headers["Message-ID"].endswith(">") for message in mail.outbox)


def test_hostile_client_names_are_escaped_in_the_html_email(tenant_a, in_tenant, run_day):
    client = make_client(tenant_a, legal_name='<script>alert("x")</script> & Fils')
    invoice = make_invoice(tenant_a, client=client, issued_on=ISSUED)
    run_day(tenant_a, DUE + timedelta(days=1))
    # The consultant's reminder names the client.
    to_consultant = [m for m in mail.outbox if m.to == [invoice.consultant.user.email]]
    html = to_consultant[0].alternatives[0][0]
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<table" in html and "<p>" in html  # our own markup is kept
