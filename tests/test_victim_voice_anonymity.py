"""The re-identification attack: 50 victims answer the survey in a known order
(30 from the case page, 20 from the signed-out page with its token), and
someone with full read access to the database, the logs and the audit trail tries
to tell which response is whose. Every attack must fail: no field links a response
to anyone, and no order a response can be sorted by (its id, where it sits on disk,
the transaction that wrote it) follows the order in which victims answered beyond
chance."""

import logging
import random
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client

from audit.models import AuditEvent
from cases.constants import OffenceCategory
from feedback.constants import Wave
from feedback.models import FeedbackResponse, PendingAnswer
from feedback.services import feedback_pool_flush
from notifications.models import Notification
from tests.factories import CaseFactory, CaseVictimFactory
from victims.portal import portal_session_data

pytestmark = pytest.mark.usefixtures("portal")

VICTIMS = 50
# Two coarse groups of 30 and 20 (burglary and theft are both "property").
OFFENCES = [OffenceCategory.BURGLARY, OffenceCategory.THEFT] * 15 + [
    OffenceCategory.ASSAULT
] * 20


def _everything_but_responses() -> list[str]:
    """Every value of every row of every other table, as text: what an attacker
    with full read access to the database can search."""
    values = []
    for model in apps.get_models():
        if model is FeedbackResponse or model._meta.proxy:
            continue
        for row in model._default_manager.values_list():
            values += [str(value) for value in row]
    return values


def _physical_order() -> dict[str, int]:
    """Each response's position on disk: ctid on PostgreSQL, rowid on SQLite."""
    table = FeedbackResponse._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT id::text FROM {table} ORDER BY ctid")  # noqa: S608
        else:
            cursor.execute(f"SELECT id FROM {table} ORDER BY rowid")  # noqa: S608
        ids = [str(uuid.UUID(str(row[0]))) for row in cursor.fetchall()]
    return {response_id: position for position, response_id in enumerate(ids)}


# The responses each flush wrote: what an attacker reads from xmin on PostgreSQL.
BATCHES: list[set] = []
# The signed-out page's tokens, which must be kept nowhere.
TOKENS: list[str] = []


@pytest.fixture
def answered(django_capture_on_commit_callbacks, portal, force, settings, caplog):
    """50 victims answer, one after another, with answers the test can recognise
    (the attacker does not know them: they stand for what each victim chose). The
    pool is flushed as Celery beat would, after the 25th and the 50th answer."""
    settings.FEEDBACK_FLUSH_AFTER_ANSWER = False
    BATCHES.clear()
    TOKENS.clear()
    caplog.set_level(logging.DEBUG)
    order = list(range(VICTIMS))
    random.Random(12).shuffle(order)
    victims = []
    for position, n in enumerate(order):
        case = CaseFactory(
            force=force,
            crime_reference=f"NS/{n + 300:05d}/26",
            offence_category=OFFENCES[n],
        )
        link = CaseVictimFactory(
            case=case, victim__email=f"a{n}@example.com", victim__force=force
        )
        client = _signed_in(link, REMOTE_ADDR=f"192.0.2.{n + 1}")
        answers = {
            "overall": str(1 + position % 5),
            "improve": f"marker {position:02d}",
        }
        if n >= 30:
            # The 20 victims of assault answer from the signed-out page, with its
            # token and no session: a group of its own, as the wave differs.
            location = client.post("/sign-out/")["Location"]
            (token,) = parse_qs(urlsplit(location).query)["feedback"]
            TOKENS.append(token)
            client = Client(REMOTE_ADDR=f"192.0.2.{n + 1}")
            url, answers = (
                "/your-say/after-signing-out/",
                {
                    **answers,
                    "wave": Wave.SIGNED_OUT,
                    "token": token,
                },
            )
        else:
            url, answers = "/your-say/", {**answers, "wave": Wave.CASE_PAGE}
        audit_before = AuditEvent.objects.count()
        messages_before = Notification.objects.count()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, answers)
        assert response.status_code == 303
        # Nothing written about the answer beyond the offer and the pool.
        assert AuditEvent.objects.count() == audit_before
        assert Notification.objects.count() == messages_before
        victims.append(link)
        if position + 1 in (25, 50):
            written = set(FeedbackResponse.objects.values_list("id", flat=True))
            feedback_pool_flush()
            BATCHES.append(
                set(FeedbackResponse.objects.values_list("id", flat=True)) - written
            )
    assert not PendingAnswer.objects.exists()
    return victims


def _signed_in(link, **extra) -> Client:
    """A client signed in as the victim on the case (as after entering a code)."""
    client = Client(**extra)
    session = SessionStore()
    session.update(portal_session_data(victim_id=link.victim_id, case_id=link.case_id))
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = str(session.session_key)
    return client


def _answer_position(response: FeedbackResponse) -> int:
    return int(response.improve.removeprefix("marker "))


def test_every_answer_is_written_out_and_the_pool_is_emptied(answered):
    assert FeedbackResponse.objects.count() == VICTIMS
    assert sorted(map(_answer_position, FeedbackResponse.objects.all())) == list(
        range(VICTIMS)
    )


def test_no_field_of_a_response_appears_anywhere_else(answered, caplog):
    elsewhere = set(_everything_but_responses())
    logged = "\\n".join(record.getMessage() for record in caplog.records)
    for response in FeedbackResponse.objects.all():
        assert str(response.id) not in elsewhere
        assert str(response.id) not in logged
        assert response.improve not in logged
    fields = {f.name for f in FeedbackResponse._meta.get_fields()}
    assert fields == {
        "id",
        "force",
        "month",
        "offence_group",
        "stage_group",
        "wave",
        "language",
        "via",
        "overall",
        "informed",
        "fairness",
        "contact",
        "improve",
    }
    # No time finer than the month, and one month for all.
    assert FeedbackResponse.objects.values("month").distinct().count() == 1


def test_the_signed_out_pages_tokens_are_kept_nowhere(answered, caplog):
    assert len(TOKENS) == 20
    elsewhere = "\n".join(_everything_but_responses())
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for token in TOKENS:
        signature = token.rsplit(":", 1)[1]
        assert signature not in elsewhere and signature not in logged


def test_no_audit_row_or_log_line_names_a_response_or_an_answering_victim(
    answered, caplog
):
    batches = AuditEvent.objects.filter(object_type="feedback_batch")
    assert [b.detail["responses"] for b in batches.order_by("id")] == [
        len(batch) for batch in BATCHES
    ]
    assert all(b.ip_address is None and b.case_id is None for b in batches)
    for record in caplog.records:
        assert "feedback" not in record.name or "pool" not in record.getMessage()


def _batches() -> list[list[FeedbackResponse]]:
    responses = list(FeedbackResponse.objects.all())
    return [[r for r in responses if r.id in batch] for batch in BATCHES]


def _ranks(values: list) -> list[int]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    result = [0] * len(values)
    for rank, index in enumerate(order):
        result[index] = rank
    return result


def _within_batches(order_of) -> float:
    """Spearman's rho between answer order and `order_of` within the batches the
    pool wrote out, all batches taken together (ranks centred in each batch): what
    an attacker who knows which batch each victim is in could read from that order.
    Taken together, because one batch of ten alone shows |rho| of 0.6 or more by
    chance about one time in fifteen; all fifty answers do so about once in 40,000
    runs, while an order that leaks in every batch still gives a rho near 1."""
    products = squares_x = squares_y = 0.0
    for batch in _batches():
        xs = _ranks([_answer_position(r) for r in batch])
        ys = _ranks([order_of(r) for r in batch])
        middle = (len(batch) - 1) / 2
        for x, y in zip(xs, ys, strict=True):
            products += (x - middle) * (y - middle)
            squares_x += (x - middle) ** 2
            squares_y += (y - middle) ** 2
    return products / (squares_x * squares_y) ** 0.5


def test_the_random_ids_do_not_follow_the_answer_order(answered):
    assert abs(_within_batches(lambda r: r.id.int)) < 0.6


def test_where_a_response_sits_on_disk_does_not_follow_the_answer_order(answered):
    positions = _physical_order()
    assert abs(_within_batches(lambda r: positions[str(r.id)])) < 0.6


@pytest.mark.postgres
def test_the_transaction_that_wrote_a_response_tells_only_its_batch(answered):
    """xmin: every response of a batch was written by one transaction."""
    table = FeedbackResponse._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT xmin::text::bigint, count(*) FROM {table} GROUP BY 1"  # noqa: S608
        )
        batches = dict(cursor.fetchall())
    assert sorted(batches.values()) == sorted(len(batch) for batch in BATCHES)


def test_guessing_from_every_observable_order_does_no_better_than_chance(answered):
    """The strongest attacker: knows each victim's batch and coarse groups, and
    guesses that the k-th victim of a group to answer wrote the k-th response of
    that group in some order (id, disk). Each victim hides among at least 10, and
    the guesses come right about as often as chance."""
    positions = _physical_order()
    for order_of in (lambda r: r.id.int, lambda r: positions[str(r.id)]):
        hits = 0
        for batch in _batches():
            groups: dict[tuple, list] = {}
            for r in batch:
                key = (r.offence_group, r.stage_group, r.via, r.wave)
                groups.setdefault(key, []).append(r)
            for members in groups.values():
                assert len(members) >= 10
                by_answer = sorted(members, key=_answer_position)
                by_order = sorted(members, key=order_of)
                hits += sum(a is b for a, b in zip(by_answer, by_order, strict=True))
        # Chance gives about one right guess per group (at most 4 here); 9 or more
        # would happen by chance well under once in a thousand runs.
        assert hits < 9
