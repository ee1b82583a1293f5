"""Benchmark 2: formal notices and invoices rendered per second, in one process (one core),
against WeasyPrint rendering a one-line HTML page in the same process: the fixed cost of a
page. Each document is rendered as the product renders it (`render_letter_pdf`,
`render_invoice_pdf`, Factur-X included), from a small generated company."""

import io
from datetime import date, timedelta

from bench.common import fresh_database, header, row, timer

ONE_LINE = "<html><body><p>Portage</p></body></html>"


def pages_of(content):
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(content)).pages)


def rate(render, seconds):
    """Renders for about `seconds`; returns (documents per second, pages per document)."""
    render()  # the first one loads fonts and templates
    count = 0
    pages = 0
    with timer() as elapsed:
        while elapsed() < seconds:
            pages += pages_of(render())
            count += 1
    return count / elapsed(), pages / count


def main(*, seconds=10):
    from weasyprint import HTML

    from bench import world
    from dunning.models import Letter
    from dunning.services.letters import claim_lines, letter_totals, render_letter_pdf
    from invoices.models import Invoice
    from invoices.pdf import render_invoice_pdf
    from portage.tenancy import tenant_context

    today = date.fromisoformat("2026-03-02")
    fresh_database()
    (tenant,) = world.build(tenants=1, invoices_per_tenant=200, today=today, clients_per_tenant=5)
    with tenant_context(tenant):
        from dunning.services.defaults import tenant_defaults_ensure

        tenant_defaults_ensure(tenant)
        invoice = (
            Invoice.objects.select_related("tenant", "consultant__user", "mission")
            .filter(due_date__lt=today - timedelta(days=30))
            .first()
        )
        overdue = list(
            Invoice.objects.filter(client=invoice.client, due_date__lt=today).order_by("due_date")[
                :3
            ]
        )
        lines = claim_lines(overdue, today)
        letter = Letter(
            tenant=tenant,
            client=invoice.client,
            letter_date=today,
            deadline=today + timedelta(days=8),
            lines=lines,
            **letter_totals(lines),
        )
        floor, floor_pages = rate(lambda: HTML(string=ONE_LINE).write_pdf(), seconds)
        letters, letter_pages = rate(lambda: render_letter_pdf(letter), seconds)
        invoices, invoice_pages = rate(lambda: render_invoice_pdf(invoice), seconds)
    header("document", "per second (1 core)", "pages", "ms per page", "ratio to the floor")
    floor_ms = 1000 / floor / floor_pages
    for label, per_second, pages in (
        ("one-line HTML page (floor)", floor, floor_pages),
        (f"formal notice ({len(overdue)} invoices)", letters, letter_pages),
        ("invoice (Factur-X, PDF/A-3)", invoices, invoice_pages),
    ):
        per_page = 1000 / per_second / pages
        row(
            label,
            f"{per_second:.1f}",
            f"{pages:.0f}",
            f"{per_page:.0f}",
            f"{per_page / floor_ms:.1f}×",
        )
