"""Every message says who sent it, unless the victim chose discreet messages: then a
code or an update names neither this service nor the police."""

import pytest

from audit.models import AuditEvent
from tests.factories import CaseFactory, VictimFactory
from tests.portal import outbox_messages, request_code, sign_in
from victims.constants import EnhancedRightsReason
from victims.membership import case_add_victim
from victims.models import Victim

pytestmark = pytest.mark.usefixtures("portal")

REFERENCE = "NS/00001/26"
EMAIL = "victim@example.com"


def _code_message(client, callbacks, portal) -> dict:
    request_code(client, callbacks, REFERENCE, EMAIL)
    [message] = outbox_messages(portal)
    return message


def test_a_code_says_which_force_sent_it(
    client, django_capture_on_commit_callbacks, portal, victim_on_case, force
):
    message = _code_message(client, django_capture_on_commit_callbacks, portal)
    assert force.name in message["body"]
    assert "Track My Crime" not in message["subject"] + message["body"]


def test_a_discreet_code_names_neither_the_service_nor_the_force(
    client, django_capture_on_commit_callbacks, portal, victim_on_case, force
):
    Victim.objects.filter(pk=victim_on_case.victim_id).update(discreet_messages=True)
    message = _code_message(client, django_capture_on_commit_callbacks, portal)
    text = message["subject"] + message["body"]
    assert text.startswith("Your code") and "Your code is " in message["body"]
    for name in ("Track My Crime", force.name, "police", "security code"):
        assert name.lower() not in text.lower()


@pytest.mark.parametrize(
    ("offence", "discreet"),
    [("domestic_abuse", True), ("harassment", True), ("burglary", False)],
)
def test_victims_with_enhanced_rights_get_discreet_messages_by_default_after_abuse(
    force, officer, offence, discreet
):
    case = CaseFactory(force=force, offence_category=offence)
    victim = VictimFactory(
        force=force,
        enhanced_rights=True,
        enhanced_rights_reason=EnhancedRightsReason.SERIOUS_CRIME,
    )
    case_add_victim(case=case, victim=victim, actor=officer)
    victim.refresh_from_db()
    assert victim.discreet_messages is discreet


def test_a_victim_can_choose_discreet_messages_but_not_turn_them_off_online(
    client, django_capture_on_commit_callbacks, portal, victim_on_case
):
    sign_in(client, django_capture_on_commit_callbacks, portal, REFERENCE, EMAIL)
    page = client.get("/contact-preferences/").content.decode()
    assert "harder to recognise as genuine" in page
    response = client.post("/contact-preferences/")
    assert response.status_code == 303
    victim = Victim.objects.get(pk=victim_on_case.victim_id)
    assert victim.discreet_messages
    change = AuditEvent.objects.get(object_type="victim", action="change")
    assert (change.actor_kind, change.changed_fields) == (
        "victim",
        ["discreet_messages"],
    )
    # Once on, the page offers no way back: only staff turn it off.
    page = client.get("/contact-preferences/").content.decode()
    assert "Send me discreet messages" not in page
    client.post("/contact-preferences/")
    assert Victim.objects.get(pk=victim.pk).discreet_messages


def test_someone_signed_out_cannot_choose_for_a_victim(client, victim_on_case):
    response = client.post("/contact-preferences/")
    assert response.status_code == 302
    assert not Victim.objects.get(pk=victim_on_case.victim_id).discreet_messages
