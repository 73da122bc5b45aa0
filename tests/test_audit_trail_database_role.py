"""The service's own database role cannot rewrite or remove the audit trail.

The test run connects as the owner role (it creates the test database and runs the
migrations); each test here acts as the service's role (DATABASE_SERVICE_ROLE) with
SET ROLE, so every privilege and ownership check is made against that role, as for
the web processes and workers in production.
"""

from contextlib import contextmanager

import psycopg
import pytest
from django.conf import settings
from django.db import connection, transaction

from audit.constants import AuditAction, ObjectType
from audit.models import AuditEvent
from audit.services import audit_record
from cases.models import Case
from tests.factories import CaseFactory
from trackmycrime.testing import skip_or_fail

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def service_role():
    role = settings.DATABASE_SERVICE_ROLE
    if not role:
        skip_or_fail(
            "this test needs the service's role: set DATABASE_SERVICE_ROLE (README.md, "
            "Database roles)"
        )
    return role


@contextmanager
def acting_as(role: str):
    with connection.cursor() as cursor:
        try:
            with transaction.atomic():
                cursor.execute(f'SET ROLE "{role}"')
        except psycopg.errors.InsufficientPrivilege:
            pytest.fail(
                f"the test run's role cannot SET ROLE {role}: GRANT {role} TO it "
                "(README.md, Database roles)"
            )
        try:
            yield cursor
        finally:
            cursor.execute("RESET ROLE")


def refused(cursor, statement: str) -> str:
    """Run `statement` in a savepoint and return PostgreSQL's refusal."""
    try:
        with transaction.atomic():
            cursor.execute(statement)
    except psycopg.errors.InsufficientPrivilege as error:
        return str(error)
    except Exception as error:  # noqa: BLE001 - report which error it was
        cause = error.__cause__ or error
        if isinstance(cause, psycopg.errors.InsufficientPrivilege):
            return str(cause)
        raise
    pytest.fail(f"{statement!r} was allowed")


@pytest.fixture
def trail():
    return audit_record(
        actor=None,
        action=AuditAction.CREATE,
        object_type=ObjectType.CASE,
        object_id="1",
    )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET actor_label = 'someone else'",
        "DELETE FROM audit_auditevent",
        "TRUNCATE audit_auditevent",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only",
        "DROP TABLE audit_auditevent",
        "DROP TRIGGER audit_auditevent_append_only ON audit_auditevent",
        "ALTER TABLE audit_auditevent OWNER TO CURRENT_USER",
    ],
)
def test_the_service_role_cannot_change_or_remove_the_trail(
    service_role, trail, statement
):
    with acting_as(service_role) as cursor:
        refusal = refused(cursor, statement)
    assert "permission denied" in refusal or "must be owner" in refusal
    assert AuditEvent.objects.filter(pk=trail.pk, actor_label=trail.actor_label)


def test_the_service_role_adds_to_the_trail_and_reads_it(service_role, trail):
    with acting_as(service_role):
        added = audit_record(
            actor=None, action=AuditAction.VIEW, object_type=ObjectType.CASE
        )
        assert set(AuditEvent.objects.values_list("pk", flat=True)) == {
            trail.pk,
            added.pk,
        }


def test_the_service_role_still_does_everything_else_the_service_does(service_role):
    with acting_as(service_role):
        case = CaseFactory()
        Case.objects.filter(pk=case.pk).update(victim_description="Changed")
        case.refresh_from_db()
        assert case.victim_description == "Changed"
        case.delete()
        assert not Case.objects.filter(pk=case.pk).exists()


def test_truncate_is_refused_even_for_the_owner(trail):
    """The trigger beside the UPDATE and DELETE one: TRUNCATE fires neither."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL trackmycrime.audit_truncate = ''")
        assert "TRUNCATE refused" in refused(cursor, "TRUNCATE audit_auditevent")
        assert "UPDATE refused" in refused(
            cursor, "UPDATE audit_auditevent SET actor_label = 'x'"
        )
        assert "DELETE refused" in refused(cursor, "DELETE FROM audit_auditevent")
    assert AuditEvent.objects.filter(pk=trail.pk).exists()


def test_a_service_role_that_does_not_exist_is_named_rather_than_granted_to():
    from django.core.exceptions import ImproperlyConfigured

    from audit.roles import service_role_grant

    with pytest.raises(ImproperlyConfigured, match="trackmycrime_nobody"):
        service_role_grant(using="default", role="trackmycrime_nobody")
