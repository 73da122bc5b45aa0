"""Right 4: a signed-in victim asks to be referred to one of the force's local support
services or a national one, agreeing explicitly to what is shared; the force must
refer within 2 working days, and the victim then sees "We referred you to X on
date". Victims with enhanced rights are offered it first."""

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cases.compliance import code_compliance
from cases.constants import CodeClockKind, Stage
from cases.models import SupportService
from cases.working_days import LONDON
from notifications.models import Notification
from rights.constants import RequestOutcome, RightKind
from rights.models import RightRequest
from rights.services import RequestRefused, request_make, request_record_outcome
from tests.factories import CaseVictimFactory, ForceFactory
from tests.portal import outbox_messages, sign_in
from victims.constants import ContactPreference
from victims.models import Victim

pytestmark = pytest.mark.usefixtures("portal")

REFERENCE = "NS/00001/26"
EMAIL = "victim@example.com"
BASE = "/case/rights/support/"


@pytest.fixture
def local_service(force):
    return SupportService.objects.create(
        force=force,
        name="Northshire Victim Care",
        description="Local help after a crime.",
        phone="0800 000 0000",
    )


@pytest.fixture
def victim_client(client, django_capture_on_commit_callbacks, portal, victim_on_case):
    sign_in(client, django_capture_on_commit_callbacks, portal, REFERENCE, EMAIL)
    return client


def _ask(client, service):
    assert client.post(BASE, {"service": service}).status_code == 303
    response = client.post(BASE + "consent/", {"consent": "yes"})
    assert response.status_code == 303
    assert response["Location"] == BASE + "check/"


def _make(link, service=None, at=None, name="Victim Support"):
    return request_make(
        victim=link.victim,
        case=link.case,
        kind=RightKind.SUPPORT_REFERRAL,
        form_data={
            "support_service": service,
            "details": {"service_name": service.name if service else name},
        },
        recorded_at=at,
    )


def test_the_case_page_offers_a_referral_at_any_stage(victim_client, case):
    for stage in (Stage.REPORTED, Stage.CHARGED):
        case.stage = stage
        case.save()
        assert (
            "Ask to be referred to a support service"
            in victim_client.get("/case/").content.decode()
        )


def test_victims_with_enhanced_rights_are_offered_support_first(
    victim_client, case, victim_on_case
):
    case.stage = Stage.CHARGED
    case.save()
    page = victim_client.get("/case/").content.decode()
    assert page.index("Victim Personal Statement") < page.index("victims' service")
    victim = Victim.objects.get(pk=victim_on_case.victim_id)
    victim.enhanced_rights, victim.enhanced_rights_reason = True, "vulnerable"
    victim.save()
    page = victim_client.get("/case/").content.decode()
    assert page.index("victims' service") < page.index("Victim Personal Statement")


def test_the_question_lists_local_services_then_national_ones(
    victim_client, local_service
):
    html = victim_client.get(BASE).content.decode()
    assert html.index("Northshire Victim Care") < html.index("or a national service")
    assert html.index("or a national service") < html.index("Victim Support")


def test_a_victim_asks_to_be_referred_to_a_local_service(
    victim_client, local_service, victim_on_case
):
    _ask(victim_client, f"local:{local_service.pk}")
    check = victim_client.get(BASE + "check/").content.decode()
    assert "Northshire Victim Care" in check
    assert "You agree to us sharing your details" in check
    response = victim_client.post(BASE + "check/")
    assert response.status_code == 303
    assert response["Location"] == BASE + "sent/"
    assert "within 2 working days" in victim_client.get(BASE + "sent/").content.decode()

    request = RightRequest.objects.get()
    assert request.kind == RightKind.SUPPORT_REFERRAL
    assert request.support_service == local_service
    assert request.details["service_name"] == "Northshire Victim Care"
    assert request.details["consent"] is True
    assert "your name" in request.details["shared"]
    assert AuditEvent.objects.filter(
        object_type="right_request", object_id=str(request.pk), action="create"
    ).exists()
    page = victim_client.get("/case/").content.decode()
    assert "to be referred to Northshire Victim Care" in page


def test_a_victim_may_ask_for_a_national_service(victim_client, victim_on_case):
    _ask(victim_client, "national:victim-support")
    victim_client.post(BASE + "check/")
    request = RightRequest.objects.get()
    assert request.support_service is None
    assert request.details["service_name"] == "Victim Support"


def test_consent_must_be_given_and_the_choice_is_kept(victim_client, local_service):
    victim_client.post(BASE, {"service": f"local:{local_service.pk}"})
    response = victim_client.post(BASE + "consent/", {})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Tick the box to agree to us sharing your details" in html
    assert "Can we share your details with Northshire Victim Care?" in html
    # Without consent there is nothing to check or send.
    response = victim_client.get(BASE + "check/")
    assert response.status_code == 303 and response["Location"] == BASE
    back = victim_client.get(BASE).content.decode()
    assert f'value="local:{local_service.pk}" checked' in back


def test_another_forces_service_cannot_be_chosen(victim_client):
    theirs = SupportService.objects.create(
        force=ForceFactory(code="ws"), name="Westshire Help"
    )
    response = victim_client.post(BASE, {"service": f"local:{theirs.pk}"})
    assert response.status_code == 400
    assert "Select a service from the list" in response.content.decode()
    assert "Westshire Help" not in response.content.decode()


def test_the_service_refuses_another_forces_service(victim_on_case):
    theirs = SupportService.objects.create(
        force=ForceFactory(code="ws"), name="Westshire Help"
    )
    with pytest.raises(RequestRefused) as refused:
        _make(victim_on_case, service=theirs)
    assert refused.value.code == "not_eligible"
    assert not RightRequest.objects.exists()


def test_a_second_referral_while_one_is_waiting_is_refused(
    victim_client, victim_on_case
):
    _ask(victim_client, "national:samaritans")
    _make(victim_on_case)
    response = victim_client.post(BASE + "check/")
    assert "You have already made this request" in response.content.decode()
    assert "You have already made this request" in (
        victim_client.get(BASE).content.decode()
    )
    assert RightRequest.objects.count() == 1


def test_the_force_must_refer_within_2_working_days_skipping_bank_holidays(
    victim_on_case,
):
    # Thursday 24 December 2026: Christmas Day (Fri) and Boxing Day's substitute
    # (Mon 28) do not count, so 2 working days is the end of Wednesday 30th.
    request = _make(
        victim_on_case, at=datetime.datetime(2026, 12, 24, 9, tzinfo=LONDON)
    )
    clock = request.done_clock
    assert clock.kind == CodeClockKind.SUPPORT_REFERRAL_MADE
    assert clock.deadline == datetime.datetime(2026, 12, 30, 23, 59, 59, tzinfo=LONDON)
    assert request.acknowledge_clock is None


def test_staff_record_the_referral_and_the_victim_sees_it(
    victim_client,
    victim_on_case,
    local_service,
    officer,
    django_capture_on_commit_callbacks,
    portal,
):
    referred = timezone.now() - datetime.timedelta(days=1)
    request = _make(
        victim_on_case,
        service=local_service,
        at=referred - datetime.timedelta(days=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        request_record_outcome(
            request=request,
            actor=officer,
            outcome=RequestOutcome.REFERRED,
            done_at=referred,
        )
    request.refresh_from_db()
    assert request.done_clock.told_at == referred
    page = victim_client.get("/case/").content.decode()
    day = timezone.localtime(referred).strftime("%-d %B %Y")
    assert f"We referred you to Northshire Victim Care on {day}." in page
    assert "Ask to be referred to another service" in page
    # Told on their safe channels, saying nothing of the referral.
    assert Notification.objects.filter(kind="request_update").count() == 2
    for message in outbox_messages(portal):
        assert "Northshire Victim Care" not in message["body"]
        assert "referred" not in message["body"].lower()


def test_a_referral_not_made_by_its_deadline_counts_late(victim_on_case, force, case):
    _make(victim_on_case, at=timezone.now() - datetime.timedelta(days=10))
    figures = code_compliance(force_id=force.pk, days=30)
    row = {r.key: r for r in figures.by_kind}[CodeClockKind.SUPPORT_REFERRAL_MADE]
    assert (row.on_time, row.late) == (0, 1)
    assert [event.case_id for event in figures.late] == [case.pk]


def test_another_victims_referral_is_not_shown(victim_client, case, local_service):
    _make(CaseVictimFactory(case=case), service=local_service)
    page = victim_client.get("/case/").content.decode()
    assert "Northshire Victim Care" not in page


def test_nobody_signed_in_is_sent_to_sign_in(client, case):
    response = client.get(BASE)
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/"


def test_a_victim_with_no_safe_way_to_contact_them_cannot_be_referred_online(
    victim_client, victim_on_case
):
    victim = Victim.objects.get(pk=victim_on_case.victim_id)
    victim.contact_preference = ContactPreference.NONE
    victim.save()
    response = victim_client.get(BASE)
    assert response.status_code == 403
    assert "no safe way to contact you" in response.content.decode()
    victim_on_case.victim.refresh_from_db()
    with pytest.raises(RequestRefused) as refused:
        _make(victim_on_case)
    assert refused.value.code == "no_safe_contact"
    assert not RightRequest.objects.exists()
