"""The service's database role: everything the service does, and no way to rewrite
the audit trail.

Migrations run as an owner role, which owns every table. The web processes and
workers connect as the service role (settings.DATABASE_SERVICE_ROLE), which may read
and write every table but the audit table, where it may only INSERT and SELECT. Only
an owner may ALTER, DROP or disable a trigger, and the service holds no TRUNCATE
anywhere, so the service cannot empty or rewrite the trail even with a raw query.

Grants depend on how the service is deployed rather than on the schema's history, so
they are made after every `migrate` (audit/apps.py), not in one migration: a role
added later, or a table a later migration creates, is covered by the next `migrate`.
Default privileges cover tables the owner creates in between.
"""

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from psycopg import sql

GRANTS = (
    "GRANT USAGE ON SCHEMA public TO {role}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public"
    " GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public"
    " GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    # The audit trail: add and read, nothing else, for the service and for anyone.
    "REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {audit} FROM {role}",
    "REVOKE ALL ON {audit} FROM PUBLIC",
)


def service_role_grant(*, using: str, role: str) -> None:
    """Give `role` the service's privileges on the database `using` points to,
    refusing UPDATE, DELETE and TRUNCATE of the audit table."""
    from audit.models import AuditEvent

    connection = connections[using]
    if connection.vendor != "postgresql" or not role:
        return
    names = {
        "role": sql.Identifier(role),
        "audit": sql.Identifier(AuditEvent._meta.db_table),
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            raise ImproperlyConfigured(
                f"DATABASE_SERVICE_ROLE is {role!r}, but the database has no such "
                "role: create it first (see README.md, Database roles)."
            )
        for grant in GRANTS:
            statement = sql.SQL(grant).format(**names)
            cursor.execute(statement.as_string(cursor.connection))
