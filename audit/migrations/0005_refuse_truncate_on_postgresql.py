"""On PostgreSQL, refuse TRUNCATE of the audit table too: it fires no DELETE trigger,
so 0002's trigger alone let a TRUNCATE empty the trail.

The service's own role cannot TRUNCATE at all (it holds only INSERT and SELECT on this
table, see trackmycrime/database_roles.py); this trigger stops the owner's sessions as
well. A test run's flush between transactional tests must empty the table, so a
session of the table's owner may allow it with `SET trackmycrime.audit_truncate =
'allow'`; the owner could drop the trigger anyway, and nobody else has the privilege.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_auditevent_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE'
        AND current_setting('trackmycrime.audit_truncate', true) = 'allow'
        AND pg_has_role(
            current_user,
            (SELECT relowner FROM pg_class WHERE oid = TG_RELID),
            'USAGE'
        )
    THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit records are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_auditevent_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_auditevent_refuse_change();
"""

# Back to 0002's function, which refused UPDATE and DELETE alone.
DROP = """
DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent;
CREATE OR REPLACE FUNCTION audit_auditevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_audit_actions_for_staff_lock_outs")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
