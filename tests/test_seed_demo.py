from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from audit.models import AuditEvent
from cases.models import Case, TimelineEntry
from victims.models import Victim


def _counts():
    return [
        model.objects.count()
        for model in (User, Case, TimelineEntry, Victim, AuditEvent)
    ]


def test_it_seeds_a_dozen_cases_at_different_stages_and_prints_how_to_sign_in(
    db, settings
):
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert Case.objects.count() == 12
    assert Case.objects.values("stage").distinct().count() >= 8
    printed = out.getvalue()
    assert "demo.admin" in printed
    assert "demo-password-local-only" in printed
    assert "backup code" in printed


def test_running_it_twice_changes_nothing(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    before = _counts()
    call_command("seed_demo", stdout=StringIO())
    assert _counts() == before


def test_it_refuses_to_seed_a_production_service(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="published password"):
        call_command("seed_demo", stdout=StringIO())


def test_it_prints_how_to_sign_in_as_a_demo_victim(db, settings):
    settings.DEBUG = True
    settings.NOTIFICATIONS_EMAIL_PROVIDER = "file"
    settings.NOTIFICATIONS_OUTBOX_DIR = settings.BASE_DIR / "var" / "outbox"
    out = StringIO()
    call_command("seed_demo", stdout=out)
    printed = out.getvalue()
    assert "Victim portal: http://127.0.0.1:8000/" in printed
    assert "NS/10001/26 and aisha.khan@example.com" in printed
    assert "newest .json file in var/outbox/" in printed
    victim = Victim.objects.get(email="aisha.khan@example.com")
    assert victim.portal_access_allowed
    assert victim.cases.filter(crime_reference="NS/10001/26").exists()


def test_it_seeds_a_conversation_and_a_message_waiting_past_its_reply_time(
    db, settings
):
    from conversations.models import Message

    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    first = Message.objects.filter(case__crime_reference="NS/10001/26")
    assert [m.author_kind for m in first] == ["victim", "staff", "victim"]
    waiting = Message.objects.get(case__crime_reference="NS/10002/26")
    assert waiting.is_overdue
    call_command("seed_demo", stdout=StringIO())
    assert Message.objects.count() == 4
