"""Factories for the core objects. Tenant-owned rows must be created inside tenant_context."""

import itertools
from datetime import date
from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from stdnum import luhn
from stdnum.fr import siren as stdnum_siren

from portage.models import Membership, Tenant, User
from portage.permissions import Role
from portage.tenancy import tenant_context

PASSWORD = "correct-horse-battery-staple"

_sirens = itertools.count(10_000_000)


def valid_siren():
    base = str(next(_sirens))
    return base + luhn.calc_check_digit(base)


def vat_for(siren):
    return "FR" + stdnum_siren.to_tva(siren)


class TenantFactory(factory.django.DjangoModelFactory):
    """A portage company with everything an invoice must print."""

    class Meta:
        model = Tenant

    slug = factory.Sequence(lambda n: f"company-{n}")
    legal_name = factory.Sequence(lambda n: f"Portage Company {n}")
    legal_form = "SAS"
    share_capital = Decimal("10000.00")
    siren = factory.LazyFunction(valid_siren)
    rcs_city = "Paris"
    vat_number = factory.LazyAttribute(lambda tenant: vat_for(tenant.siren))
    address_line1 = "1 rue de la Paix"
    postal_code = "75002"
    city = "Paris"
    iban = "FR7630006000011234567890189"
    bic = "AGRIFRPP"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Sequence(lambda n: f"Person {n}")

    @factory.post_generation
    def password(user, create, extracted, **kwargs):
        user.set_password(extracted or PASSWORD)
        if create:
            user.save()
            EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)


def totp_secret_for(user):
    """Turn on TOTP for `user`; returns the secret, from which tests compute codes."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def make_member(tenant, role, *, user=None, with_totp=None, **user_fields):
    """A user with `role` in `tenant`. Admins and collectors get TOTP unless told otherwise."""
    user = user or UserFactory(**user_fields)
    if with_totp is None:
        with_totp = role in (Role.ADMIN, Role.COLLECTOR)
    if with_totp:
        totp_secret_for(user)
    with tenant_context(tenant):
        return Membership.objects.create(tenant=tenant, user=user, role=role)


def make_consultant(tenant, *, fee_rate="10.00", **user_fields):
    """A consultant of `tenant`: a user with the consultant role and a profile."""
    from consultants.models import Consultant

    membership = make_member(tenant, Role.CONSULTANT, **user_fields)
    with tenant_context(tenant):
        return Consultant.objects.create(
            tenant=tenant,
            user=membership.user,
            fee_rate=Decimal(fee_rate),
            start_date=date(2026, 1, 1),
        )


def make_client(tenant, **fields):
    from invoices.models import Client

    siren = valid_siren()
    values = {
        "legal_name": f"Client {siren}",
        "siren": siren,
        "vat_number": vat_for(siren),
        "address_line1": "10 avenue des Champs",
        "postal_code": "69002",
        "city": "Lyon",
        "billing_emails": ["compta@client.example"],
        "payment_days": 30,
        **fields,
    }
    with tenant_context(tenant):
        return Client.objects.create(tenant=tenant, **values)


def day_line(days="10", rate="600.00", vat="20.00", description="Conseil"):
    return {
        "description": description,
        "quantity": Decimal(days),
        "unit": "DAY",
        "unit_price": Decimal(rate),
        "vat_rate": Decimal(vat),
    }


def make_invoice(tenant, *, client=None, consultant=None, lines=None, issued_on=None, by=None):
    """A draft, or an issued invoice when `issued_on` is given."""
    from invoices.services.billing import invoice_draft_create, invoice_issue

    with tenant_context(tenant):
        invoice = invoice_draft_create(
            tenant=tenant,
            client=client or make_client(tenant),
            consultant=consultant or make_consultant(tenant),
            lines=lines or [day_line()],
            by=by,
        )
        if issued_on:
            invoice = invoice_issue(invoice=invoice, by=by, issued_on=issued_on)
        return invoice
