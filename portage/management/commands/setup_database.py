import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from psycopg import sql
from psycopg.conninfo import make_conninfo


class Command(BaseCommand):
    help = (
        "Creates or updates the three PostgreSQL roles and the database (idempotent). "
        "Connects as a superuser through DATABASE_ADMIN_URL."
    )

    def handle(self, **options):
        default = settings.DATABASES["default"]
        platform = settings.DATABASES["platform"]
        owner = settings.DATABASE_OWNER_USER
        name = default["NAME"]
        roles = [
            # Owns the tables and runs migrations; CREATEDB so the test suite can make its own.
            (owner, settings.DATABASE_OWNER_PASSWORD, "NOBYPASSRLS CREATEDB"),
            # The application: subject to row-level security, cannot change the schema.
            (default["USER"], default["PASSWORD"], "NOBYPASSRLS NOCREATEDB"),
            # Explicit cross-tenant platform jobs.
            (platform["USER"], platform["PASSWORD"], "BYPASSRLS NOCREATEDB"),
        ]
        try:
            with psycopg.connect(settings.DATABASE_ADMIN_URL, autocommit=True) as conn:
                for role, password, attributes in roles:
                    exists = conn.execute(
                        "SELECT 1 FROM pg_roles WHERE rolname = %s", [role]
                    ).fetchone()
                    conn.execute(
                        sql.SQL(
                            "{verb} ROLE {role} WITH LOGIN NOSUPERUSER NOCREATEROLE "
                            "{attributes} PASSWORD {password}"
                        ).format(
                            verb=sql.SQL("ALTER" if exists else "CREATE"),
                            role=sql.Identifier(role),
                            attributes=sql.SQL(attributes),
                            password=sql.Literal(password),
                        )
                    )
                    self.stdout.write(f"Role {role}: {'updated' if exists else 'created'}")
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [name]
                ).fetchone()
                verb = (
                    "ALTER DATABASE {name} OWNER TO {owner}"
                    if exists
                    else ("CREATE DATABASE {name} OWNER {owner} ENCODING 'UTF8'")
                )
                conn.execute(
                    sql.SQL(verb).format(name=sql.Identifier(name), owner=sql.Identifier(owner))
                )
                self.stdout.write(f"Database {name}: {'exists' if exists else 'created'}")
            with psycopg.connect(
                make_conninfo(settings.DATABASE_ADMIN_URL, dbname=name), autocommit=True
            ) as conn:
                # Only the owner may create objects, whatever the server's version defaults.
                conn.execute(
                    sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(owner))
                )
                conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        except psycopg.OperationalError as error:
            raise CommandError(
                f"Cannot reach PostgreSQL as a superuser through DATABASE_ADMIN_URL: {error}"
            ) from error
