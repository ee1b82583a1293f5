"""The credit insurance admin pages: insurers, policies and their terms, clients' credit
limits with their history; permissions, tenancy, and figures worked by hand."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape

from insurance.models import CreditLimit, InsurancePolicy, Insurer
from insurance.selectors import limit_in_force
from insurance.selectors.limits import client_insurance_panel
from insurance.services.limits import limit_decide, limit_request
from portage.batch import paris_today
from portage.models import AuditEntry
from portage.permissions import Role
from tests.factories import make_client, make_invoice, make_member

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = paris_today()


def make_insurer(tenant, in_tenant, name="Assureur Test"):
    with in_tenant(tenant):
        return Insurer.objects.create(tenant=tenant, name=name)


def make_policy(tenant, in_tenant, *, number="POL-1", starts_on=None, ends_on=None, **terms):
    insurer = make_insurer(tenant, in_tenant, name=f"Assureur {number}")
    with in_tenant(tenant):
        return InsurancePolicy.objects.create(
            tenant=tenant,
            insurer=insurer,
            number=number,
            starts_on=starts_on or TODAY - timedelta(days=200),
            ends_on=ends_on or TODAY + timedelta(days=165),
            discretionary_limit=D("3000.00"),
            **terms,
        )


def policy_post(insurer, **changes):
    """Every term of a policy, as the form posts them."""
    data = {
        "insurer": insurer.pk,
        "number": "CF-2027",
        "starts_on": "2027-01-01",
        "ends_on": "2027-12-31",
        "currency": "EUR",
        "premium_model": "turnover",
        "premium_rate": "0.250",
        "flat_premium": "0",
        "turnover_ceiling": "0",
        "deposit": "2000",
        "minimum_premium": "1500",
        "declaration_period": "quarterly",
        "covered_share": "90",
        "deductible_per_claim": "500",
        "annual_aggregate_deductible": "",
        "claim_threshold": "1000",
        "annual_max_indemnity": "300000",
        "discretionary_limit": "5000",
        "max_credit_days": "60",
        "declaration_basis": "due_date",
        "declaration_days": "60",
        "max_extension_days": "60",
        "declaration_margin_days": "5",
        "waiting_days": "150",
        "notice_days": "30",
        "excluded_categories": ["public", "related"],
        "excluded_countries": "ru, by",
    }
    data.update(changes)
    return data


def posted(prefix, data):
    """A form of the limits page, as posted (each form has its prefix)."""
    return {f"{prefix}-{name}": value for name, value in data.items()}


def actions(tenant, in_tenant, prefix="insurance."):
    with in_tenant(tenant):
        return list(
            AuditEntry.objects.filter(action__startswith=prefix)
            .order_by("id")
            .values_list("action", flat=True)
        )


# Insurers and policies


def test_the_admin_creates_an_insurer_then_a_policy_with_all_its_terms(
    signed_in, admin_a, tenant_a, in_tenant
):
    browser = signed_in(admin_a)
    response = browser.post(
        reverse("insurance_insurer_create"),
        {
            "name": "Coface",
            "connector": "manual",
            "api_base_url": "",
            "contact_name": "Claire Martin",
            "contact_email": "claire@coface.example",
            "contact_phone": "01 02 03 04 05",
        },
    )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        insurer = Insurer.objects.get()
    assert (insurer.name, insurer.contact_name) == ("Coface", "Claire Martin")

    response = browser.post(reverse("insurance_policy_create"), policy_post(insurer))
    assert response.status_code == 302
    with in_tenant(tenant_a):
        policy = InsurancePolicy.objects.get()
    assert response["Location"] == reverse("insurance_policy_detail", args=[policy.pk])
    assert policy.excluded_countries == ["RU", "BY"]
    assert policy.excluded_categories == ["public", "related"]
    assert (policy.covered_share, policy.notice_days, policy.annual_aggregate_deductible) == (
        D("90.000"),
        30,
        None,
    )
    assert actions(tenant_a, in_tenant) == [
        "insurance.insurer_created",
        "insurance.policy_created",
    ]


def test_an_insurer_reached_through_its_api_needs_its_address_and_edits_are_audited(
    signed_in, admin_a, tenant_a, in_tenant
):
    insurer = make_insurer(tenant_a, in_tenant, name="Atradius")
    browser = signed_in(admin_a)
    url = reverse("insurance_insurer_edit", args=[insurer.pk])
    assert browser.get(url).status_code == 200
    data = {"name": "Atradius", "connector": "http", "api_base_url": ""}
    response = browser.post(url, data)
    assert response.status_code == 200 and response.context["form"].errors["api_base_url"]
    data["api_base_url"] = "https://api.atradius.example/v1"
    assert browser.post(url, data).status_code == 302
    with in_tenant(tenant_a):
        entry = AuditEntry.objects.get(action="insurance.insurer_updated")
    assert entry.before == {"connector": "manual", "api_base_url": ""}
    assert entry.after == {"connector": "http", "api_base_url": "https://api.atradius.example/v1"}
    # A second insurer may not take the same name.
    response = browser.post(reverse("insurance_insurer_create"), {**data, "name": "atradius"})
    assert response.status_code == 200 and response.context["form"].errors["name"]


def test_the_policy_page_shows_every_term_grouped_with_its_help(
    signed_in, admin_a, tenant_a, in_tenant
):
    policy = make_policy(tenant_a, in_tenant, excluded_countries=["RU", "BY"])
    browser = signed_in(admin_a)
    form = browser.get(reverse("insurance_policy_edit", args=[policy.pk]))
    assert form.context["form"].initial["excluded_countries"] == "RU, BY"
    assert browser.get(reverse("insurance_policy_create")).status_code == 200
    response = browser.get(reverse("insurance_policy_detail", args=[policy.pk]))
    assert response.status_code == 200
    groups = response.context["groups"]
    assert len(groups) == 5  # contract, premium, cover, deadlines, exclusions
    terms = {str(term["label"]): term for _title, rows in groups for term in rows}
    assert len(terms) == 27  # every term of the policy but its insurer, in the heading
    help_texts = [term["help"] for term in terms.values() if term["help"]]
    field = InsurancePolicy._meta.get_field("waiting_days")
    assert field.help_text in help_texts
    assert escape(str(field.help_text)) in response.content.decode()
    assert terms[str(InsurancePolicy._meta.get_field("excluded_countries").verbose_name)][
        "value"
    ] == ["RU", "BY"]
    assert response.context["in_force"] is True


def test_country_codes_that_are_not_two_letters_are_a_form_error(
    signed_in, admin_a, tenant_a, in_tenant
):
    insurer = make_insurer(tenant_a, in_tenant)
    response = signed_in(admin_a).post(
        reverse("insurance_policy_create"),
        policy_post(insurer, excluded_countries="RU, RUS, B1"),
    )
    assert response.status_code == 200
    assert "RUS, B1" in " ".join(response.context["form"].errors["excluded_countries"])
    with in_tenant(tenant_a):
        assert not InsurancePolicy.objects.exists()


def test_a_policy_whose_period_overlaps_another_is_refused(signed_in, admin_a, tenant_a, in_tenant):
    current = make_policy(
        tenant_a, in_tenant, starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 31)
    )
    browser = signed_in(admin_a)
    response = browser.post(
        reverse("insurance_policy_create"),
        policy_post(current.insurer, number="AT-1", starts_on="2027-12-31", ends_on="2028-12-30"),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["ends_on"]
    with in_tenant(tenant_a):
        assert InsurancePolicy.objects.count() == 1
    # The day after the other one ends, it may start.
    response = browser.post(
        reverse("insurance_policy_create"),
        policy_post(current.insurer, number="AT-1", starts_on="2028-01-01", ends_on="2028-12-31"),
    )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        assert InsurancePolicy.objects.count() == 2


def test_a_policy_moved_over_another_is_refused_and_an_edit_is_audited(
    signed_in, admin_a, tenant_a, in_tenant
):
    first = make_policy(
        tenant_a, in_tenant, number="P-1", starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 31)
    )
    second = make_policy(
        tenant_a, in_tenant, number="P-2", starts_on=date(2028, 1, 1), ends_on=date(2028, 12, 31)
    )
    browser = signed_in(admin_a)
    url = reverse("insurance_policy_edit", args=[second.pk])
    moved = policy_post(second.insurer, number="P-2", starts_on="2027-06-01", ends_on="2028-05-31")
    assert browser.post(url, moved).status_code == 200
    same_period = policy_post(
        second.insurer, number="P-2", starts_on="2028-01-01", ends_on="2028-12-31"
    )
    same_period["covered_share"] = "95"
    assert browser.post(url, same_period).status_code == 302
    with in_tenant(tenant_a):
        second.refresh_from_db()
        first.refresh_from_db()
        entry = AuditEntry.objects.get(action="insurance.policy_updated")
    assert (second.starts_on, second.covered_share) == (date(2028, 1, 1), D("95.000"))
    assert first.ends_on == date(2027, 12, 31)
    assert (entry.before["covered_share"], entry.after["covered_share"]) == ("90.000", "95")


def test_the_policy_list_says_which_policy_is_in_force_today(
    signed_in, admin_a, tenant_a, in_tenant
):
    current = make_policy(tenant_a, in_tenant, number="NOW")
    make_policy(
        tenant_a,
        in_tenant,
        number="NEXT",
        starts_on=current.ends_on + timedelta(days=1),
        ends_on=current.ends_on + timedelta(days=365),
    )
    response = signed_in(admin_a).get(reverse("insurance_policy_list"))
    assert response.status_code == 200
    assert response.context["current"] == current
    assert [policy.number for policy in response.context["policies"]] == ["NEXT", "NOW"]


# Permissions


def test_the_collector_reads_policies_and_records_limits_but_configures_nothing(
    signed_in, tenant_a, in_tenant
):
    policy = make_policy(tenant_a, in_tenant)
    client_ = make_client(tenant_a)
    browser = signed_in(make_member(tenant_a, Role.COLLECTOR))
    for name, args in [
        ("insurance_insurer_list", []),
        ("insurance_insurer_create", []),
        ("insurance_insurer_edit", [policy.insurer.pk]),
        ("insurance_policy_create", []),
        ("insurance_policy_edit", [policy.pk]),
    ]:
        assert browser.get(reverse(name, args=args)).status_code == 403, name
    for name, args in [
        ("insurance_policy_list", []),
        ("insurance_policy_detail", [policy.pk]),
        ("insurance_limit_list", []),
        ("insurance_client_limits", [client_.pk]),
    ]:
        assert browser.get(reverse(name, args=args)).status_code == 200, name
    response = browser.post(
        reverse("insurance_limit_request", args=[client_.pk]),
        posted("request", {"policy": policy.pk, "amount": "25000", "source": "back_office"}),
    )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        assert CreditLimit.objects.get().status == "requested"


def test_the_consultant_sees_no_insurance_page(signed_in, tenant_a, in_tenant):
    policy = make_policy(tenant_a, in_tenant)
    client_ = make_client(tenant_a)
    browser = signed_in(make_member(tenant_a, Role.CONSULTANT))
    for name, args in [
        ("insurance_insurer_list", []),
        ("insurance_policy_list", []),
        ("insurance_policy_detail", [policy.pk]),
        ("insurance_limit_list", []),
        ("insurance_client_limits", [client_.pk]),
    ]:
        assert browser.get(reverse(name, args=args)).status_code == 403, name
    response = browser.post(
        reverse("insurance_limit_request", args=[client_.pk]),
        posted("request", {"policy": policy.pk, "amount": "25000", "source": "back_office"}),
    )
    assert response.status_code == 403


def test_the_accountant_reads_limits_but_records_no_decision(signed_in, tenant_a, in_tenant):
    policy = make_policy(tenant_a, in_tenant)
    client_ = make_client(tenant_a)
    browser = signed_in(make_member(tenant_a, Role.ACCOUNTANT))
    page = browser.get(reverse("insurance_client_limits", args=[client_.pk]))
    assert page.status_code == 200 and page.context["can_manage"] is False
    response = browser.post(
        reverse("insurance_limit_decide", args=[client_.pk]),
        posted(
            "decision",
            {"policy": policy.pk, "status": "granted", "amount": "1", "decided_on": "2026-01-05"},
        ),
    )
    assert response.status_code == 403
    with in_tenant(tenant_a):
        assert not CreditLimit.objects.exists()


# Tenancy


def test_another_companys_insurers_policies_and_clients_answer_404(
    signed_in, admin_a, tenant_a, tenant_b, in_tenant
):
    mine = make_policy(tenant_a, in_tenant, number="MINE")
    theirs = make_policy(tenant_b, in_tenant, number="THEIRS")
    their_client = make_client(tenant_b, legal_name="Client de Beta")
    my_client = make_client(tenant_a, legal_name="Client d'Alpha")
    browser = signed_in(admin_a)
    for name, args in [
        ("insurance_insurer_edit", [theirs.insurer.pk]),
        ("insurance_policy_detail", [theirs.pk]),
        ("insurance_policy_edit", [theirs.pk]),
        ("insurance_client_limits", [their_client.pk]),
    ]:
        assert browser.get(reverse(name, args=args)).status_code == 404, name
    decision = {
        "policy": mine.pk,
        "status": "granted",
        "amount": "1000",
        "decided_on": "2026-01-05",
    }
    decision["grade_scale"] = "other"
    assert (
        browser.post(
            reverse("insurance_limit_decide", args=[their_client.pk]), posted("decision", decision)
        )
    ).status_code == 404
    # Their policy is not one of the choices for my client.
    response = browser.post(
        reverse("insurance_limit_decide", args=[my_client.pk]),
        posted("decision", {**decision, "policy": theirs.pk}),
    )
    assert response.status_code == 200 and response.context["decision_form"].errors["policy"]
    with in_tenant(tenant_a):
        assert not CreditLimit.objects.exists()
    with in_tenant(tenant_b):
        assert not CreditLimit.objects.exists()
    listing = browser.get(reverse("insurance_limit_list")).content.decode()
    assert "Client d&#x27;Alpha" in listing and "Client de Beta" not in listing
    policies = browser.get(reverse("insurance_policy_list")).content.decode()
    assert "MINE" in policies and "THEIRS" not in policies
    insurers = browser.get(reverse("insurance_insurer_list")).content.decode()
    assert "Assureur MINE" in insurers and "Assureur THEIRS" not in insurers


# Credit limits


def test_a_reduction_takes_effect_after_the_policys_notice(tenant_a, admin_a, in_tenant):
    # Notice of 30 days. Asked 60 000, granted 50 000 in part on 10 January; reduced to
    # 20 000 on 2 March: in force on 2 March + 30 days = 1 April, so on 31 March deliveries
    # are still covered by 50 000. Cancelled on 4 May: 0 from 3 June (4 May + 30 days).
    policy = make_policy(
        tenant_a,
        in_tenant,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        notice_days=30,
    )
    client_ = make_client(tenant_a)
    user = admin_a.user
    with in_tenant(tenant_a):
        limit_request(
            tenant=tenant_a,
            client=client_,
            policy=policy,
            amount=D("60000"),
            actor=user,
            source="back_office",
        )
        partial = limit_decide(
            tenant=tenant_a,
            client=client_,
            policy=policy,
            actor=user,
            status="partial",
            amount=D("50000"),
            decided_on=date(2026, 1, 10),
        )
        reduced = limit_decide(
            tenant=tenant_a,
            client=client_,
            policy=policy,
            actor=user,
            status="reduced",
            amount=D("20000"),
            decided_on=date(2026, 3, 2),
        )
        cancelled = limit_decide(
            tenant=tenant_a,
            client=client_,
            policy=policy,
            actor=user,
            status="cancelled",
            amount=None,
            decided_on=date(2026, 5, 4),
        )

        def limit_on(day):
            return limit_in_force(client_, day, policy)

        assert (partial.requested_amount, partial.effective_from) == (
            D("60000.00"),
            date(2026, 1, 10),
        )
        assert reduced.effective_from == date(2026, 4, 1)
        assert cancelled.effective_from == date(2026, 6, 3)
        assert limit_on(date(2026, 1, 9)) is None
        assert limit_on(date(2026, 1, 10)) == D("50000.00")
        assert limit_on(date(2026, 3, 2)) == D("50000.00")
        assert limit_on(date(2026, 3, 31)) == D("50000.00")
        assert limit_on(date(2026, 4, 1)) == D("20000.00")
        assert limit_on(date(2026, 6, 2)) == D("20000.00")
        assert limit_on(date(2026, 6, 3)) == D("0.00")
        # The history is kept: four rows, none changed.
        assert list(
            CreditLimit.objects.order_by("id").values_list("status", "amount", "effective_from")
        ) == [
            ("requested", D("0.00"), None),
            ("partial", D("50000.00"), date(2026, 1, 10)),
            ("reduced", D("20000.00"), date(2026, 4, 1)),
            ("cancelled", D("0.00"), date(2026, 6, 3)),
        ]


@pytest.mark.parametrize(
    ("status", "amount", "field"),
    [
        ("granted", None, "amount"),
        ("partial", D("0"), "amount"),
        ("partial", D("40000.01"), "amount"),  # more than the 40 000 asked
        ("refused", D("100"), "amount"),
        ("reduced", D("50000"), "amount"),  # not below the 50 000 in force
        ("requested", D("100"), "status"),
    ],
)
def test_a_decision_that_does_not_add_up_is_refused(
    tenant_a, admin_a, in_tenant, status, amount, field
):
    policy = make_policy(tenant_a, in_tenant)
    client_ = make_client(tenant_a)
    day = TODAY - timedelta(days=10)
    with in_tenant(tenant_a):
        limit_decide(
            tenant=tenant_a,
            client=client_,
            policy=policy,
            actor=admin_a.user,
            status="granted",
            amount=D("50000"),
            decided_on=day,
        )
        limit_request(
            tenant=tenant_a,
            client=client_,
            policy=policy,
            amount=D("40000"),
            actor=admin_a.user,
            source="back_office",
        )
        with pytest.raises(ValidationError) as refused:
            limit_decide(
                tenant=tenant_a,
                client=client_,
                policy=policy,
                actor=admin_a.user,
                status=status,
                amount=amount,
                decided_on=day,
            )
        assert field in refused.value.error_dict
        assert CreditLimit.objects.count() == 2


def test_a_reduction_asks_for_confirmation_on_the_page(signed_in, tenant_a, in_tenant):
    policy = make_policy(tenant_a, in_tenant, notice_days=30)
    client_ = make_client(tenant_a)
    browser = signed_in(make_member(tenant_a, Role.COLLECTOR))
    url = reverse("insurance_limit_decide", args=[client_.pk])
    decided_on = (TODAY - timedelta(days=40)).isoformat()
    grant = {"policy": policy.pk, "status": "granted", "amount": "30000", "decided_on": decided_on}
    assert (
        browser.post(url, posted("decision", {**grant, "grade_scale": "other"})).status_code == 302
    )
    reduce = {**grant, "status": "reduced", "amount": "10000", "grade_scale": "other"}
    response = browser.post(url, posted("decision", reduce))
    assert response.status_code == 200
    assert response.context["decision_form"].errors["confirm"]
    assert browser.post(url, posted("decision", {**reduce, "confirm": "on"})).status_code == 302
    with in_tenant(tenant_a):
        reduced = CreditLimit.objects.get(status="reduced")
        # Decided 40 days ago with 30 days' notice: in force since 10 days ago.
        assert reduced.effective_from == TODAY - timedelta(days=10)
        assert limit_in_force(client_, TODAY, policy) == D("10000.00")


def test_the_requests_and_decisions_made_on_the_page_are_audited(signed_in, tenant_a, in_tenant):
    policy = make_policy(tenant_a, in_tenant)
    client_ = make_client(tenant_a)
    collector = make_member(tenant_a, Role.COLLECTOR)
    browser = signed_in(collector)
    browser.post(
        reverse("insurance_limit_request", args=[client_.pk]),
        posted("request", {"policy": policy.pk, "amount": "25000", "source": "prospect"}),
    )
    browser.post(
        reverse("insurance_limit_decide", args=[client_.pk]),
        posted(
            "decision",
            {
                "policy": policy.pk,
                "status": "partial",
                "amount": "15000",
                "decided_on": TODAY.isoformat(),
                "grade": "4",
                "grade_scale": "allianz_1_10",
                "insurer_reference": "AT-778",
            },
        ),
    )
    with in_tenant(tenant_a):
        requested, decided = CreditLimit.objects.order_by("id")
        entries = list(AuditEntry.objects.filter(action__startswith="insurance.").order_by("id"))
    assert (requested.requested_by, requested.source) == (collector.user, "prospect")
    assert (decided.status, decided.amount, decided.requested_amount) == (
        "partial",
        D("15000.00"),
        D("25000.00"),
    )
    assert [(entry.action, entry.object_id, entry.actor) for entry in entries] == [
        ("insurance.limit_requested", str(requested.pk), collector.user),
        ("insurance.limit_decided", str(decided.pk), collector.user),
    ]
    assert entries[1].after["amount"] == "15000.00"
    assert entries[1].after["insurer_reference"] == "AT-778"


def test_grades_are_shown_with_their_scale_and_on_0_to_100(signed_in, admin_a, tenant_a, in_tenant):
    # Allianz Trade 3 on 1 (best) to 10: (10 − 3) / 9 = 77.8 → 78. Coface 7 on 0 to 10
    # (best): 70. A grade on another scale has no common score.
    policy = make_policy(tenant_a, in_tenant)
    client_ = make_client(tenant_a)
    day = TODAY - timedelta(days=30)
    with in_tenant(tenant_a):
        for grade, scale in [("3", "allianz_1_10"), ("7", "coface_0_10"), ("B+", "other")]:
            limit_decide(
                tenant=tenant_a,
                client=client_,
                policy=policy,
                actor=admin_a.user,
                status="granted",
                amount=D("10000"),
                decided_on=day,
                grade=grade,
                grade_scale=scale,
            )
        with pytest.raises(ValidationError):
            limit_decide(
                tenant=tenant_a,
                client=client_,
                policy=policy,
                actor=admin_a.user,
                status="granted",
                amount=D("10000"),
                decided_on=day,
                grade="11",
                grade_scale="coface_0_10",
            )
    response = signed_in(admin_a).get(reverse("insurance_client_limits", args=[client_.pk]))
    assert response.status_code == 200
    scores = {(row.grade, row.grade_scale): row.score for row in response.context["history"]}
    assert scores == {("3", "allianz_1_10"): 78, ("7", "coface_0_10"): 70, ("B+", "other"): None}
    page = response.content.decode()
    assert "78/100" in page and "70/100" in page


def test_the_client_panel_holds_the_policy_limit_exposure_and_covers(tenant_a, admin_a, in_tenant):
    # Limit 5 000; one invoice of 6 000 excl. VAT (7 200 incl. VAT) issued: the policy
    # covers amounts excluding VAT, so the exposure is 6 000, over the limit; the invoice
    # was covered for 5 000, 1 000 not.
    policy = make_policy(tenant_a, in_tenant)
    client_ = make_client(tenant_a)
    with in_tenant(tenant_a):
        decision = limit_decide(
            tenant=tenant_a,
            client=client_,
            policy=policy,
            actor=admin_a.user,
            status="granted",
            amount=D("5000"),
            decided_on=TODAY - timedelta(days=20),
        )
    invoice = make_invoice(tenant_a, client=client_, issued_on=TODAY - timedelta(days=5))
    with in_tenant(tenant_a):
        panel = client_insurance_panel(client_, TODAY)
    assert set(panel) == {"policy", "limit", "limit_decision", "exposure", "over_limit", "covers"}
    assert (panel["policy"], panel["limit"], panel["limit_decision"]) == (
        policy,
        D("5000.00"),
        decision,
    )
    assert (panel["exposure"], panel["over_limit"]) == (D("6000.00"), True)
    assert [
        (cover.invoice, cover.covered_amount, cover.uncovered_amount) for cover in panel["covers"]
    ] == [(invoice, D("5000.00"), D("1000.00"))]


def test_the_limit_list_flags_the_clients_over_their_limit(signed_in, admin_a, tenant_a, in_tenant):
    policy = make_policy(tenant_a, in_tenant)
    over = make_client(tenant_a, legal_name="Over SA")
    within = make_client(tenant_a, legal_name="Within SA")
    unnamed = make_client(tenant_a, legal_name="Unnamed SA")
    with in_tenant(tenant_a):
        for client_, amount in [(over, "5000"), (within, "20000")]:
            limit_decide(
                tenant=tenant_a,
                client=client_,
                policy=policy,
                actor=admin_a.user,
                status="granted",
                amount=D(amount),
                decided_on=TODAY - timedelta(days=20),
            )
        limit_request(
            tenant=tenant_a,
            client=unnamed,
            policy=policy,
            amount=D("8000"),
            actor=admin_a.user,
            source="back_office",
        )
    for client_ in (over, within):
        make_invoice(tenant_a, client=client_, issued_on=TODAY - timedelta(days=5))
    browser = signed_in(admin_a)
    response = browser.get(reverse("insurance_limit_list"))
    assert response.status_code == 200
    rows = {row["client"].legal_name: row for row in response.context["page"].object_list}
    assert response.context["page"].object_list[0]["client"] == over
    assert (rows["Over SA"]["limit"], rows["Over SA"]["exposure"]) == (D("5000.00"), D("6000.00"))
    assert (rows["Over SA"]["over_limit"], rows["Over SA"]["share_used"]) == (True, 120)
    assert (rows["Within SA"]["over_limit"], rows["Within SA"]["share_used"]) == (False, 30)
    assert (rows["Unnamed SA"]["limit"], rows["Unnamed SA"]["request"].requested_amount) == (
        None,
        D("8000.00"),
    )
    assert response.context["over_count"] == 1
    only_over = browser.get(reverse("insurance_limit_list"), {"over": "1"})
    assert [row["client"].legal_name for row in only_over.context["page"].object_list] == [
        "Over SA"
    ]
    # The client's page shows the same, with its panel.
    page = browser.get(reverse("insurance_client_limits", args=[over.pk]))
    assert page.context["insurance"]["over_limit"] is True
    assert page.context["share_used"] == 120
