from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import DEFAULT_DB_ALIAS

from portage.db import as_owner


class Command(DjangoMigrate):
    help = (
        "Updates the database schema, connected as the owner of the tables "
        "(DATABASE_OWNER_USER); the application's own role may not change the schema."
    )

    def handle(self, *args, **options):
        if options["database"] != DEFAULT_DB_ALIAS:
            raise CommandError(
                "Migrations run on the 'default' database only; "
                f"'{options['database']}' is the same database under another role."
            )
        with as_owner(using=DEFAULT_DB_ALIAS):
            return super().handle(*args, **options)
