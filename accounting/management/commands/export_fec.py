from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounting.fec import fec_export
from portage.batch import parse_day
from portage.models import Tenant
from portage.tenancy import tenant_context


class Command(BaseCommand):
    help = (
        "Writes a company's FEC (fichier des écritures comptables) for a period, named "
        "<SIREN>FEC<closing date>.txt."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="Slug of the portage company.")
        parser.add_argument("--from", dest="date_from", required=True, type=parse_day)
        parser.add_argument(
            "--to", dest="date_to", required=True, type=parse_day, help="Closing date."
        )
        parser.add_argument(
            "--output",
            default=".",
            help="Directory to write the file into (default: here; created when the name ends "
            "with /), or a file name.",
        )

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No portage company with slug {options['tenant']!r}")
        try:
            with tenant_context(tenant):
                name, content = fec_export(
                    tenant=tenant, date_from=options["date_from"], date_to=options["date_to"]
                )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        target = Path(options["output"])
        if options["output"].endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
        if target.is_dir():
            target = target / name
        target.write_bytes(content)
        lines = content.count(b"\r\n") - 1  # the header is not an entry line
        self.stdout.write(f"{tenant.slug}: {target} ({lines} lines)")
