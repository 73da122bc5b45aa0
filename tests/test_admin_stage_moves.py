"""A case moved back a stage, or reopened, only when the officer confirms it, with
what the victims will be told in front of them and theirs to reword."""

from cases.constants import EntryKind, Stage
from cases.models import Case, TimelineEntry
from tests.test_admin_case_changes import _case_form


def _arrested(case):
    Case.objects.filter(pk=case.pk).update(stage=Stage.SUSPECT_ARRESTED)
    case.refresh_from_db()
    return case


def _post(client, case, **changes):
    return client.post(
        f"/admin/cases/case/{case.pk}/change/", _case_form(case, **changes)
    )


def test_a_backward_move_asks_for_confirmation_and_writes_nothing(officer_client, case):
    case = _arrested(case)
    response = _post(officer_client, case, stage=Stage.REPORTED)
    assert response.status_code == 200
    page = response.content.decode()
    assert "This moves the case back from" in page
    assert "Your case has moved to a new stage: Reported." in page
    case.refresh_from_db()
    assert case.stage == Stage.SUSPECT_ARRESTED
    assert not TimelineEntry.objects.filter(kind=EntryKind.STAGE_CHANGE).exists()


def test_a_confirmed_backward_move_tells_the_victims_the_reworded_text(
    officer_client, case
):
    case = _arrested(case)
    response = _post(
        officer_client,
        case,
        stage=Stage.UNDER_INVESTIGATION,
        stage_message="The suspect was released; we are still investigating.",
        confirm_backward_move="on",
    )
    assert response.status_code == 302
    entry = TimelineEntry.objects.get(kind=EntryKind.STAGE_CHANGE)
    assert entry.victim_text == "The suspect was released; we are still investigating."


def test_reopening_a_closed_case_asks_for_confirmation(officer_client, case):
    Case.objects.filter(pk=case.pk).update(
        stage=Stage.CLOSED, closing_reason="no_suspect"
    )
    case.refresh_from_db()
    response = _post(officer_client, case, stage=Stage.UNDER_INVESTIGATION)
    assert "This moves the case back from" in response.content.decode()
    assert Case.objects.get(pk=case.pk).stage == Stage.CLOSED


def test_a_forward_move_needs_no_confirmation(officer_client, case):
    assert (
        _post(officer_client, case, stage=Stage.UNDER_INVESTIGATION).status_code == 302
    )
