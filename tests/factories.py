"""Factories for the core objects. Tenant-owned rows must be created inside tenant_context."""

import itertools

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from stdnum import luhn

from portage.models import Membership, Tenant, User
from portage.permissions import Role
from portage.tenancy import tenant_context

PASSWORD = "correct-horse-battery-staple"

_sirens = itertools.count(10_000_000)


def valid_siren():
    base = str(next(_sirens))
    return base + luhn.calc_check_digit(base)


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    slug = factory.Sequence(lambda n: f"company-{n}")
    legal_name = factory.Sequence(lambda n: f"Portage Company {n}")
    siren = factory.LazyFunction(valid_siren)


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
