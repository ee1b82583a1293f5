"""Benchmark 4: server time and query count of the heavy pages, through Django's test client
in this process (the time is the view's, templates included), for a small and a large
company, so that the query count can be seen not to grow with the data:

- the consultant's home page, for a consultant with 100, then 1,000 invoices;
- the collections worklist, for a company with about 1,000, then 10,000 overdue invoices;
- the aging balance of the same companies.

Then every page of the navigation menu of the administrator, the collector and the
consultant, and one page of each kind those pages link to (an invoice, a client's timeline,
a case, ...: the links of each menu page's content, one per URL shape, as the phone-width
browser test walks them), in both companies: the median and slowest time in the large one,
and the queries in the small and the large one, which must be the same.

The companies are generated in bulk (`bench.world`) and their ladder run once for today
(without PDFs), so that the pages show cases and steps as in production.
"""

import re

from bench.common import (
    QueryCount,
    analyze,
    fresh_database,
    header,
    load_average,
    median,
    row,
    timer,
)

RUNS = 5
OPEN = ["issued", "partially_paid"]
PAGES = [
    ("consultant home", "consultant", "/"),
    ("collections worklist", "collector", "/recouvrement/"),
    ("aging balance", "collector", "/recouvrement/balance-agee/"),
]


ROLES = [
    ("administrator", "admin@{slug}.example"),
    ("collector", "recouvrement@{slug}.example"),
    ("consultant", "consultant0@{slug}.example"),
]
# Links that download a file or leave the pages (as the phone-width browser test skips).
NOT_A_PAGE = re.compile(
    r"(pdf|csv|export|download|xml|zip|fec|/admin/|/api/|/media/|/accounts/|/mfa/|/i18n/)", re.I
)


def measure(client, url, *, status=200):
    client.get(url)  # warm: templates compiled, caches filled
    times, counts = [], []
    for _ in range(RUNS):
        with QueryCount() as queries, timer() as elapsed:
            response = client.get(url)
        assert response.status_code == status, (url, response.status_code)
        times.append(elapsed() * 1000)
        counts.append(queries.count)
    return median(times), max(times), counts[-1]


def shape(url):
    """One page of each kind: /factures/7/ and /factures/9/ are the same page."""
    path, _, query = url.partition("?")
    keys = sorted(part.partition("=")[0] for part in query.split("&") if part)
    return re.sub(r"\d+", "N", path), tuple(keys)


def hrefs(html, xpath):
    import lxml.html

    return [link.split("#")[0] for link in lxml.html.fromstring(html).xpath(xpath)]


def pages_of_the_menu(client):
    """{shape: url}: the menu's pages, then one page of each kind their content links to."""
    menu = hrefs(client.get("/").content, "//nav[@id='sidenav']//a/@href")
    pages = {}
    for url in menu:
        pages.setdefault(shape(url), url)
    for url in menu:
        response = client.get(url)
        if response.status_code != 200:
            continue
        for link in hrefs(response.content, "//main//a/@href"):
            if link.startswith("/") and not NOT_A_PAGE.search(link):
                pages.setdefault(shape(link), link)
    return menu, pages


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
    print(load_average(), flush=True)
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
    print()
    every_page(tenants, sizes)


def every_page(tenants, sizes):
    """Every page of each role's menu and one page of each kind they link to."""
    from django.test import Client

    from portage.models import User

    small, large = tenants
    header(
        "role",
        "page",
        f"median (ms), {sizes[1][0]:,} invoices",
        "slowest (ms)",
        f"queries, {sizes[0][0]:,} invoices",
        f"queries, {sizes[1][0]:,} invoices",
        "target < 300 ms, constant queries",
    )
    missed = []
    for role, email in ROLES:
        clients = {}
        for tenant in tenants:
            client = Client(HTTP_HOST="127.0.0.1")
            client.force_login(signed_up(User.objects.get(email=email.format(slug=tenant.slug))))
            clients[tenant.pk] = client
        menu, large_pages = pages_of_the_menu(clients[large.pk])
        _menu, small_pages = pages_of_the_menu(clients[small.pk])
        for kind, url in large_pages.items():
            typical, slowest, queries = measure(clients[large.pk], url)
            small_url = small_pages.get(kind)
            few = measure(clients[small.pk], small_url)[2] if small_url else None
            verdict = "met"
            if slowest >= 300 or (few is not None and few != queries):
                verdict = "missed"
                missed.append((role, kind[0]))
            row(
                role,
                f"{'menu ' if url in menu else ''}`{kind[0]}`"
                + (f" ?{'&'.join(kind[1])}" if kind[1] else ""),
                f"{typical:.0f}",
                f"{slowest:.0f}",
                "—" if few is None else few,
                queries,
                verdict,
            )
    print(f"\npages missing a target: {len(missed)}; {load_average()}", flush=True)


def signed_up(user):
    """A verified email, and for a collector the TOTP the product asks of them first."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"primary": True, "verified": True}
    )
    has_totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    if user.email.startswith(("recouvrement@", "admin@")) and not has_totp:
        TOTP.activate(user, generate_totp_secret())
    return user


def count_invoices(tenant, **filters):
    from invoices.models import Invoice
    from portage.tenancy import tenant_context

    with tenant_context(tenant):
        return Invoice.objects.filter(**filters).count()
