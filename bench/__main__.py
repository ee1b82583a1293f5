"""`python -m bench NAME [options]`: run one benchmark (see docs/benchmarks.md)."""

import argparse

from bench.common import setup


def sizes(text):
    return [int(size.replace("_", "")) for size in text.split(",")]


def main():
    parser = argparse.ArgumentParser(prog="python -m bench")
    commands = parser.add_subparsers(dest="name", required=True)
    batch = commands.add_parser("batch", help="one day of dunning + insurance")
    batch.add_argument("--sizes", type=sizes, default=[20_000, 50_000])
    batch.add_argument("--tenants", type=int, default=20)
    batch.add_argument("--no-pdf", action="store_true", help="formal notices without PDF")
    pdf = commands.add_parser("pdf", help="formal notices and invoices per second")
    pdf.add_argument("--seconds", type=float, default=10)
    api = commands.add_parser("api", help="API latency under gunicorn")
    api.add_argument("--requests", type=int, default=400)
    api.add_argument("--concurrency", type=int, default=4)
    commands.add_parser("pages", help="server time and queries of the heavy pages")
    day = commands.add_parser("day", help="days of the beat's batch through Celery workers")
    day.add_argument("--tenants", type=int, default=1, help="companies (default 1)")
    day.add_argument(
        "--open", type=int, default=10_000, help="open invoices per company (default 10000)"
    )
    day.add_argument(
        "--days", type=int, default=60, help="days lived, the first catching up (default 60)"
    )
    day.add_argument("--workers", type=int, default=2, help="Celery worker processes (default 2)")
    day.add_argument("--no-pdf", action="store_true", help="formal notices without PDF")
    options = parser.parse_args()
    setup()
    if options.name == "batch":
        from bench import batch as module

        module.main(options.sizes, tenants=options.tenants, with_pdfs=not options.no_pdf)
    elif options.name == "pdf":
        from bench import pdf as module

        module.main(seconds=options.seconds)
    elif options.name == "api":
        from bench import api as module

        module.main(requests=options.requests, concurrency=options.concurrency)
    elif options.name == "day":
        from bench import day as module

        module.main(
            tenants=options.tenants,
            open_per_tenant=options.open,
            days=options.days,
            workers=options.workers,
            with_pdfs=not options.no_pdf,
        )
    else:
        from bench import pages as module

        module.main()


if __name__ == "__main__":
    main()
