"""A victim pushed by a force's records system is matched on the system's own id."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from audit.models import AuditEvent
from tests.factories import VictimFactory
from victims.models import Victim
from victims.services import victim_update, victim_upsert


def _push(force, actor=None, **fields):
    return victim_upsert(
        force=force,
        external_reference="P-123",
        actor=actor,
        fields={"full_name": "Aisha Khan", "email": "aisha@example.com", **fields},
    )


def test_the_first_push_creates_the_victim(force):
    victim, created = _push(force, mobile="+447400123456")
    assert created
    assert victim.external_reference == "P-123"
    assert victim.force == force


def test_the_same_push_again_changes_and_audits_nothing(force):
    _push(force, mobile="+447400123456")
    before = AuditEvent.objects.count()
    victim, created = _push(force, mobile="+447400123456")
    assert not created
    assert Victim.objects.count() == 1
    assert AuditEvent.objects.count() == before


def test_a_changed_push_updates_the_same_victim(force):
    first, _ = _push(force, mobile="+447400123456")
    second, created = _push(force, email="new@example.com", mobile="+447400123456")
    assert not created
    assert second.pk == first.pk
    first.refresh_from_db()
    assert first.email == "new@example.com"


def test_the_same_reference_in_another_force_is_another_victim(force, other_force):
    mine, _ = _push(force, mobile="+447400123456")
    theirs, created = _push(other_force, mobile="+447400123456")
    assert created
    assert theirs.pk != mine.pk


def test_the_reference_is_required_and_never_changed(force):
    with pytest.raises(ValidationError) as blank:
        victim_upsert(force=force, external_reference=" ", actor=None, fields={})
    assert "external_reference" in blank.value.message_dict
    with pytest.raises(ValidationError) as rekey:
        _push(force, external_reference="P-999")
    assert "external_reference" in rekey.value.message_dict


def test_the_database_refuses_two_victims_with_one_reference_in_a_force(force):
    VictimFactory(force=force, external_reference="P-1")
    VictimFactory(force=force, external_reference="")
    VictimFactory(force=force, external_reference="")
    with pytest.raises(IntegrityError):
        VictimFactory(force=force, external_reference="P-1")


def test_a_push_can_turn_portal_access_off_but_never_back_on(force):
    victim, _ = _push(force, mobile="+447400123456", portal_access_allowed=True)
    _push(force, mobile="+447400123456", portal_access_allowed=False)
    victim.refresh_from_db()
    assert victim.portal_access_allowed is False
    _push(force, mobile="+447400123456", portal_access_allowed=True)
    victim.refresh_from_db()
    assert victim.portal_access_allowed is False


def test_a_push_does_not_move_a_victim_out_of_no_contact(force, officer):
    victim, _ = _push(force, mobile="+447400123456")
    victim_update(victim=victim, actor=officer, changes={"contact_preference": "none"})
    before = AuditEvent.objects.count()
    _push(force, mobile="+447400123456", contact_preference="email_and_sms")
    victim.refresh_from_db()
    assert victim.contact_preference == "none"
    assert AuditEvent.objects.count() == before


def test_a_new_victim_gets_what_is_pushed(force):
    victim, _ = _push(force, contact_preference="none", portal_access_allowed=False)
    assert (victim.contact_preference, victim.portal_access_allowed) == ("none", False)
