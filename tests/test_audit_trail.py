import pytest
from django.db import DatabaseError, connection, transaction

from audit.constants import AuditAction
from audit.models import AuditEvent, AuditEventImmutable
from cases.services import case_change_stage
from tests.factories import VictimFactory, verified_staff_client
from victims.services import victim_update


@pytest.fixture
def event(case, officer):
    case_change_stage(case=case, stage="under_investigation", actor=officer)
    return AuditEvent.objects.filter(case_id=case.pk).first()


def test_a_staff_view_of_a_case_page_is_recorded(officer_client, officer, case):
    officer_client.get(f"/admin/cases/case/{case.pk}/change/")
    view = AuditEvent.objects.get(action=AuditAction.VIEW, case_id=case.pk)
    assert view.actor_kind == "staff"
    assert view.actor_id == str(officer.pk)
    assert view.occurred_at.utcoffset().total_seconds() == 0


def test_a_victim_change_records_field_names_never_values(officer, force):
    victim = VictimFactory(force=force, email="old@example.com")
    victim_update(
        victim=victim,
        actor=officer,
        changes={"email": "new.secret@example.com", "portal_access_allowed": False},
    )
    change = AuditEvent.objects.get(object_type="victim", action=AuditAction.CHANGE)
    assert change.changed_fields == ["email", "portal_access_allowed"]
    row = AuditEvent.objects.filter(pk=change.pk).values().get()
    assert "new.secret" not in str(row)


def test_the_model_refuses_to_change_an_audit_row(event):
    event.action = AuditAction.VIEW
    with pytest.raises(AuditEventImmutable):
        event.save()


def test_the_model_refuses_to_delete_an_audit_row(event):
    with pytest.raises(AuditEventImmutable):
        event.delete()


def test_bulk_update_and_delete_are_refused(event):
    with pytest.raises(AuditEventImmutable):
        AuditEvent.objects.filter(pk=event.pk).update(action="view")
    with pytest.raises(AuditEventImmutable):
        AuditEvent.objects.all().delete()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET actor_label = 'someone else'",
        "DELETE FROM audit_auditevent",
    ],
)
@pytest.mark.postgres
def test_postgresql_refuses_raw_update_and_delete(event, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert AuditEvent.objects.filter(pk=event.pk, actor_label="officer").exists()


def test_supervisors_can_read_the_trail(client, supervisor, event):
    verified_staff_client(client, supervisor)
    response = client.get("/admin/audit/auditevent/")
    assert response.status_code == 200
    assert event in response.context["cl"].result_list


def test_supervisors_can_filter_the_trail_by_action(client, supervisor, event):
    verified_staff_client(client, supervisor)
    response = client.get("/admin/audit/auditevent/", {"action": "view"})
    assert event not in response.context["cl"].result_list


def test_officers_cannot_read_the_trail(officer_client, event):
    assert officer_client.get("/admin/audit/auditevent/").status_code == 403


def test_nobody_can_change_or_delete_through_the_admin(client, supervisor, event):
    verified_staff_client(client, supervisor)
    url = f"/admin/audit/auditevent/{event.pk}"
    response = client.post(f"{url}/change/", {"actor_label": "x"})
    assert response.status_code in (200, 403)
    assert client.post(f"{url}/delete/", {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.actor_label == "officer"


def test_another_forces_supervisor_sees_none_of_it(client, other_force, event):
    from accounts.constants import StaffGroup
    from tests.factories import StaffFactory

    outsider = StaffFactory(force=other_force, group=StaffGroup.SUPERVISOR)
    verified_staff_client(client, outsider)
    response = client.get("/admin/audit/auditevent/")
    # Only the outsider's own sign-in, in their own force.
    assert [
        (row.action, row.actor_id) for row in response.context["cl"].result_list
    ] == [("sign_in", str(outsider.pk))]
