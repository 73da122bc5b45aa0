"""API clients: created by a command that prints the token once, only a hash kept,
revocable, their last use recorded."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from accounts.models import ApiClient
from accounts.selectors import api_client_for_token
from accounts.services import api_client_create, api_client_revoke, api_client_touch
from audit.constants import AuditAction
from audit.models import AuditEvent
from tests.factories import StaffFactory, verified_staff_client


def _token_from(printed: str) -> str:
    line = next(line for line in printed.splitlines() if line.startswith("Token:"))
    return line.split()[-1]


def test_the_command_prints_a_token_that_is_never_stored(force):
    out = StringIO()
    call_command("create_api_client", "Niche RMS", "--force", "ns", stdout=out)
    token = _token_from(out.getvalue())
    client = ApiClient.objects.get()
    assert client.force == force
    assert client.name == "Niche RMS"
    assert token.startswith(f"tmc_{client.key_prefix}_")
    row = ApiClient.objects.filter(pk=client.pk).values().get()
    secret = token.removeprefix(f"tmc_{client.key_prefix}_")
    assert secret not in str(row)
    assert token not in str(list(AuditEvent.objects.values()))
    assert api_client_for_token(token) == client


def test_the_command_needs_a_known_force(db):
    with pytest.raises(CommandError, match="no force"):
        call_command("create_api_client", "RMS", "--force", "nope", stdout=StringIO())


def test_two_clients_get_different_tokens(force):
    _, first = api_client_create(force=force, name="A", actor=None)
    _, second = api_client_create(force=force, name="B", actor=None)
    assert first != second


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: token.replace("tmc_", "xyz_"),
        lambda token: token + "A",
        lambda token: "",
        lambda token: "tmc_\x00_" + "A" * 43,
    ],
)
def test_a_wrong_or_malformed_token_finds_no_client(force, mangle):
    _, token = api_client_create(force=force, name="RMS", actor=None)
    assert api_client_for_token(mangle(token)) is None


def test_a_revoked_client_is_no_longer_found_and_the_revocation_is_audited(
    force, officer
):
    client, token = api_client_create(force=force, name="RMS", actor=None)
    assert api_client_revoke(client=client, actor=officer)
    assert api_client_for_token(token) is None
    assert not api_client_revoke(client=client, actor=officer)
    revocation = AuditEvent.objects.get(
        object_type="api_client", action=AuditAction.CHANGE
    )
    assert revocation.actor_label == officer.username
    assert revocation.changed_fields == ["revoked_at"]


def test_the_revoke_command_revokes_by_client_id(force):
    client, token = api_client_create(force=force, name="RMS", actor=None)
    out = StringIO()
    call_command("revoke_api_client", client.key_prefix, stdout=out)
    assert "Revoked" in out.getvalue()
    assert api_client_for_token(token) is None
    with pytest.raises(CommandError, match="no API client"):
        call_command("revoke_api_client", "000000000000", stdout=StringIO())


def test_last_use_is_recorded_to_the_minute(force):
    client, _ = api_client_create(force=force, name="RMS", actor=None)
    with time_machine.travel("2026-11-02 10:00:00Z", tick=False):
        api_client_touch(client=client)
    with time_machine.travel("2026-11-02 10:00:30Z", tick=False):
        api_client_touch(client=client)
    client.refresh_from_db()
    assert client.last_used_at == datetime.datetime(
        2026, 11, 2, 10, 0, tzinfo=datetime.UTC
    )
    with time_machine.travel("2026-11-02 10:02:00Z", tick=False):
        api_client_touch(client=client)
    client.refresh_from_db()
    assert client.last_used_at.minute == 2


def test_an_operator_revokes_a_client_in_the_admin(client, force):
    api_client, token = api_client_create(force=force, name="RMS", actor=None)
    operator = StaffFactory(force=None, username="operator", is_superuser=True)
    browser = verified_staff_client(client, operator)
    listing = browser.get("/admin/accounts/apiclient/")
    assert api_client.key_prefix in listing.content.decode()
    response = browser.post(
        "/admin/accounts/apiclient/",
        {"action": "revoke", "_selected_action": [api_client.pk]},
    )
    assert response.status_code == 302
    assert api_client_for_token(token) is None
    assert AuditEvent.objects.filter(
        object_type="api_client", actor_label="operator"
    ).exists()


def test_officers_cannot_see_api_clients(officer_client, force):
    api_client_create(force=force, name="RMS", actor=None)
    assert officer_client.get("/admin/accounts/apiclient/").status_code == 403
