"""The admin's side of credit insurance: the insurers the company deals with and its
policies (contrats d'assurance-crédit) with their terms. Every change is audited.

One policy is in force on a given day (`insurance.selectors.policy_in_force`): two policies
of the company may not share a day, so a period that overlaps another policy's is refused.
"""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from insurance.models import InsurancePolicy, Insurer
from invoices.models import Client
from portage.models import Tenant
from portage.money import ZERO
from portage.services import audit_diff, audit_record, snapshot

INSURER_FIELDS = [
    "name",
    "connector",
    "api_base_url",
    "contact_name",
    "contact_email",
    "contact_phone",
]

POLICY_FIELDS = [
    "insurer",
    "number",
    "starts_on",
    "ends_on",
    "currency",
    "premium_model",
    "premium_rate",
    "flat_premium",
    "turnover_ceiling",
    "deposit",
    "minimum_premium",
    "declaration_period",
    "covered_share",
    "deductible_per_claim",
    "annual_aggregate_deductible",
    "claim_threshold",
    "annual_max_indemnity",
    "discretionary_limit",
    "covers_vat",
    "max_credit_days",
    "declaration_basis",
    "declaration_days",
    "max_extension_days",
    "declaration_margin_days",
    "waiting_days",
    "notice_days",
    "excluded_categories",
    "excluded_countries",
]

COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")


def _audit_values(values):
    """What the audit log stores of a policy's or an insurer's fields: names, not objects."""
    return {
        name: str(value) if isinstance(value, Insurer) else value for name, value in values.items()
    }


def _changes(before, after):
    old, new = audit_diff(before, after)
    return _audit_values(old), _audit_values(new)


def _lock_company(tenant):
    """Two admins saving at the same time must not both pass the checks of uniqueness (an
    insurer's name, a policy's number) and of overlap (a policy's period)."""
    Tenant.objects.select_for_update().get(pk=tenant.pk)


# Insurers


def _insurer_validate(data, exclude_pk=None):
    errors = {}
    name = data["name"].strip()
    if not name:
        errors["name"] = _("Give the insurer's name.")
    elif Insurer.objects.filter(name__iexact=name).exclude(pk=exclude_pk).exists():
        errors["name"] = _("There is already an insurer named “%(name)s”.") % {"name": name}
    if data["connector"] == Insurer.Connector.HTTP and not data["api_base_url"]:
        errors["api_base_url"] = _(
            "An insurer reached through its API needs the API address, e.g. "
            "https://api.insurer.example/v1."
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def insurer_create(*, tenant, actor, data, credentials=None):
    _lock_company(tenant)
    _insurer_validate(data)
    insurer = Insurer(tenant=tenant, **{name: data[name] for name in INSURER_FIELDS})
    insurer.name = insurer.name.strip()
    _set_credentials(insurer, credentials)
    insurer.full_clean()
    insurer.save()
    audit_record(
        tenant=tenant,
        actor=actor,
        action="insurance.insurer_created",
        obj=insurer,
        after={**snapshot(insurer, INSURER_FIELDS), **_credentials_note(credentials)},
    )
    return insurer


def _set_credentials(insurer, credentials):
    """The API key and secret are only ever written, never shown back (nor audited)."""
    for name, value in (credentials or {}).items():
        if value:
            setattr(insurer, name, value)


def _credentials_note(credentials):
    changed = sorted(name for name, value in (credentials or {}).items() if value)
    return {"api_credentials": ", ".join(changed)} if changed else {}


@transaction.atomic
def insurer_update(*, insurer, actor, data, credentials=None):
    _lock_company(insurer.tenant)
    stored = Insurer.objects.get(pk=insurer.pk)
    _insurer_validate(data, exclude_pk=stored.pk)
    before = snapshot(stored, INSURER_FIELDS)
    for name in INSURER_FIELDS:
        setattr(stored, name, data[name])
    stored.name = stored.name.strip()
    _set_credentials(stored, credentials)
    stored.full_clean()
    stored.save()
    old, new = _changes(before, snapshot(stored, INSURER_FIELDS))
    new.update(_credentials_note(credentials))
    if new:
        audit_record(
            tenant=stored.tenant,
            actor=actor,
            action="insurance.insurer_updated",
            obj=stored,
            before=old,
            after=new,
        )
    return stored


# Policies


def overlapping_policy(*, starts_on, ends_on, exclude_pk=None):
    """Another policy of the company in force on at least one day of the period (first and
    last days included), or None."""
    return (
        InsurancePolicy.objects.filter(starts_on__lte=ends_on, ends_on__gte=starts_on)
        .exclude(pk=exclude_pk)
        .select_related("insurer")
        .order_by("starts_on")
        .first()
    )


def policy_validate(*, tenant, data, exclude_pk=None):
    """The policy's terms, all refusals at once: a period whose end comes after its start
    and that no other policy of the company shares, a number used once, ISO country codes,
    known client categories, a ceiling for a flat premium, and an overdue declared after its
    due date."""
    errors = {}

    def refuse(field, message):
        errors.setdefault(field, []).append(message)

    insurer = data["insurer"]
    if insurer is None or insurer.tenant_id != tenant.pk:
        refuse("insurer", _("Choose one of the company's insurers."))
    number = data["number"].strip()
    if not number:
        refuse("number", _("Give the policy number."))
    elif InsurancePolicy.objects.filter(number=number).exclude(pk=exclude_pk).exists():
        refuse(
            "number", _("Another policy already has the number %(number)s.") % {"number": number}
        )
    starts_on, ends_on = data["starts_on"], data["ends_on"]
    if ends_on <= starts_on:
        refuse("ends_on", _("The policy must end after it starts."))
    else:
        other = overlapping_policy(starts_on=starts_on, ends_on=ends_on, exclude_pk=exclude_pk)
        if other is not None:
            refuse(
                "ends_on",
                _(
                    "The policy %(policy)s is in force from %(start)s to %(end)s: only one "
                    "policy can be in force on a given day. Change the period so that it "
                    "starts after the other one ends, or ends before it starts."
                )
                % {
                    "policy": other,
                    "start": other.starts_on.strftime("%d/%m/%Y"),
                    "end": other.ends_on.strftime("%d/%m/%Y"),
                },
            )
    if not CURRENCY_CODE.match(data["currency"]):
        refuse("currency", _("Give the currency as its three-letter ISO code, such as EUR."))
    wrong = [code for code in data["excluded_countries"] if not COUNTRY_CODE.match(code)]
    if wrong:
        refuse(
            "excluded_countries",
            _("Not two-letter ISO country codes: %(codes)s.") % {"codes": ", ".join(wrong)},
        )
    unknown = [
        value for value in data["excluded_categories"] if value not in Client.Category.values
    ]
    if unknown:
        refuse(
            "excluded_categories",
            _("Unknown client categories: %(values)s.") % {"values": ", ".join(unknown)},
        )
    if data["premium_model"] == InsurancePolicy.PremiumModel.FLAT and not (
        data["turnover_ceiling"] > ZERO
    ):
        refuse(
            "turnover_ceiling",
            _("A flat premium covers the turnover up to a ceiling: give the ceiling."),
        )
    if (
        data["declaration_basis"] == InsurancePolicy.DeclarationBasis.DUE_DATE
        and data["declaration_margin_days"] >= data["declaration_days"]
    ):
        # The overdue would be declared on or before its due date, when it is not one yet.
        refuse(
            "declaration_margin_days",
            _("The margin must be shorter than the days given to declare an overdue."),
        )
    if errors:
        raise ValidationError(errors)


def _clean_data(data):
    data = {name: data[name] for name in POLICY_FIELDS}
    data["number"] = data["number"].strip()
    data["currency"] = data["currency"].strip().upper()
    data["excluded_countries"] = list(
        dict.fromkeys(code.strip().upper() for code in data["excluded_countries"])
    )
    data["excluded_categories"] = list(dict.fromkeys(data["excluded_categories"]))
    return data


@transaction.atomic
def policy_create(*, tenant, actor, data):
    data = _clean_data(data)
    _lock_company(tenant)
    policy_validate(tenant=tenant, data=data)
    policy = InsurancePolicy(tenant=tenant, **data)
    policy.full_clean()
    policy.save()
    audit_record(
        tenant=tenant,
        actor=actor,
        action="insurance.policy_created",
        obj=policy,
        after=_audit_values(snapshot(policy, POLICY_FIELDS)),
    )
    return policy


@transaction.atomic
def policy_update(*, policy, actor, data):
    data = _clean_data(data)
    _lock_company(policy.tenant)
    stored = InsurancePolicy.objects.select_for_update().get(pk=policy.pk)
    policy_validate(tenant=stored.tenant, data=data, exclude_pk=stored.pk)
    before = snapshot(stored, POLICY_FIELDS)
    for name, value in data.items():
        setattr(stored, name, value)
    stored.full_clean()
    stored.save()
    old, new = _changes(before, snapshot(stored, POLICY_FIELDS))
    if new:
        audit_record(
            tenant=stored.tenant,
            actor=actor,
            action="insurance.policy_updated",
            obj=stored,
            before=old,
            after=new,
        )
    return stored
