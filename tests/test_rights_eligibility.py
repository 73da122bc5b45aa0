"""Who may ask for what under the Victims' Code, until when, and the working-day
deadlines each request starts (England and Wales bank holidays do not count)."""

import datetime

import pytest

from cases.constants import ClosingReason, CodeClockKind, Stage
from cases.services import case_change_stage
from cases.working_days import LONDON
from rights.constants import RightKind
from rights.eligibility import add_months, review_refusal, review_window
from rights.models import RightRequest
from rights.services import RequestRefused, request_make
from tests.factories import CaseFactory, CaseVictimFactory, StaffFactory

pytestmark = pytest.mark.django_db


def _at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=LONDON)


def _closed_case(force, *, told_at, **case_fields):
    officer = StaffFactory(force=force)
    case = CaseFactory(force=force, **case_fields)
    case_change_stage(case=case, stage=Stage.SUSPECT_ARRESTED, actor=officer)
    case_change_stage(
        case=case,
        stage=Stage.CLOSED,
        actor=officer,
        closing_reason=ClosingReason.NFA_EVIDENTIAL,
        occurred_at=told_at,
        recorded_at=told_at,
    )
    case.refresh_from_db()
    return case


def test_a_month_later_is_the_same_day_or_the_months_last_day():
    assert add_months(datetime.date(2026, 8, 31), 3) == datetime.date(2026, 11, 30)
    assert add_months(datetime.date(2026, 11, 15), 3) == datetime.date(2027, 2, 15)


def test_a_review_may_be_asked_for_until_3_months_after_the_victim_was_told(force):
    told = _at(2026, 9, 1, 10)
    case = _closed_case(force, told_at=told)
    window = review_window(case)
    assert window is not None
    assert window.ask_by == _at(2026, 12, 1, 23, 59, 59)
    assert not window.limited_by_incident
    assert review_refusal(case=case, now=_at(2026, 12, 1, 23, 0)) is None
    assert review_refusal(case=case, now=_at(2026, 12, 2, 0, 1)) == "window_closed"


def test_it_runs_from_when_the_victims_were_told_not_when_it_was_recorded(force):
    case = _closed_case(force, told_at=_at(2026, 9, 1, 10))
    clock = case.code_clocks.get(stage=Stage.CLOSED)
    clock.told_at = _at(2026, 9, 10, 9)
    clock.save(update_fields=["told_at"])
    assert review_window(case).ask_by == _at(2026, 12, 10, 23, 59, 59)


def test_a_summary_only_offence_must_also_be_reviewed_within_6_months_of_it(force):
    told = _at(2026, 9, 1, 10)
    case = _closed_case(
        force,
        told_at=told,
        summary_only=True,
        incident_on=datetime.date(2026, 4, 20),
        reported_on=datetime.date(2026, 4, 21),
    )
    window = review_window(case)
    assert window.ask_by == _at(2026, 10, 20, 23, 59, 59)
    assert window.limited_by_incident
    # Not summary-only: only the 3 months count.
    case.summary_only = False
    assert review_window(case).ask_by == _at(2026, 12, 1, 23, 59, 59)


@pytest.mark.parametrize(
    "reason", [ClosingReason.VICTIM_WITHDREW, ClosingReason.NO_SUSPECT]
)
def test_no_review_where_the_scheme_does_not_apply(force, reason):
    officer = StaffFactory(force=force)
    case = CaseFactory(force=force)
    case_change_stage(case=case, stage=Stage.SUSPECT_ARRESTED, actor=officer)
    case_change_stage(
        case=case, stage=Stage.CLOSED, actor=officer, closing_reason=reason
    )
    case.refresh_from_db()
    assert review_window(case) is None
    assert review_refusal(case=case, now=_at(2026, 12, 1)) == "not_eligible"


def test_a_review_asked_for_after_the_window_is_refused_and_nothing_written(force):
    case = _closed_case(force, told_at=_at(2026, 1, 5, 10))
    link = CaseVictimFactory(case=case)
    with pytest.raises(RequestRefused) as refused:
        request_make(
            victim=link.victim,
            case=case,
            kind=RightKind.REVIEW,
            form_data={"text": "Please look again.", "reply_channel": "portal"},
            recorded_at=_at(2026, 4, 6, 9),
        )
    assert refused.value.code == "window_closed"
    assert not RightRequest.objects.exists()


def test_review_deadlines_skip_the_late_may_bank_holiday(force):
    case = _closed_case(force, told_at=_at(2026, 5, 1, 10))
    link = CaseVictimFactory(case=case)
    request = request_make(
        victim=link.victim,
        case=case,
        kind=RightKind.REVIEW,
        form_data={"text": "Please look again.", "reply_channel": "portal"},
        recorded_at=_at(2026, 5, 22, 10),  # Friday before Monday 25 May
    )
    assert request.acknowledge_clock.deadline == _at(2026, 6, 8, 23, 59, 59)
    assert request.done_clock.deadline == _at(2026, 7, 6, 23, 59, 59)


def test_a_complaint_deadline_skips_christmas_boxing_day_and_new_year(force):
    link = CaseVictimFactory(case=CaseFactory(force=force))
    request = request_make(
        victim=link.victim,
        case=link.case,
        kind=RightKind.COMPLAINT,
        form_data={"text": "Nobody called back.", "reply_channel": "portal"},
        recorded_at=_at(2026, 12, 23, 10),
    )
    # 25 December, 28 December (Boxing Day, a Saturday, moved) and 1 January do
    # not count, nor do weekends: the 10th working day is Monday 11 January.
    clock = request.acknowledge_clock
    assert clock.kind == CodeClockKind.COMPLAINT_ANSWERED
    assert clock.deadline == _at(2027, 1, 11, 23, 59, 59)
    assert request.done_clock is None


def test_a_personal_statement_contact_deadline_is_the_forces_setting(force):
    force.vps_contact_working_days = 3
    force.save(update_fields=["vps_contact_working_days"])
    officer = StaffFactory(force=force)
    case = CaseFactory(force=force)
    case_change_stage(case=case, stage=Stage.CHARGED, actor=officer)
    link = CaseVictimFactory(case=case)
    request = request_make(
        victim=link.victim,
        case=case,
        kind=RightKind.PERSONAL_STATEMENT,
        form_data={"reply_channel": "portal"},
        recorded_at=_at(2026, 12, 23, 10),
    )
    assert request.acknowledge_clock.kind == CodeClockKind.PERSONAL_STATEMENT_CONTACT
    assert request.acknowledge_clock.deadline == _at(2026, 12, 30, 23, 59, 59)


def test_a_personal_statement_is_refused_before_charge(case):
    link = CaseVictimFactory(case=case)
    with pytest.raises(RequestRefused) as refused:
        request_make(
            victim=link.victim,
            case=case,
            kind=RightKind.PERSONAL_STATEMENT,
            form_data={"reply_channel": "portal"},
        )
    assert refused.value.code == "not_yet_charged"


def test_requests_are_limited_per_victim(force):
    victim = CaseVictimFactory(case=CaseFactory(force=force)).victim
    cases = [CaseFactory(force=force) for _ in range(6)]
    for case in cases:
        CaseVictimFactory(case=case, victim=victim)
    form = {"text": "Nobody called back.", "reply_channel": "portal"}
    for case in cases[:5]:
        request_make(victim=victim, case=case, kind=RightKind.COMPLAINT, form_data=form)
    with pytest.raises(RequestRefused) as refused:
        request_make(
            victim=victim, case=cases[5], kind=RightKind.COMPLAINT, form_data=form
        )
    assert refused.value.code == "rate_limited"
    assert RightRequest.objects.count() == 5


def test_a_victim_not_on_the_case_cannot_ask(force, case):
    stranger = CaseVictimFactory(case=CaseFactory(force=force)).victim
    with pytest.raises(RequestRefused):
        request_make(
            victim=stranger,
            case=case,
            kind=RightKind.COMPLAINT,
            form_data={"text": "Hello", "reply_channel": "portal"},
        )
    assert not RightRequest.objects.exists()


def test_an_over_long_complaint_is_refused(case):
    link = CaseVictimFactory(case=case)
    with pytest.raises(RequestRefused) as refused:
        request_make(
            victim=link.victim,
            case=case,
            kind=RightKind.COMPLAINT,
            form_data={"text": "x" * 5001, "reply_channel": "portal"},
        )
    assert refused.value.code == "too_long"
