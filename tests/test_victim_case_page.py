"""A signed-in victim sees their one case: the stage in plain words, who is dealing with
it, the updates they may see, their rights and support, and how they are contacted."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.batched import views_batched
from audit.models import AuditEvent
from cases.constants import ClosingReason, Outcome, Stage
from cases.models import SupportService
from cases.services import case_add_update, case_change_stage
from tests.factories import CaseFactory, CaseVictimFactory, StaffFactory
from tests.portal import sign_in, views_written
from victims.constants import ContactPreference

pytestmark = pytest.mark.usefixtures("portal")

REFERENCE = "NS/00001/26"
EMAIL = "victim@example.com"
# Made afresh: the session, the victim's link to the case (with the victim, case,
# force and officer), the timeline, the survey waves open to the victim and the
# victim's own Victims' Code requests. The session's last-activity time is written
# at most once a minute, so not here. Shown again from the cache while nothing on it
# changed: the session only. The view's audit row adds one insert where views are
# written in the request (no Redis); with Redis it is queued (audit/batched.py).
CASE_PAGE_QUERIES = 5
CASE_PAGE_CACHED_QUERIES = 1


def _audit_queries() -> int:
    return 0 if views_batched() else 1


@pytest.fixture
def victim_client(client, django_capture_on_commit_callbacks, portal, victim_on_case):
    sign_in(client, django_capture_on_commit_callbacks, portal, REFERENCE, EMAIL)
    return client


def _page(client, url="/case/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_the_stage_in_plain_words_and_what_happens_next(
    victim_client, case, officer
):
    case_change_stage(case=case, stage=Stage.SUSPECT_ARRESTED, actor=officer)
    html = _page(victim_client)
    assert "Suspect arrested or interviewed" in html
    assert "A suspect has been arrested or interviewed under caution." in html
    assert "Police will decide whether to charge them" in html


def test_it_shows_the_officer_in_charge_and_how_to_contact_them_and_the_force(
    victim_client, case, force
):
    case.officer_in_charge = StaffFactory(
        force=force,
        first_name="Jo",
        last_name="Evans",
        rank="PC",
        contact_phone="01632 960001",
        contact_email="jo.evans@police.example",
    )
    case.save()
    force.contact_text = "Call 101 and quote your reference."
    force.save()
    html = _page(victim_client)
    assert "PC Jo Evans" in html
    assert "01632 960001" in html
    assert "jo.evans@police.example" in html
    assert "Call 101 and quote your reference." in html


def test_it_lists_the_updates_the_victim_may_see_newest_first(
    victim_client, case, officer
):
    now = timezone.now()
    case_add_update(
        case=case,
        actor=officer,
        victim_text="We spoke to a witness.",
        occurred_at=now - datetime.timedelta(days=2),
    )
    case_add_update(
        case=case,
        actor=officer,
        victim_text="We collected CCTV.",
        occurred_at=now - datetime.timedelta(days=1),
    )
    case_add_update(
        case=case,
        actor=officer,
        staff_note="Suspect's alibi checked.",
        visible_to_victim=False,
    )
    html = _page(victim_client)
    assert 'class="moj-timeline"' in html
    assert html.index("We collected CCTV.") < html.index("We spoke to a witness.")
    assert "alibi" not in html


def test_it_never_shows_staff_notes(victim_client, case, officer):
    case_add_update(
        case=case,
        actor=officer,
        victim_text="There is an update.",
        staff_note="Informant is the neighbour.",
    )
    assert "Informant" not in _page(victim_client)


def test_what_staff_wrote_is_shown_as_text_not_markup(victim_client, case, officer):
    case_add_update(case=case, actor=officer, victim_text="<script>alert(1)</script>")
    html = _page(victim_client)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_it_shows_when_the_next_update_is_due(victim_client, case):
    case.next_update_due = timezone.make_aware(datetime.datetime(2026, 12, 22, 12))
    case.save()
    assert "by 22 December 2026" in _page(victim_client)


def test_it_explains_the_right_to_review_after_no_further_action_following_interview(
    victim_client, case, officer
):
    case_change_stage(case=case, stage=Stage.SUSPECT_ARRESTED, actor=officer)
    case_change_stage(
        case=case,
        stage=Stage.CLOSED,
        actor=officer,
        closing_reason=ClosingReason.NFA_EVIDENTIAL,
        closing_explanation="There is not enough evidence.",
    )
    html = _page(victim_client)
    assert "You can ask for this decision to be reviewed" in html
    assert "Victims' Right to Review" in html
    assert "within 3 months" in html
    assert "There is not enough evidence." in html


@pytest.mark.parametrize(
    "stages, reason",
    [
        ([Stage.CLOSED], ClosingReason.NO_SUSPECT),  # nobody was interviewed
        ([Stage.SUSPECT_ARRESTED, Stage.CLOSED], ClosingReason.VICTIM_WITHDREW),
        ([Stage.SUSPECT_ARRESTED], ""),  # not closed
    ],
)
def test_it_does_not_offer_a_review_where_the_scheme_does_not_apply(
    victim_client, case, officer, stages, reason
):
    for stage in stages:
        case_change_stage(
            case=case,
            stage=stage,
            actor=officer,
            closing_reason=reason if stage == Stage.CLOSED else "",
        )
    assert "You can ask for this decision to be reviewed" not in _page(victim_client)


def test_a_closed_case_says_why_and_that_no_more_updates_are_planned(
    victim_client, case, officer
):
    case_change_stage(
        case=case,
        stage=Stage.CLOSED,
        actor=officer,
        closing_reason=ClosingReason.NO_SUSPECT,
    )
    html = _page(victim_client)
    assert "No suspect could be identified" in html
    assert "no more updates planned" in html


def test_an_outcome_is_shown(victim_client, case, officer):
    for stage in (Stage.CHARGED, Stage.OUTCOME):
        case_change_stage(
            case=case,
            stage=stage,
            actor=officer,
            outcome=Outcome.CONVICTED if stage == Stage.OUTCOME else "",
        )
    assert "The outcome: Convicted." in _page(victim_client)


def test_it_shows_only_the_case_the_victim_signed_in_with(
    client, django_capture_on_commit_callbacks, portal, victim_on_case, force, officer
):
    other_case = CaseFactory(
        force=force, crime_reference="NS/00002/26", victim_description="Other crime"
    )
    CaseVictimFactory(case=other_case, victim=victim_on_case.victim)
    case_add_update(case=other_case, actor=officer, victim_text="Other case news.")
    sign_in(client, django_capture_on_commit_callbacks, portal, REFERENCE, EMAIL)
    html = _page(client)
    assert "NS/00001/26" in html
    assert "Other case news." not in html
    assert "Other crime" not in html


def test_another_victims_session_never_shows_this_case(
    client, django_capture_on_commit_callbacks, portal, victim_on_case, force, officer
):
    other = CaseVictimFactory(
        case=CaseFactory(force=force, crime_reference="NS/00002/26"),
        victim__email="other@example.com",
    )
    case_add_update(
        case=victim_on_case.case, actor=officer, victim_text="First victim's news."
    )
    sign_in(
        client,
        django_capture_on_commit_callbacks,
        portal,
        "NS/00002/26",
        other.victim.email,
    )
    html = _page(client)
    assert "First victim&#x27;s news." not in html
    assert "NS/00001/26" not in html


def test_viewing_the_case_is_audited(victim_client, victim_on_case):
    _page(victim_client)
    views_written()
    event = AuditEvent.objects.filter(action="view").latest("id")
    assert event.object_type == "case"
    assert event.object_id == str(victim_on_case.case_id)
    assert event.actor_kind == "victim"
    assert event.actor_id == str(victim_on_case.victim_id)
    assert event.case_id == victim_on_case.case_id
    assert event.detail == {"page": "case"}


def test_the_case_page_makes_a_fixed_number_of_queries(
    victim_client, case, officer, django_assert_num_queries
):
    case_add_update(case=case, actor=officer, victim_text="One update.")
    with django_assert_num_queries(CASE_PAGE_QUERIES + _audit_queries()):
        victim_client.get("/case/")
    with django_assert_num_queries(CASE_PAGE_CACHED_QUERIES + _audit_queries()):
        victim_client.get("/case/")


def test_the_query_count_does_not_grow_with_the_timeline(victim_client, case, officer):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert victim_client.get("/case/").status_code == 200
        return len(captured)

    few = queries()
    for number in range(30):
        case_add_update(case=case, actor=officer, victim_text=f"Update {number}.")
    assert queries() == few == CASE_PAGE_QUERIES + _audit_queries()


def test_the_rights_page_lists_the_victims_code_rights_and_support(
    victim_client, force
):
    SupportService.objects.create(
        force=force, name="Northshire Victim Care", phone="0800 000 0000"
    )
    html = _page(victim_client, "/support/")
    assert "Your rights under the Victims' Code" in html
    assert html.count("<li>To ") == 12
    assert "Northshire Victim Care" in html
    assert "Victim Support" in html
    assert "08 08 16 89 111" in html
    assert "complain" in html


def test_the_rights_page_explains_enhanced_rights_only_to_those_who_have_them(
    victim_client, victim_on_case
):
    assert "enhanced rights" not in _page(victim_client, "/support/")
    victim = victim_on_case.victim
    victim.enhanced_rights = True
    victim.enhanced_rights_reason = "vulnerable"
    victim.save()
    assert "enhanced rights" in _page(victim_client, "/support/")


def test_contact_preferences_are_shown_read_only_with_how_to_change_them(
    victim_client, victim_on_case
):
    victim = victim_on_case.victim
    victim.contact_preference = ContactPreference.SMS
    victim.detail_by_sms = True
    victim.save()
    html = _page(victim_client, "/contact-preferences/")
    assert "Text message only" in html
    assert "07400 123456" in html
    assert "can only be changed by the police" in html
    # The one form asks only for discreet messages: it carries no field to change.
    main = html.split('id="main-content"')[1].split("</main>")[0]
    assert main.count("<form") == 1
    assert "Send me discreet messages" in main
    assert re.findall(r'name="([^"]+)"', main) == ["csrfmiddlewaretoken"]


@pytest.mark.parametrize("page", ["contact_preferences", "support"])
def test_looking_at_the_victims_own_details_is_audited(
    victim_client, victim_on_case, page
):
    _page(victim_client, "/" + page.replace("_", "-") + "/")
    views_written()
    event = AuditEvent.objects.filter(action="view").latest("id")
    assert event.object_type == "victim"
    assert event.object_id == str(victim_on_case.victim_id)
    assert event.detail == {"page": page}


@pytest.mark.parametrize("url", ["/case/", "/support/", "/contact-preferences/"])
def test_someone_not_signed_in_is_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/"


def test_a_change_shows_at_once_although_the_page_is_cached(
    victim_client, case, officer
):
    assert "Charged" not in victim_client.get("/case/").content.decode()
    case_change_stage(case=case, stage="charged", actor=officer)
    case_add_update(case=case, actor=officer, victim_text="A court date is coming.")
    page = victim_client.get("/case/").content.decode()
    assert "Charged" in page
    assert "A court date is coming." in page
