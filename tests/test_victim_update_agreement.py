"""Right 6: a signed-in victim agrees how often and by which channels they hear
about their case, within what their force allows; the case's next update due
follows it, officers see it, and missing it is overdue."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.constants import ObjectType
from audit.models import AuditEvent
from cases.compliance import code_compliance
from cases.constants import ClosingReason, Stage
from cases.models import Case
from cases.services import (
    UpdateAgreementRefused,
    case_add_update,
    case_agree_updates,
    case_change_stage,
    case_update,
    case_upsert,
)
from cases.working_days import LONDON, is_working_day
from notifications.models import Notification
from tests.factories import CaseVictimFactory, StaffFactory
from tests.portal import outbox_messages, sign_in
from victims.constants import ContactPreference
from victims.services import victim_update

pytestmark = pytest.mark.usefixtures("portal")

REFERENCE = "NS/00001/26"
EMAIL = "victim@example.com"
URL = "/how-you-hear-from-us/"
CHECK_URL = "/how-you-hear-from-us/check/"


@pytest.fixture
def victim_client(client, django_capture_on_commit_callbacks, portal, victim_on_case):
    sign_in(client, django_capture_on_commit_callbacks, portal, REFERENCE, EMAIL)
    return client


def _agree(client, **answers):
    response = client.post(URL, answers)
    assert response.status_code == 303, response.content.decode()
    assert response["Location"] == CHECK_URL
    return client.post(CHECK_URL)


def test_a_victim_agrees_every_two_weeks_by_email_and_the_case_follows_it(
    victim_client, victim_on_case, case
):
    page = victim_client.get(URL).content.decode()
    assert (
        "Every 2 weeks" in page and "Every 4 weeks" in page and "Every 8 weeks" in page
    )
    assert 'type="checkbox"' in page and "Text message" in page

    response = victim_client.post(URL, {"interval_weeks": "2", "channels": ["email"]})
    assert response.status_code == 303
    check = victim_client.get(CHECK_URL).content.decode()
    assert "Check your answers" in check
    assert "Every 2 weeks" in check and "Email" in check
    response = victim_client.post(CHECK_URL)
    assert response.status_code == 303
    assert response["Location"] == "/how-you-hear-from-us/done/"
    done = victim_client.get(response["Location"]).content.decode()
    assert "We will update you as you asked" in done

    victim_on_case.refresh_from_db()
    case.refresh_from_db()
    assert victim_on_case.agreed_interval_days == 14
    assert victim_on_case.agreed_channels == ["email"]
    assert case.update_interval_days == 14
    assert case.update_interval_agreed_days == 14
    assert case.next_update_due is not None
    # No update yet that the victim could see: counted from when they agreed.
    assert abs(
        case.next_update_due - victim_on_case.agreed_at - datetime.timedelta(days=14)
    ) < datetime.timedelta(seconds=5)
    page = victim_client.get("/case/").content.decode()
    assert "you agreed to hear from us every 2 weeks" in page


def test_answers_are_kept_when_there_is_an_error(victim_client):
    response = victim_client.post(URL, {"interval_weeks": "2"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Select how you want to hear from us" in page
    assert 'href="#id_channels_0"' in page
    assert 'value="2" checked' in page


def test_messages_and_no_messages_together_is_refused(victim_client):
    response = victim_client.post(
        URL, {"interval_weeks": "4", "channels": ["email", "none"]}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "not both" in page
    assert 'value="email" checked' in page


def test_an_interval_the_force_does_not_offer_is_refused(victim_client, case):
    response = victim_client.post(URL, {"interval_weeks": "3", "channels": ["email"]})
    assert response.status_code == 400
    assert "Select how often you want to hear from us" in response.content.decode()
    case.refresh_from_db()
    assert case.update_interval_agreed_days is None


def test_only_the_force_s_intervals_and_channels_are_offered(
    victim_client, force, case
):
    force.update_interval_weeks_allowed = [1, 3]
    force.update_channels_allowed = ["email"]
    force.save()
    page = victim_client.get(URL).content.decode()
    assert "Every week" in page and "Every 3 weeks" in page
    assert "Every 2 weeks" not in page
    assert "Text message" not in page
    response = victim_client.post(URL, {"interval_weeks": "1", "channels": ["sms"]})
    assert response.status_code == 400


def test_a_channel_staff_did_not_record_as_safe_is_never_offered(
    victim_client, victim_on_case
):
    victim_update(
        victim=victim_on_case.victim,
        actor=None,
        changes={"contact_preference": ContactPreference.EMAIL},
    )
    page = victim_client.get(URL).content.decode()
    assert "Text message" not in page
    with pytest.raises(ValidationError):
        case_agree_updates(link=victim_on_case, interval_weeks=4, channels=["sms"])


def test_a_victim_at_no_contact_may_agree_only_how_often(
    victim_client, victim_on_case, case
):
    victim_update(
        victim=victim_on_case.victim,
        actor=None,
        changes={"contact_preference": ContactPreference.NONE},
    )
    page = victim_client.get(URL).content.decode()
    assert 'type="checkbox"' not in page
    assert "We will not send you messages about updates" in page
    _agree(victim_client, interval_weeks="8")
    victim_on_case.refresh_from_db()
    assert victim_on_case.agreed_channels == []
    case.refresh_from_db()
    assert case.update_interval_days == 56


def test_a_closed_case_cannot_agree_updates(victim_client, victim_on_case, case):
    case_change_stage(
        case=case,
        stage=Stage.CLOSED,
        actor=None,
        closing_reason=ClosingReason.NO_SUSPECT,
    )
    page = victim_client.get(URL).content.decode()
    assert "Your case is closed" in page
    assert "<form" not in page.split("Your case is closed")[1].split("Back to")[0]
    with pytest.raises(ValidationError):
        case_agree_updates(link=victim_on_case, interval_weeks=4, channels=["email"])
    assert "Tell us how often" not in victim_client.get("/case/").content.decode()


def test_a_victim_whose_portal_access_was_turned_off_cannot_agree(
    victim_client, victim_on_case, case
):
    victim_update(
        victim=victim_on_case.victim,
        actor=None,
        changes={"portal_access_allowed": False},
    )
    response = victim_client.post(URL, {"interval_weeks": "2", "channels": ["email"]})
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/"
    case.refresh_from_db()
    assert case.update_interval_agreed_days is None


def test_someone_not_signed_in_cannot_see_or_agree(client, victim_on_case, case):
    assert client.get(URL)["Location"] == "/sign-in/"
    assert client.post(CHECK_URL)["Location"] == "/sign-in/"
    case.refresh_from_db()
    assert case.update_interval_agreed_days is None


def test_agreeing_is_rate_limited_per_victim(victim_client, victim_on_case, case):
    for _ in range(10):
        case_agree_updates(link=victim_on_case, interval_weeks=4, channels=["email"])
    victim_client.post(URL, {"interval_weeks": "2", "channels": ["email"]})
    response = victim_client.post(CHECK_URL)
    assert response.status_code == 429
    assert "You have changed this a lot today" in response.content.decode()
    case.refresh_from_db()
    assert case.update_interval_agreed_days == 28


def test_another_victim_s_count_is_their_own(victim_on_case, case):
    other = CaseVictimFactory(case=case)
    for _ in range(10):
        case_agree_updates(link=victim_on_case, interval_weeks=4, channels=["email"])
    with pytest.raises(UpdateAgreementRefused):
        case_agree_updates(link=victim_on_case, interval_weeks=4, channels=["email"])
    case_agree_updates(link=other, interval_weeks=8, channels=["sms"])


def test_the_agreement_is_in_the_audit_trail_with_the_victim_as_actor(
    victim_client, victim_on_case, case
):
    _agree(victim_client, interval_weeks="4", channels=["sms"])
    _agree(victim_client, interval_weeks="2", channels=["email", "sms"])
    rows = AuditEvent.objects.filter(
        object_type=ObjectType.CASE_VICTIM, object_id=str(victim_on_case.pk)
    ).order_by("id")
    assert [row.detail["agreed_interval_days"] for row in rows] == [28, 14]
    assert [row.detail["agreed_channels"] for row in rows] == [
        ["sms"],
        ["email", "sms"],
    ]
    assert {row.actor_kind for row in rows} == {"victim"}
    case_rows = AuditEvent.objects.filter(
        object_type=ObjectType.CASE,
        object_id=str(case.pk),
        detail__agreed_by_victim=victim_on_case.victim_id,
    )
    assert case_rows.count() == 2


def test_the_shortest_interval_any_victim_agreed_wins(victim_on_case, case):
    other = CaseVictimFactory(case=case)
    case_agree_updates(link=victim_on_case, interval_weeks=8, channels=["email"])
    case_agree_updates(link=other, interval_weeks=2, channels=["email"])
    case_agree_updates(link=victim_on_case, interval_weeks=4, channels=["email"])
    case.refresh_from_db()
    assert case.update_interval_days == 14


def test_staff_may_change_it_afterwards_and_it_is_recorded_and_shown(
    victim_client, victim_on_case, case, portal, django_capture_on_commit_callbacks
):
    _agree(victim_client, interval_weeks="4", channels=["email"])
    officer = StaffFactory(force=case.force)
    with django_capture_on_commit_callbacks(execute=True):
        case_update(case=case, actor=officer, changes={"update_interval_days": 7})
    case.refresh_from_db()
    assert case.update_interval_days == 7
    assert case.update_interval_agreed_days == 28
    assert case.update_interval_differs_from_agreed
    row = AuditEvent.objects.filter(
        object_type=ObjectType.CASE, actor_id=str(officer.pk)
    ).latest("id")
    assert row.detail == {
        "update_interval_from": 28,
        "update_interval_to": 7,
        "update_interval_agreed": 28,
    }
    page = victim_client.get("/case/").content.decode()
    assert "The police have since changed this to every week." in page
    # The victim is told on their timeline, and by the safe wording only.
    assert "We have changed how often we will update you, to every week." in page
    assert "You had asked for every 4 weeks." in page
    [told] = [m for m in outbox_messages(portal) if "update" in m["body"]]
    assert told["to"] == EMAIL
    assert "every week" not in told["body"] and REFERENCE not in told["body"]
    assert "Sign in" in told["body"]
    # Counted from the update that told them.
    assert case.next_update_due is not None
    assert case.next_update_due > timezone.now() + datetime.timedelta(days=6)


def test_a_records_system_push_does_not_undo_what_the_victim_agreed(
    victim_on_case, case, force
):
    case_agree_updates(link=victim_on_case, interval_weeks=2, channels=["email"])
    case_upsert(
        force=force,
        crime_reference=case.crime_reference,
        actor=None,
        details={"update_interval_days": 28, "victim_description": "Burglary"},
    )
    case.refresh_from_db()
    assert case.update_interval_days == 14
    assert case.victim_description == "Burglary"


def test_updates_go_only_by_the_channels_the_victim_agreed(
    victim_on_case, case, django_capture_on_commit_callbacks
):
    case_agree_updates(link=victim_on_case, interval_weeks=4, channels=["sms"])
    with django_capture_on_commit_callbacks(execute=True):
        entry = case_add_update(case=case, actor=None, victim_text="We found CCTV.")
    assert list(
        Notification.objects.filter(entry=entry).values_list("channel", flat=True)
    ) == ["sms"]


def test_no_messages_means_updates_are_on_the_portal_only(
    victim_on_case, case, django_capture_on_commit_callbacks
):
    case_agree_updates(link=victim_on_case, interval_weeks=4, channels=[])
    with django_capture_on_commit_callbacks(execute=True):
        entry = case_add_update(case=case, actor=None, victim_text="We found CCTV.")
    assert not Notification.objects.filter(entry=entry).exists()


def test_the_due_date_is_whole_weeks_in_calendar_days_across_bank_holidays(
    victim_on_case, case
):
    """The interval is counted in calendar days, as the victim agreed it ("every
    4 weeks"); bank holidays neither stretch nor shorten it."""
    last_update = datetime.datetime(2026, 11, 30, 10, 0, tzinfo=LONDON)
    case_add_update(
        case=case,
        actor=None,
        victim_text="We spoke to a witness.",
        recorded_at=last_update,
    )
    case_agree_updates(link=victim_on_case, interval_weeks=4, channels=["email"])
    case.refresh_from_db()
    due = case.next_update_due.astimezone(LONDON)
    assert due == datetime.datetime(2026, 12, 28, 10, 0, tzinfo=LONDON)
    # 28 December 2026 is the substitute bank holiday for Boxing Day.
    assert not is_working_day(due.date())


def test_an_agreed_interval_missed_on_purpose_is_overdue(victim_on_case, case, force):
    long_ago = timezone.now() - datetime.timedelta(days=15)
    case_add_update(
        case=case,
        actor=None,
        victim_text="We spoke to a witness.",
        recorded_at=long_ago,
    )
    case_agree_updates(link=victim_on_case, interval_weeks=4, channels=["email"])
    case.refresh_from_db()
    assert not case.is_overdue
    case_agree_updates(link=victim_on_case, interval_weeks=2, channels=["email"])
    case.refresh_from_db()
    assert case.is_overdue
    report = code_compliance(force_id=force.pk, days=30)
    assert report.overdue_updates == 1
    assert Case.objects.filter(next_update_due__lt=timezone.now()).get() == case


def test_the_api_reads_the_agreed_interval(api, victim_on_case, case):
    body = api.get("/api/v1/cases/NS0000126").json()
    assert body["update_interval_agreed_days"] is None
    assert body["update_interval_agreed_at"] is None
    case_agree_updates(link=victim_on_case, interval_weeks=8, channels=["email"])
    body = api.get("/api/v1/cases/NS0000126").json()
    assert body["update_interval_days"] == 56
    assert body["update_interval_agreed_days"] == 56
    assert body["update_interval_agreed_at"].endswith("Z")
    listed = api.get("/api/v1/cases").json()["results"][0]
    assert listed["update_interval_agreed_days"] == 56


def test_the_schema_documents_the_agreed_interval_as_read_only(api):
    schema = api.get("/api/schema/?format=json").json()
    case = schema["components"]["schemas"]["CaseDetail"]["properties"]
    assert case["update_interval_agreed_days"]["readOnly"] is True
    assert case["update_interval_agreed_days"]["nullable"] is True
    assert "agreed" in case["update_interval_agreed_days"]["description"]
    upsert = schema["components"]["schemas"]["CaseUpsertRequest"]["properties"]
    assert "update_interval_agreed_days" not in upsert
    summary = schema["components"]["schemas"]["CaseSummary"]["properties"]
    assert summary["update_interval_agreed_at"]["format"] == "date-time"


@pytest.mark.parametrize(
    ("weeks", "channels", "field"),
    [
        ([], ["email"], "update_interval_weeks_allowed"),
        ([2, 2], ["email"], "update_interval_weeks_allowed"),
        ([0, 4], ["email"], "update_interval_weeks_allowed"),
        (["4"], ["email"], "update_interval_weeks_allowed"),
        ([True], ["email"], "update_interval_weeks_allowed"),
        ({"weeks": 4}, ["email"], "update_interval_weeks_allowed"),
        ([2, 4], ["post"], "update_channels_allowed"),
        ([2, 4], ["sms", "sms"], "update_channels_allowed"),
        ([2, 4], "email", "update_channels_allowed"),
    ],
)
def test_a_force_s_choices_are_checked(force, weeks, channels, field):
    force.update_interval_weeks_allowed = weeks
    force.update_channels_allowed = channels
    with pytest.raises(ValidationError) as error:
        force.full_clean()
    assert field in error.value.message_dict


def test_a_force_may_offer_no_channels_then_only_the_portal(
    victim_client, force, victim_on_case
):
    force.update_interval_weeks_allowed = [4]
    force.update_channels_allowed = []
    force.full_clean()
    force.save()
    page = victim_client.get(URL).content.decode()
    assert 'type="checkbox"' not in page
    _agree(victim_client, interval_weeks="4")
    victim_on_case.refresh_from_db()
    assert victim_on_case.agreed_channels == []


def test_the_victim_s_own_copy_of_their_data_says_what_they_agreed(
    victim_client, victim_on_case
):
    assert (
        victim_client.get("/your-data/download.json").json()["case"]["updates_agreed"]
        is None
    )
    _agree(victim_client, interval_weeks="4", channels=["sms"])
    agreed = victim_client.get("/your-data/download.json").json()["case"][
        "updates_agreed"
    ]
    assert agreed["how_often"] == "Every 4 weeks"
    assert agreed["how"] == ["Text message"]
    page = victim_client.get("/your-data/").content.decode()
    assert "Every 4 weeks, by: Text message (agreed on" in page


def test_how_we_contact_you_links_to_the_choice(victim_client):
    page = victim_client.get("/contact-preferences/").content.decode()
    assert f'href="{URL}"' in page
    case_page = victim_client.get("/case/").content.decode()
    assert "Tell us how often and how you want to hear from us" in case_page
