"""Demo data: two portage companies with one user per role each (see `manage.py seed_demo`).

Idempotent: running it again resets the demo users' passwords and adds what is missing.
"""

from dataclasses import dataclass
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.utils.translation import gettext as _

from portage.models import Membership, Tenant, User
from portage.permissions import Role
from portage.services import audit_record
from portage.tenancy import tenant_context

DEMO_ACTOR = "Jeu de démonstration"

TENANTS = [
    {
        "slug": "horizon",
        "legal_name": "Horizon Portage SAS",
        "legal_form": "SAS",
        "share_capital": Decimal("50000.00"),
        "siren": "812345676",
        "rcs_city": "Paris",
        "vat_number": "FR19812345676",
        "address_line1": "12 rue de la Paix",
        "postal_code": "75002",
        "city": "Paris",
        "iban": "FR7630006000011234567890189",
        "bic": "AGRIFRPP",
    },
    {
        "slug": "alpine",
        "legal_name": "Alpine Portage SARL",
        "legal_form": "SARL",
        "share_capital": Decimal("7500.00"),
        "siren": "908765431",
        "rcs_city": "Grenoble",
        "vat_number": "FR46908765431",
        "address_line1": "4 place Grenette",
        "postal_code": "38000",
        "city": "Grenoble",
        "iban": "FR1420041010050500013M02606",
        "bic": "PSSTFRPP",
    },
]

ROLE_USERS = [
    (Role.ADMIN, "admin", "Adèle Martin"),
    (Role.COLLECTOR, "recouvrement", "Bruno Lefèvre"),
    (Role.CONSULTANT, "consultant", "Camille Durand"),
    (Role.ACCOUNTANT, "comptable", "David Moreau"),
]

OPERATOR_EMAIL = "operateur@portage.example"


@dataclass
class Credential:
    email: str
    password: str
    where: str
    role: str


def _user(email, full_name, password, **flags):
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email)
    user.full_name = full_name
    user.is_active = True
    for name, value in flags.items():
        setattr(user, name, value)
    user.set_password(password)
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def _member(tenant, user, role):
    membership = Membership.objects.filter(tenant=tenant, user=user).first()
    if membership is None:
        membership = Membership.objects.create(tenant=tenant, user=user, role=role)
        audit_record(
            tenant=tenant,
            actor=None,
            actor_label=DEMO_ACTOR,
            action="membership.created",
            obj=membership,
            after={"email": user.email, "role": role},
        )
    return membership


def seed(*, password):
    """Create or refresh the demo companies and users; return their credentials."""
    credentials = [
        Credential(OPERATOR_EMAIL, password, _("Django admin (/admin/)"), _("platform operator"))
    ]
    _user(OPERATOR_EMAIL, "Olivia Opérateur", password, is_staff=True, is_superuser=True)
    tenants = []
    for identity in TENANTS:
        tenant, created = Tenant.objects.update_or_create(slug=identity["slug"], defaults=identity)
        tenants.append(tenant)
        with tenant_context(tenant):
            if created:
                audit_record(
                    tenant=tenant,
                    actor=None,
                    actor_label=DEMO_ACTOR,
                    action="tenant.created",
                    obj=tenant,
                    after={"slug": tenant.slug, "legal_name": tenant.legal_name},
                )
            for role, local_part, full_name in ROLE_USERS:
                email = f"{local_part}@{tenant.slug}.example"
                user = _user(email, full_name, password)
                _member(tenant, user, role)
                credentials.append(Credential(email, password, tenant.legal_name, role.label))
    # An accounting firm working for both companies: the company switcher in action.
    shared = _user("cabinet@expertise.example", "Eva Roux", password)
    for tenant in tenants:
        with tenant_context(tenant):
            _member(tenant, shared, Role.ACCOUNTANT)
    credentials.append(
        Credential(
            shared.email, password, " + ".join(t.legal_name for t in tenants), Role.ACCOUNTANT.label
        )
    )
    return credentials
