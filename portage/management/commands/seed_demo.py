import os

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _

from portage import demo


class Command(BaseCommand):
    help = "Creates or refreshes the demo companies and users, and prints their sign-in."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=os.environ.get("DEMO_PASSWORD", "portage-demo-2026"),
            help="Password of every demo user (default: $DEMO_PASSWORD or portage-demo-2026).",
        )

    def handle(self, *args, **options):
        from invoices import demo as billing_demo
        from portage.batch import paris_today
        from portage.models import Tenant

        with transaction.atomic():
            credentials = demo.seed(password=options["password"])
            for tenant in Tenant.objects.filter(slug__in=[t["slug"] for t in demo.TENANTS]):
                billing_demo.seed(tenant=tenant, today=paris_today(), password=options["password"])
        width = max(len(c.email) for c in credentials)
        self.stdout.write(_("Demo users (sign in at /accounts/login/):"))
        for c in credentials:
            self.stdout.write(f"  {c.email:<{width}}  {c.password}  {c.role} · {c.where}")
        self.stdout.write(
            _(
                "Administrators, collectors and the operator set up two-factor sign-in "
                "(TOTP) at their first sign-in."
            )
        )
