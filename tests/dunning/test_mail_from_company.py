"""The ladder's emails come from the company and a client's answer reaches its collections
team: From is the company's sender, Reply-To its collections mailbox when it set one."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings

from tests.dunning.test_ladder import DUE, ISSUED, run_day  # noqa: F401 (fixture)
from tests.factories import make_invoice

pytestmark = pytest.mark.django_db


@override_settings(DEFAULT_FROM_EMAIL="Portage <no-reply@portage.example>")
def test_the_reminder_leaves_under_the_company_s_name_and_answers_go_to_its_team(
    tenant_a,
    run_day,  # noqa: F811
):
    tenant_a.legal_name = "Alpha Portage"
    tenant_a.sender_name = ""
    tenant_a.sender_email = ""
    tenant_a.reply_to_email = "recouvrement@alpha.example"
    tenant_a.save()
    make_invoice(tenant_a, issued_on=ISSUED)
    run_day(tenant_a, DUE + timedelta(days=1))
    assert mail.outbox
    assert {m.from_email for m in mail.outbox} == {"Alpha Portage <no-reply@portage.example>"}
    assert all(m.reply_to == ["recouvrement@alpha.example"] for m in mail.outbox)


def test_without_a_collections_mailbox_answers_go_to_the_sender(tenant_a, run_day):  # noqa: F811
    tenant_a.sender_email = "relances@alpha.example"
    tenant_a.reply_to_email = ""
    tenant_a.save()
    make_invoice(tenant_a, issued_on=ISSUED)
    run_day(tenant_a, DUE + timedelta(days=1))
    assert mail.outbox and all(m.reply_to == [] for m in mail.outbox)
    assert all(m.from_email.endswith("<relances@alpha.example>") for m in mail.outbox)
