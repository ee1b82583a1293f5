import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from psycopg import sql
from psycopg.conninfo import make_conninfo


def role_statements():
    """Create (if missing) and align the three roles; see README, "Database roles"."""
    default = settings.DATABASES["default"]
    platform = settings.DATABASES["platform"]
    roles = [
        # Owns the tables and runs migrations; CREATEDB so the test suite can make its own.
        (settings.DATABASE_OWNER_USER, settings.DATABASE_OWNER_PASSWORD, "NOBYPASSRLS CREATEDB"),
        # The application: subject to row-level security, cannot change the schema.
        (default["USER"], default["PASSWORD"], "NOBYPASSRLS NOCREATEDB"),
        # Explicit cross-tenant platform jobs.
        (platform["USER"], platform["PASSWORD"], "BYPASSRLS NOCREATEDB"),
    ]
    statements = []
    for role, password, attributes in roles:
        statements.append(
            sql.SQL(
                "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {name}) "
                "THEN CREATE ROLE {role}; END IF; END $$"
            ).format(name=sql.Literal(role), role=sql.Identifier(role))
        )
        statements.append(
            sql.SQL(
                "ALTER ROLE {role} WITH LOGIN NOSUPERUSER NOCREATEROLE {attributes} "
                "PASSWORD {password}"
            ).format(
                role=sql.Identifier(role),
                attributes=sql.SQL(attributes),
                password=sql.Literal(password),
            )
        )
    return statements


def schema_statements(owner):
    # Only the owner may create objects, whatever the server version's defaults.
    return [
        sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(owner)),
        sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"),
    ]


class Command(BaseCommand):
    help = (
        "Creates or updates the three PostgreSQL roles and the database (idempotent). "
        "Connects as a superuser through DATABASE_ADMIN_URL, or, with --sql, prints a psql "
        "script for a superuser to run (e.g. `... --sql | sudo -u postgres psql`)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--sql", action="store_true", help="Print the statements as a psql script instead."
        )

    def handle(self, **options):
        name = settings.DATABASES["default"]["NAME"]
        owner = settings.DATABASE_OWNER_USER
        if options["sql"]:
            self.print_script(name, owner)
            return
        try:
            with psycopg.connect(settings.DATABASE_ADMIN_URL, autocommit=True) as conn:
                for statement in role_statements():
                    conn.execute(statement)
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [name]
                ).fetchone()
                if not exists:
                    conn.execute(self.create_database(name, owner))
                conn.execute(self.database_owner(name, owner))
            with psycopg.connect(
                make_conninfo(settings.DATABASE_ADMIN_URL, dbname=name), autocommit=True
            ) as conn:
                for statement in schema_statements(owner):
                    conn.execute(statement)
        except psycopg.OperationalError as error:
            raise CommandError(
                f"Cannot reach PostgreSQL as a superuser through DATABASE_ADMIN_URL: {error}"
            ) from error
        self.stdout.write(f"Roles and database {name} are ready.")

    def create_database(self, name, owner):
        return sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8'").format(
            sql.Identifier(name), sql.Identifier(owner)
        )

    def database_owner(self, name, owner):
        return sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
            sql.Identifier(name), sql.Identifier(owner)
        )

    def print_script(self, name, owner):
        lines = ["\\set ON_ERROR_STOP on"]
        lines += [f"{statement.as_string()};" for statement in role_statements()]
        lines.append(
            sql.SQL(
                "SELECT {create} WHERE NOT EXISTS "
                "(SELECT FROM pg_database WHERE datname = {name}) \\gexec"
            )
            .format(
                create=sql.Literal(self.create_database(name, owner).as_string()),
                name=sql.Literal(name),
            )
            .as_string()
        )
        lines.append(f"{self.database_owner(name, owner).as_string()};")
        lines.append(f"\\connect {sql.Identifier(name).as_string()}")
        lines += [f"{statement.as_string()};" for statement in schema_statements(owner)]
        self.stdout.write("\n".join(lines))
