"""Feedback analysts (supervisors) see what their force's victims said: the share of
positive answers with a Wilson 95% interval and n, by month, quarter and group, with
small numbers suppressed (and secondary suppression), uptake, the kept-informed
share beside the Code on-time rate, redacted comments, and a suppressed export."""

import csv
import io

import pytest
from django.utils import timezone

from accounts.constants import StaffGroup
from audit.models import AuditEvent
from feedback.analysis import (
    feedback_report,
    redact,
    round_count,
    suppress_cells,
    wilson_interval,
)
from feedback.constants import OffenceGroup, StageGroup, Via, Wave
from feedback.models import FeedbackResponse
from feedback.services import feedback_counts_rebuild, month_of
from tests.factories import ForceFactory, StaffFactory, verified_staff_client

URL = "/admin/feedback/feedbackresponse/"


def _responses(force, n, *, month=None, positive=0, **fields):
    """n responses, the first `positive` of them positive on every question."""
    month = month or month_of(timezone.now())
    defaults = {
        "offence_group": OffenceGroup.PROPERTY,
        "stage_group": StageGroup.INVESTIGATING,
        "wave": Wave.CASE_PAGE,
        "language": "en-gb",
        "via": Via.PORTAL,
    }
    FeedbackResponse.objects.bulk_create(
        FeedbackResponse(
            force=force,
            month=month,
            overall=5 if i < positive else 2,
            informed=4 if i < positive else 1,
            fairness=5 if i < positive else 3,
            contact=4 if i < positive else 2,
            **{**defaults, **fields},
        )
        for i in range(n)
    )
    feedback_counts_rebuild()


@pytest.fixture
def analyst_client(client, supervisor):
    return verified_staff_client(client, supervisor)


def test_wilson_intervals_match_published_values():
    low, high = wilson_interval(8, 10)
    assert (round(low, 3), round(high, 3)) == (0.490, 0.943)
    low, high = wilson_interval(0, 20)
    assert low == 0 and round(high, 3) == 0.161


def test_a_single_small_cell_is_hidden_with_the_next_smallest():
    assert suppress_cells([50, 4, 30, 12]) == [False, True, False, True]
    assert suppress_cells([50, 4, 3, 12]) == [False, True, True, False]
    assert suppress_cells([50, 40]) == [False, False]
    # Within a margin too (a quarter's months): 4 could be had from the quarter.
    assert suppress_cells([20, 4, 15, 3, 30, 40], [[0, 1, 2], [3, 4, 5]]) == [
        False,
        True,
        True,
        True,
        True,
        False,
    ]


def test_counts_are_rounded_to_the_nearest_five():
    assert [round_count(n) for n in (10, 12, 13, 17, 18)] == [10, 10, 15, 15, 20]


def test_no_suppressed_cell_can_be_worked_out_from_a_total(force):
    _responses(force, 40, positive=30)
    _responses(force, 6, positive=6, offence_group=OffenceGroup.FRAUD)
    _responses(force, 12, positive=3, offence_group=OffenceGroup.VIOLENCE)
    report = feedback_report(force=force, months=12)
    table = next(t for t in report.tables if t.key == "offence_group")
    hidden = {row.key: row.responses_suppressed for row in table.rows}
    assert hidden == {
        OffenceGroup.VIOLENCE: True,
        OffenceGroup.PROPERTY: False,
        OffenceGroup.FRAUD: True,
    }
    assert report.overall.responses == 58
    overall = report.overall.shares["overall"]
    assert (overall.n, overall.positive, overall.percent) == (58, 39, 67.2)


def test_an_analyst_sees_shares_with_intervals_and_suppression(analyst_client, force):
    _responses(force, 40, positive=30)
    _responses(force, 5, positive=5, offence_group=OffenceGroup.FRAUD)
    html = analyst_client.get(URL).content.decode()
    assert "Victim Voice" in html
    low, high = wilson_interval(35, 45)
    assert (
        '77.8% <span class="feedback-interval">'
        f"({100 * low:.1f}–{100 * high:.1f}%, n=45)" in html
    )
    assert "suppressed" in html
    assert "<svg" in html and 'role="img"' in html
    assert 'id="accountability"' in html and "Code events told on time" in html
    assert AuditEvent.objects.filter(
        object_type="feedback_figures",
        actor_id=str(analyst_client.session["_auth_user_id"]),
    ).exists()


def test_officers_and_other_forces_cannot_see_the_figures(client, force, officer):
    _responses(force, 40, positive=30)
    response = verified_staff_client(client, officer).get(URL)
    assert response.status_code == 403
    outsider = StaffFactory(
        force=ForceFactory(), username="other-super", group=StaffGroup.SUPERVISOR
    )
    html = verified_staff_client(client, outsider).get(URL).content.decode()
    assert "n=40" not in html


def test_comments_are_redacted_shown_only_for_ten_or_more_and_never_exported(
    analyst_client, force
):
    FeedbackResponse.objects.bulk_create(
        FeedbackResponse(
            force=force,
            month=month_of(timezone.now()),
            offence_group=OffenceGroup.PROPERTY,
            stage_group=StageGroup.INVESTIGATING,
            wave=Wave.CASE_PAGE,
            language="en-gb",
            via=Via.PORTAL,
            overall=4,
            improve=f"Comment {i}: ring me on 07700 900123 or jo@example.com about "
            "NS/10001/26 at SW1A 1AA",
        )
        for i in range(10)
    )
    feedback_counts_rebuild()
    html = analyst_client.get(URL).content.decode()
    assert "Comment 3" in html
    for secret in ("07700 900123", "jo@example.com", "NS/10001/26", "SW1A 1AA"):
        assert secret not in html
    assert "[phone number removed]" in html and "[postcode removed]" in html
    export = analyst_client.get(URL + "?format=csv")
    body = b"".join(export.streaming_content).decode()
    assert "Comment" not in body and "07700" not in body


def test_a_month_of_many_comments_shows_fifty_chosen_at_random(force):
    from feedback.analysis import FREE_TEXT_SHOWN, feedback_comments

    _responses(force, 120)
    for number, pk in enumerate(FeedbackResponse.objects.values_list("pk", flat=True)):
        FeedbackResponse.objects.filter(pk=pk).update(improve=f"Comment {number}")
    FeedbackResponse.objects.filter(improve="Comment 0").update(improve="")
    feedback_counts_rebuild()
    seen: set[str] = set()
    for _ in range(8):
        shown = feedback_comments(force=force, month=None).comments
        assert len(shown) == len(set(shown)) == FREE_TEXT_SHOWN
        assert "" not in shown
        seen.update(shown)
    # Different comments each time, from the whole month: not the same first 50.
    assert len(seen) > 100


def test_nine_comments_are_not_shown(analyst_client, force):
    _responses(force, 20, positive=10)
    FeedbackResponse.objects.filter(
        pk__in=list(FeedbackResponse.objects.values_list("pk", flat=True)[:9])
    ).update(improve="A comment")
    feedback_counts_rebuild()
    html = analyst_client.get(URL).content.decode()
    assert "A comment" not in html
    assert "No month in the period has 10 or more comments yet." in html


def test_the_export_is_suppressed_and_rounded(analyst_client, force):
    _responses(force, 43, positive=30)
    _responses(force, 4, positive=4, offence_group=OffenceGroup.FRAUD)
    response = analyst_client.get(URL + "?format=csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["table", "group", "responses"]
    everything = next(row for row in rows if row[0] == "all")
    assert everything[2] == "45"  # 47, rounded to the nearest 5
    fraud = next(row for row in rows if row[0] == "offence_group" and row[1] == "Fraud")
    assert fraud[2] == "suppressed"
    assert AuditEvent.objects.filter(
        object_type="feedback_export", action="disclose"
    ).exists()


def test_redaction_removes_contact_details_references_and_postcodes():
    text = redact("Call +44 7700 900 123, mail a.b@c.co.uk, ref NS/01234/26, LS1 4AP.")
    assert text == (
        "Call [phone number removed], mail [email address removed], ref "
        "[crime reference removed], [postcode removed]."
    )


# The session, the user, their second factor, their permissions (twice, user and
# group), the force; then the counts added up by month, offence group, stage,
# language, wave, and channel and wave (one query); the invitations, the Code
# figures (counted months and live events), the months with enough comments, and
# the audit row. No month has 10 comments here, so the comments themselves are not
# read.
DASHBOARD_QUERIES = 12


def test_the_dashboard_makes_a_fixed_number_of_queries(
    analyst_client, force, django_assert_num_queries
):
    for group in OffenceGroup.values:
        _responses(force, 15, positive=7, offence_group=group)
    analyst_client.get(URL)
    with django_assert_num_queries(DASHBOARD_QUERIES):
        assert analyst_client.get(URL).status_code == 200
    for wave in Wave.values:
        _responses(force, 15, positive=7, wave=wave)
    with django_assert_num_queries(DASHBOARD_QUERIES):
        analyst_client.get(URL + "?months=24")
