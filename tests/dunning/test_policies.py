"""Dunning policies, client settings and reference rates: the service rules and the admin's
pages."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.urls import reverse

from dunning.models import Action, Case, ClientSettings, Policy, RateSemester, Step, StepKind
from dunning.services.ladder import run_ladder
from dunning.services.policies import (
    STEP_FIELDS,
    client_settings_set,
    policy_create,
    policy_delete,
    policy_make_default,
    policy_update,
    rates_save,
)
from portage.models import AuditEntry
from portage.permissions import Role
from tests.factories import make_client, make_invoice, make_member

pytestmark = pytest.mark.django_db

ISSUED = date(2026, 3, 2)
DUE = ISSUED + timedelta(days=30)
POLICY = {
    "name": "Grands comptes",
    "minimum_balance": Decimal("50.00"),
    "group_invoices": True,
    "catch_up": False,
    "notice_deadline_days": 15,
    "is_default": False,
}


def email_step(kind=StepKind.FIRST_REMINDER, days=1, **fields):
    return {
        "kind": kind,
        "days_from_due": days,
        "subject_fr": "Rappel — {company}",
        "body_fr": "Factures :\n{invoices}\nSolde : {total}",
        **fields,
    }


def steps_of(policy):
    return [
        {"id": step.pk, **model_to_dict(step, fields=STEP_FIELDS)}
        for step in policy.steps.order_by("position")
    ]


def default_policy(tenant, in_tenant):
    with in_tenant(tenant):
        return Policy.objects.get(is_default=True)


def audit_actions(tenant, in_tenant, action):
    with in_tenant(tenant):
        return list(AuditEntry.objects.filter(action=action).order_by("id"))


@pytest.fixture
def admin(tenant_a):
    return make_member(tenant_a, Role.ADMIN)


# The service rules


def test_a_new_company_starts_with_its_default_policy(tenant_a, in_tenant):
    policy = default_policy(tenant_a, in_tenant)
    with in_tenant(tenant_a):
        assert [step.kind for step in policy.steps.order_by("position")][-1] == "litigation"


def test_only_one_policy_is_the_default(tenant_a, admin, in_tenant):
    standard = default_policy(tenant_a, in_tenant)
    with in_tenant(tenant_a):
        other = policy_create(tenant=tenant_a, actor=admin.user, data=POLICY, steps=[email_step()])
        policy_make_default(policy=other, actor=admin.user)
        assert list(Policy.objects.filter(is_default=True)) == [other]
        standard.refresh_from_db()
    assert not standard.is_default
    entry = audit_actions(tenant_a, in_tenant, "dunning.policy_changed")[-1]
    assert (entry.before, entry.after) == (
        {"default_policy": "Standard"},
        {"default_policy": "Grands comptes"},
    )


def test_the_default_policy_cannot_be_unset_by_editing_it(tenant_a, admin, in_tenant):
    standard = default_policy(tenant_a, in_tenant)
    with in_tenant(tenant_a), pytest.raises(ValidationError):
        policy_update(
            policy=standard,
            actor=admin.user,
            data={**POLICY, "name": "Standard", "is_default": False},
            steps=steps_of(standard),
        )


def test_a_step_already_performed_cannot_be_deleted_but_its_days_may_change(
    tenant_a, admin, in_tenant
):
    invoice = make_invoice(tenant_a, issued_on=ISSUED)
    with in_tenant(tenant_a):
        run_ladder(tenant=tenant_a, today=DUE - timedelta(days=3))
        action = Action.objects.get(invoice=invoice)
        standard = Policy.objects.get(is_default=True)
        steps = steps_of(standard)
        assert steps[0]["id"] == action.step_id
        data = {**POLICY, "name": "Standard", "is_default": True}
        with pytest.raises(ValidationError) as refused:
            policy_update(policy=standard, actor=admin.user, data=data, steps=steps[1:])
        assert "cannot be deleted" in " ".join(refused.value.messages)
        assert Step.objects.filter(pk=action.step_id).exists()

        policy_update(
            policy=standard,
            actor=admin.user,
            data=data,
            steps=[{**steps[0], "days_from_due": -5}, *steps[1:]],
        )
        assert Step.objects.get(pk=action.step_id).days_from_due == -5


def test_deleting_the_next_step_of_a_followed_invoice_moves_it_to_the_one_after(
    tenant_a, admin, in_tenant
):
    invoice = make_invoice(tenant_a, issued_on=ISSUED)
    with in_tenant(tenant_a):
        run_ladder(tenant=tenant_a, today=DUE - timedelta(days=3))
        standard = Policy.objects.get(is_default=True)
        steps = steps_of(standard)
        case = Case.objects.get(invoice=invoice)
        assert case.next_step_id == steps[1]["id"]
        policy_update(
            policy=standard,
            actor=admin.user,
            data={**POLICY, "name": "Standard", "is_default": True},
            steps=[steps[0], *steps[2:]],
        )
        case.refresh_from_db()
    assert (case.next_step_id, case.next_step_on) == (steps[2]["id"], DUE + timedelta(days=1))


def test_a_step_not_performed_yet_is_deleted_and_the_rest_renumbered(tenant_a, admin, in_tenant):
    standard = default_policy(tenant_a, in_tenant)
    with in_tenant(tenant_a):
        steps = steps_of(standard)
        policy_update(
            policy=standard,
            actor=admin.user,
            data={**POLICY, "name": "Standard", "is_default": True},
            steps=[steps[0], *steps[2:]],
        )
        after = list(standard.steps.order_by("position").values_list("pk", "position"))
    assert after == [
        (step["id"], position) for position, step in enumerate([steps[0], *steps[2:]], start=1)
    ]
    entry = audit_actions(tenant_a, in_tenant, "dunning.policy_changed")[-1]
    assert len(entry.before["steps"]) == 6 and len(entry.after["steps"]) == 5
    assert "name" not in entry.after


def test_an_unknown_placeholder_is_refused_with_the_allowed_ones(tenant_a, admin, in_tenant):
    with in_tenant(tenant_a), pytest.raises(ValidationError) as refused:
        policy_create(
            tenant=tenant_a,
            actor=admin.user,
            data=POLICY,
            steps=[email_step(body_fr="Bonjour {client_name}, solde {total}")],
        )
    message = " ".join(refused.value.messages)
    assert "{client_name}" in message
    assert "{client}" in message and "{total_claimed}" in message and "{iban}" in message


@pytest.mark.parametrize(
    "steps",
    [
        [],
        [email_step(days=15), email_step(StepKind.SECOND_REMINDER, days=1)],
        [{"kind": StepKind.LITIGATION, "days_from_due": 30}, email_step(days=40)],
        [email_step(channel="letter")],
        [email_step(StepKind.FORMAL_NOTICE, subject_fr="", days=30)],
    ],
    ids=["no step", "days go down", "litigation not last", "wrong channel", "no subject"],
)
def test_a_ladder_breaking_a_rule_is_refused(tenant_a, admin, in_tenant, steps):
    with in_tenant(tenant_a):
        with pytest.raises(ValidationError):
            policy_create(tenant=tenant_a, actor=admin.user, data=POLICY, steps=steps)
        assert not Policy.objects.filter(name=POLICY["name"]).exists()


def test_the_channel_follows_the_kind(tenant_a, admin, in_tenant):
    with in_tenant(tenant_a):
        policy = policy_create(
            tenant=tenant_a,
            actor=admin.user,
            data=POLICY,
            steps=[
                email_step(StepKind.CONSULTANT_REMINDER, days=-3),
                email_step(StepKind.FORMAL_NOTICE, days=20),
                {"kind": StepKind.LITIGATION, "days_from_due": 40},
            ],
        )
        assert list(policy.steps.values_list("channel", flat=True)) == [
            "consultant_email",
            "letter",
            "litigation_file",
        ]


def test_a_policy_in_use_or_default_cannot_be_deleted(tenant_a, admin, in_tenant):
    standard = default_policy(tenant_a, in_tenant)
    client = make_client(tenant_a)
    with in_tenant(tenant_a):
        other = policy_create(tenant=tenant_a, actor=admin.user, data=POLICY, steps=[email_step()])
        with pytest.raises(ValidationError):
            policy_delete(policy=standard, actor=admin.user)
        client_settings_set(
            tenant=tenant_a, client=client, actor=admin.user, policy=other, language="en"
        )
        with pytest.raises(ValidationError):
            policy_delete(policy=other, actor=admin.user)
        client_settings_set(
            tenant=tenant_a, client=client, actor=admin.user, policy=None, language="en"
        )
        policy_delete(policy=other, actor=admin.user)
        assert not Policy.objects.filter(pk=other.pk).exists()


def test_rates_are_added_and_corrected_with_an_audit_entry(tenant_a, admin, in_tenant):
    with in_tenant(tenant_a):
        rates_save(
            tenant=tenant_a,
            actor=admin.user,
            rows=[
                {
                    "year": 2027,
                    "half": 1,
                    "ecb_rate": Decimal("2.00"),
                    "legal_rate": Decimal("2.5"),
                },
                {
                    "year": 2026,
                    "half": 1,
                    "ecb_rate": Decimal("2.15"),
                    "legal_rate": Decimal("2.62"),
                },
            ],
        )
        row = RateSemester.objects.get(year=2027, half=1)
    assert (row.ecb_rate, row.legal_rate) == (Decimal("2.00"), Decimal("2.50"))
    entries = audit_actions(tenant_a, in_tenant, "dunning.rates_changed")
    assert len(entries) == 1  # 2026 S1 was already known and unchanged
    assert entries[0].before is None and entries[0].after["ecb_rate"] == "2.00"


def test_a_half_year_s_legal_rate_is_entered_once_published(tenant_a, admin, in_tenant):
    """The second half of 2026 is known by its ECB rate only (2.40 % on 1 July 2026); the
    legal interest rate is added to it when its arrêté is published."""
    with in_tenant(tenant_a):
        seeded = RateSemester.objects.get(year=2026, half=2)
        assert (seeded.ecb_rate, seeded.legal_rate) == (Decimal("2.40"), None)
        rates_save(
            tenant=tenant_a,
            actor=admin.user,
            rows=[{"year": 2026, "half": 2, "ecb_rate": Decimal("2.40"), "legal_rate": None}],
        )
        with pytest.raises(ValidationError, match="at least one"):
            rates_save(
                tenant=tenant_a,
                actor=admin.user,
                rows=[{"year": 2027, "half": 1, "ecb_rate": None, "legal_rate": None}],
            )
        assert not RateSemester.objects.filter(year=2027).exists()


# The pages


def step_rows(policy):
    """The formset's POST data for the steps of `policy`, as the page sends them back."""
    data = {}
    steps = steps_of(policy)
    for index, step in enumerate(steps):
        for name, value in step.items():
            if name != "channel":
                data[f"steps-{index}-{name}"] = value
        data[f"steps-{index}-ORDER"] = index + 1
    data.update(
        {
            "steps-TOTAL_FORMS": len(steps),
            "steps-INITIAL_FORMS": len(steps),
            "steps-MIN_NUM_FORMS": 0,
            "steps-MAX_NUM_FORMS": 20,
        }
    )
    return data


def policy_fields(**changes):
    fields = {**POLICY, **changes}
    return {name: value for name, value in fields.items() if value is not False}


def test_the_admin_sees_the_policies_with_their_steps_and_clients(
    signed_in, admin, tenant_a, in_tenant
):
    make_client(tenant_a)
    make_client(tenant_a)
    response = signed_in(admin).get(reverse("dunning_policy_list"))
    assert response.status_code == 200
    [standard] = response.context["policies"]
    assert (standard.name, standard.client_count) == ("Standard", 2)
    assert standard.summary.startswith("J−3 ")
    assert "J+45" in standard.summary


def test_the_admin_creates_a_policy_from_the_page(signed_in, admin, tenant_a, in_tenant):
    browser = signed_in(admin)
    page = browser.get(reverse("dunning_policy_create"))
    assert page.status_code == 200
    assert len(page.context["formset"].initial) == 6  # a copy of the default ladder
    standard = default_policy(tenant_a, in_tenant)
    with in_tenant(tenant_a):
        data = step_rows(standard)
    for index in range(6):
        data[f"steps-{index}-id"] = ""
    data["steps-1-DELETE"] = "on"
    data["steps-0-days_from_due"] = "-5"
    response = browser.post(reverse("dunning_policy_create"), {**policy_fields(), **data})
    assert response.status_code == 302
    with in_tenant(tenant_a):
        created = Policy.objects.get(name="Grands comptes")
        assert created.steps.count() == 5
        assert created.steps.get(position=1).days_from_due == -5
        assert created.notice_deadline_days == 15 and not created.is_default
    assert audit_actions(tenant_a, in_tenant, "dunning.policy_changed")[-1].before is None


def test_the_admin_edits_a_step_and_reorders_them(signed_in, admin, tenant_a, in_tenant):
    standard = default_policy(tenant_a, in_tenant)
    with in_tenant(tenant_a):
        data = step_rows(standard)
        second_consultant = standard.steps.get(position=2)
        first_reminder = standard.steps.get(position=3)
    # The first reminder before the consultant's second word, both at J+1.
    data["steps-1-ORDER"], data["steps-2-ORDER"] = 3, 2
    data["steps-2-subject_fr"] = "Rappel de {company}"
    response = signed_in(admin).post(
        reverse("dunning_policy_edit", args=[standard.pk]),
        {**policy_fields(name="Standard", is_default=True), **data},
    )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        first_reminder.refresh_from_db()
        second_consultant.refresh_from_db()
    assert (first_reminder.position, second_consultant.position) == (2, 3)
    assert first_reminder.subject_fr == "Rappel de {company}"


def test_an_invalid_ladder_is_a_message_on_the_page(signed_in, admin, tenant_a, in_tenant):
    standard = default_policy(tenant_a, in_tenant)
    with in_tenant(tenant_a):
        data = step_rows(standard)
    data["steps-2-body_fr"] = "Merci de payer {montant}"
    response = signed_in(admin).post(
        reverse("dunning_policy_edit", args=[standard.pk]),
        {**policy_fields(name="Standard", is_default=True), **data},
    )
    assert response.status_code == 200
    assert any("{montant}" in error for error in response.context["form"].non_field_errors())
    with in_tenant(tenant_a):
        assert standard.steps.get(position=3).body_fr != "Merci de payer {montant}"


def test_add_a_step_shows_one_more_row_and_saves_nothing(signed_in, admin, tenant_a, in_tenant):
    standard = default_policy(tenant_a, in_tenant)
    with in_tenant(tenant_a):
        data = step_rows(standard)
    response = signed_in(admin).post(
        reverse("dunning_policy_edit", args=[standard.pk]),
        {**policy_fields(name="Renamed", is_default=True), **data, "add_step": "1"},
    )
    assert response.status_code == 200
    assert len(response.context["formset"].forms) == 7
    with in_tenant(tenant_a):
        standard.refresh_from_db()
    assert standard.name == "Standard"


def test_the_admin_makes_a_policy_default_and_deletes_another(
    signed_in, admin, tenant_a, in_tenant
):
    with in_tenant(tenant_a):
        first = policy_create(tenant=tenant_a, actor=admin.user, data=POLICY, steps=[email_step()])
        second = policy_create(
            tenant=tenant_a,
            actor=admin.user,
            data={**POLICY, "name": "Petits comptes"},
            steps=[email_step()],
        )
    browser = signed_in(admin)
    url = reverse("dunning_policy_list")
    browser.post(url, {"policy": first.pk, "action": "make_default"})
    confirm = browser.get(url, {"delete": second.pk})
    assert confirm.context["deleting"].pk == second.pk
    assert browser.post(url, {"policy": second.pk, "action": "delete"}).status_code == 302
    with in_tenant(tenant_a):
        assert list(Policy.objects.filter(is_default=True)) == [first]
        assert not Policy.objects.filter(pk=second.pk).exists()


def test_a_collector_may_not_open_the_policy_pages(signed_in, collector, tenant_a, in_tenant):
    standard = default_policy(tenant_a, in_tenant)
    browser = signed_in(collector)
    for url in [
        reverse("dunning_policy_list"),
        reverse("dunning_policy_create"),
        reverse("dunning_policy_edit", args=[standard.pk]),
        reverse("dunning_rates"),
    ]:
        assert browser.get(url).status_code == 403
    assert browser.post(reverse("dunning_policy_list"), {"policy": standard.pk}).status_code == 403


def test_another_companys_policy_and_client_are_not_found(
    signed_in, admin, tenant_a, tenant_b, in_tenant
):
    theirs = default_policy(tenant_b, in_tenant)
    mine = default_policy(tenant_a, in_tenant)
    their_client = make_client(tenant_b)
    browser = signed_in(admin)
    assert browser.get(reverse("dunning_policy_edit", args=[theirs.pk])).status_code == 404
    for action in ("make_default", "delete"):
        response = browser.post(
            reverse("dunning_policy_list"), {"policy": theirs.pk, "action": action}
        )
        assert response.status_code == 404
    assert (
        browser.get(reverse("dunning_client_settings", args=[their_client.pk])).status_code == 404
    )
    listed = browser.get(reverse("dunning_policy_list")).context["policies"]
    assert [policy.pk for policy in listed] == [mine.pk]
    with in_tenant(tenant_b):
        assert Policy.objects.get(pk=theirs.pk).is_default


def test_a_collector_sets_a_clients_policy_and_language(
    signed_in, collector, admin, tenant_a, in_tenant
):
    client = make_client(tenant_a)
    with in_tenant(tenant_a):
        other = policy_create(tenant=tenant_a, actor=admin.user, data=POLICY, steps=[email_step()])
    browser = signed_in(collector)
    url = reverse("dunning_client_settings", args=[client.pk])
    assert browser.get(url).status_code == 200
    response = browser.post(url, {"policy": other.pk, "language": "en"})
    assert response.status_code == 302
    assert response["Location"] == reverse("dunning_client", args=[client.pk])
    with in_tenant(tenant_a):
        settings = ClientSettings.objects.select_related("policy").get(client=client)
    assert (settings.policy, settings.language) == (other, "en")
    entry = audit_actions(tenant_a, in_tenant, "dunning.client_settings_changed")[-1]
    assert (entry.before, entry.after) == (
        {"policy": None, "language": "fr"},
        {"policy": "Grands comptes", "language": "en"},
    )


def test_the_rates_page_warns_when_the_current_half_year_is_missing(
    signed_in, admin, tenant_a, monkeypatch
):
    browser = signed_in(admin)
    monkeypatch.setattr("dunning.views.policies.paris_today", lambda: date(2026, 3, 1))
    assert browser.get(reverse("dunning_rates")).context["current_missing"] == []
    monkeypatch.setattr("dunning.views.policies.paris_today", lambda: date(2026, 7, 2))
    page = browser.get(reverse("dunning_rates"))
    assert page.context["current_missing"] == [
        "le taux de l'intérêt légal du second semestre 2026 (à partir du 1er juillet)"
    ]
    newest = page.context["formset"].forms[0]
    assert (newest.initial["year"], newest.initial["half"]) == (2026, 2)
    assert (newest.applied, newest.floor) == (Decimal("12.40"), None)
    monkeypatch.setattr("dunning.views.policies.paris_today", lambda: date(2027, 1, 2))
    assert browser.get(reverse("dunning_rates")).context["current_missing"] == [
        "le taux de refinancement principal de la BCE du premier semestre 2027 (à partir du "
        "1er janvier)",
        "le taux de l'intérêt légal du premier semestre 2027 (à partir du 1er janvier)",
    ]


def test_the_admin_adds_a_half_year_and_corrects_one(signed_in, admin, tenant_a, in_tenant):
    browser = signed_in(admin)
    url = reverse("dunning_rates")
    response = browser.post(
        url,
        {
            "add": "1",
            "new-year": "2027",
            "new-half": "1",
            "new-ecb_rate": "2.00",
            "new-legal_rate": "2.40",
        },
    )
    assert response.status_code == 302
    again = browser.post(
        url,
        {
            "add": "1",
            "new-year": "2027",
            "new-half": "1",
            "new-ecb_rate": "3",
            "new-legal_rate": "3",
        },
    )
    assert again.status_code == 200 and again.context["add_form"].errors
    formset = browser.get(url).context["formset"]
    data = {
        "rates-TOTAL_FORMS": len(formset.forms),
        "rates-INITIAL_FORMS": len(formset.forms),
        "save": "1",
    }
    for index, form in enumerate(formset.forms):
        for name, value in form.initial.items():
            data[f"rates-{index}-{name}"] = "" if value is None else value
    data["rates-0-legal_rate"] = "2.45"
    assert browser.post(url, data).status_code == 302
    with in_tenant(tenant_a):
        row = RateSemester.objects.get(year=2027, half=1)
    assert (row.ecb_rate, row.legal_rate) == (Decimal("2.00"), Decimal("2.45"))
    entries = audit_actions(tenant_a, in_tenant, "dunning.rates_changed")
    assert [(entry.before, entry.after) for entry in entries][-1] == (
        {"legal_rate": "2.40"},
        {"legal_rate": "2.45"},
    )
    assert len(entries) == 2
