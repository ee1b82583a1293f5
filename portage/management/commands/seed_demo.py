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
        parser.add_argument(
            "--replay-days",
            type=int,
            default=205,
            help="Days of collections to replay, up to today (default: 205; 0: none).",
        )

    def handle(self, *args, **options):
        from dunning import demo as dunning_demo
        from einvoicing import demo as einvoicing_demo
        from insurance import demo as insurance_demo
        from invoices import demo as billing_demo
        from portage.batch import paris_today
        from portage.models import Tenant

        today = paris_today()
        with transaction.atomic():
            credentials = demo.seed(password=options["password"])
            tenants = list(Tenant.objects.filter(slug__in=[t["slug"] for t in demo.TENANTS]))
            for tenant in tenants:
                einvoicing_demo.account_ensure(tenant=tenant)
                billing_demo.seed(tenant=tenant, today=today, password=options["password"])
                insurance_demo.seed(tenant=tenant, today=today)
                einvoicing_demo.seed(tenant=tenant, today=today)
        # The collections ladder, replayed day by day (each day commits, as in production).
        for tenant in tenants if options["replay_days"] > 0 else []:
            if dunning_demo.seed(
                tenant=tenant,
                today=today,
                days=options["replay_days"],
                jobs=("dunning", "insurance"),
            ):
                insurance_demo.claims_in_several_states(tenant=tenant, today=today)
                self.stdout.write(
                    _(
                        "%(company)s: collections and credit insurance replayed over the "
                        "last %(days)s days."
                    )
                    % {"company": tenant.legal_name, "days": options["replay_days"]}
                )
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
