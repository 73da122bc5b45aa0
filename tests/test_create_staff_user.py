from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User


def test_it_creates_staff_and_prints_a_second_factor(force):
    out = StringIO()
    call_command(
        "create_staff_user",
        "dc.jones",
        "--force",
        "ns",
        "--group",
        "Officer",
        stdout=out,
    )
    user = User.objects.get(username="dc.jones")
    assert user.force == force
    assert user.groups.filter(name="Officer").exists()
    printed = out.getvalue()
    assert "otpauth://totp/" in printed
    assert printed.count("\n  ") == 10  # ten backup codes


def test_it_needs_a_known_force(db):
    with pytest.raises(CommandError, match="no force"):
        call_command("create_staff_user", "x", "--force", "nope", stdout=StringIO())


def test_it_refuses_an_existing_username(force, officer):
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_staff_user", "officer", "--force", "ns", stdout=StringIO())
