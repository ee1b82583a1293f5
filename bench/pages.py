"""Benchmark 4: server time and query count of the heavy pages, through Django's test client
in this process (the time is the view's, templates included), for a small and a large
company, so that the query count can be seen not to grow with the data:

- the consultant's home page, for a consultant with 100, then 1,000 invoices;
- the collections worklist, for a company with about 1,000, then 10,000 overdue invoices;
- the aging balance of the same companies.

The companies are generated in bulk (`bench.world`) and their ladder run once for today
(without PDFs), so that the pages show cases and steps as in production.
"""

from bench.common import QueryCount, analyze, fresh_database, header, median, row, timer

RUNS = 5
OPEN = ["issued", "partially_paid"]
PAGES = [
    ("consultant home", "consultant", "/"),
    ("collections worklist", "collector", "/recouvrement/"),
    ("aging balance", "collector", "/recouvrement/balance-agee/"),
]


def measure(client, url):
    client.get(url)  # warm: templates compiled, caches filled
    times, counts = [], []
    for _ in range(RUNS):
        with QueryCount() as queries, timer() as elapsed:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        times.append(elapsed() * 1000)
        counts.append(queries.count)
    return median(times), max(times), counts[-1]


def main():
    from django.test import Client

    from bench import world
    from bench.batch import pdfs
    from portage.batch import paris_today, run_job_for_tenant
    from portage.models import User

    today = paris_today()
    fresh_database()
    sizes = [
        # (invoices, clients, consultants): 100 then 1,000 invoices per consultant
        (2_000, 50, 20),
        (20_000, 500, 20),
    ]
    tenants = []
    for index, (invoices, clients, consultants) in enumerate(sizes):
        tenants += world.build(
            tenants=1,
            invoices_per_tenant=invoices,
            today=today,
            clients_per_tenant=clients,
            consultants_per_tenant=consultants,
            first_index=index,
        )
    analyze()
    with pdfs(False):
        for tenant in tenants:
            run_job_for_tenant("dunning", tenant=tenant, today=today)
    analyze()
    header("page", "company", "median (ms)", "slowest (ms)", "queries", "target")
    for label, who, url in PAGES:
        for tenant, (invoices, _clients, _consultants) in zip(tenants, sizes, strict=True):
            email = {
                "consultant": f"consultant0@{tenant.slug}.example",
                "collector": f"recouvrement@{tenant.slug}.example",
            }[who]
            client = Client(HTTP_HOST="127.0.0.1")
            client.force_login(signed_up(User.objects.get(email=email)))
            typical, slowest, queries = measure(client, url)
            scope = (
                f"{count_invoices(tenant, consultant__user__email=email):,} invoices "
                "of the consultant"
                if who == "consultant"
                else f"{invoices:,} invoices, "
                f"{count_invoices(tenant, status__in=OPEN, due_date__lt=today):,} overdue"
            )
            met = "met" if slowest < 300 else "missed"
            row(label, scope, f"{typical:.0f}", f"{slowest:.0f}", queries, f"< 300 ms: {met}")


def signed_up(user):
    """A verified email, and for a collector the TOTP the product asks of them first."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"primary": True, "verified": True}
    )
    has_totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    if user.email.startswith("recouvrement@") and not has_totp:
        TOTP.activate(user, generate_totp_secret())
    return user


def count_invoices(tenant, **filters):
    from invoices.models import Invoice
    from portage.tenancy import tenant_context

    with tenant_context(tenant):
        return Invoice.objects.filter(**filters).count()
