"""Victim Voice figures: the share of positive answers with a Wilson 95% interval,
with small numbers suppressed so that no figure rests on fewer than 10 people.

1. Every figure is counted from FeedbackResponse in one grouped query per page
   (force, months, and the coarse groups), then put together here.
2. A cell (a row of a table, for one question) with fewer than SUPPRESS_BELOW
   answers is suppressed. Secondary suppression: where a table's rows add up to a
   total that is shown (a table's total, or a quarter for its months), a single
   suppressed cell could be worked out by subtraction, so the smallest other cell
   is suppressed too.
3. Exports round every count to the nearest EXPORT_ROUNDING; free text is never
   exported, and is shown only to feedback analysts, redacted, in a random order,
   for months with at least SUPPRESS_BELOW comments.
"""

import datetime
import math
import re
import secrets
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import CharField, Count, Sum, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from cases.compliance import code_on_time_by_month
from cases.models import Force
from feedback.constants import (
    EXPORT_ROUNDING,
    SUPPRESS_BELOW,
    OffenceGroup,
    Question,
    StageGroup,
    Via,
    Wave,
)
from feedback.models import FeedbackCount, FeedbackResponse, FeedbackSnapshot
from feedback.services import month_of
from notifications.constants import MessageKind, NotificationStatus
from notifications.models import Notification

Z_95 = 1.959964
QUESTIONS = list(Question)
PERIODS = (3, 12, 24)
FREE_TEXT_SHOWN = 50
_QUESTION_KEYS = [
    (str(q.value), f"{q.value}_n", f"{q.value}_positive") for q in QUESTIONS
]


def wilson_interval(positive: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Return the Wilson score interval for `positive` of `n`, as fractions."""
    if n == 0:
        return 0.0, 1.0
    p = positive / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def round_count(n: int) -> int:
    """Round a count to the nearest EXPORT_ROUNDING (halves up)."""
    return int(n / EXPORT_ROUNDING + 0.5) * EXPORT_ROUNDING


@dataclass
class Share:
    """One question's answers in one cell: how many answered, how many positively."""

    n: int = 0
    positive: int = 0
    suppressed: bool = False

    @property
    def shown(self) -> bool:
        return not self.suppressed and self.n > 0

    @property
    def percent(self) -> float | None:
        return round(100 * self.positive / self.n, 1) if self.shown else None

    @property
    def interval(self) -> tuple[float, float] | None:
        if not self.shown:
            return None
        low, high = wilson_interval(self.positive, self.n)
        return round(100 * low, 1), round(100 * high, 1)

    @property
    def low(self) -> float | None:
        return self.interval[0] if self.interval else None

    @property
    def high(self) -> float | None:
        return self.interval[1] if self.interval else None


@dataclass
class Row:
    label: str
    key: object = None
    responses: int = 0
    responses_suppressed: bool = False
    shares: dict[str, Share] = field(
        default_factory=lambda: {question.value: Share() for question in QUESTIONS}
    )

    def add(self, row: dict) -> None:
        self.responses += row["responses"]
        shares = self.shares
        # Plain strings: called for every group in every table (thousands of times).
        for key, n_key, positive_key in _QUESTION_KEYS:
            share = shares[key]
            share.n += row[n_key]
            share.positive += row[positive_key]

    @property
    def question_shares(self) -> list[Share]:
        return [self.shares[question.value] for question in QUESTIONS]


def suppress_cells(counts: list[int], margins: Iterable[list[int]] = ()) -> list[bool]:
    """Return which cells to suppress: those under SUPPRESS_BELOW (primary), and
    for each group of cells whose total is shown (every cell, and each of
    `margins`, lists of indexes), one more where a single non-empty cell would
    otherwise be the only one hidden (secondary)."""
    hidden = [count < SUPPRESS_BELOW for count in counts]
    groups = [list(range(len(counts))), *margins]
    changed = True
    while changed:
        changed = False
        for group in groups:
            alone = [i for i in group if hidden[i] and counts[i] > 0]
            if len(alone) != 1:
                continue
            others = [i for i in group if not hidden[i] and counts[i] > 0]
            if others:
                hidden[min(others, key=lambda i: counts[i])] = True
                changed = True
    return hidden


def _suppress(rows: list[Row], margins: Iterable[list[int]] = ()) -> None:
    margins = list(margins)
    for i, flag in enumerate(suppress_cells([row.responses for row in rows], margins)):
        rows[i].responses_suppressed = flag
    for question in QUESTIONS:
        shares = [row.shares[question.value] for row in rows]
        flags = suppress_cells([share.n for share in shares], margins)
        for share, flag, row in zip(shares, flags, rows, strict=True):
            share.suppressed = flag or row.responses_suppressed


@dataclass
class Table:
    key: str
    title: str
    first_column: str
    rows: list[Row]


@dataclass
class Uptake:
    label: str
    responses: int
    invitations: int
    suppressed: bool

    @property
    def percent(self) -> float | None:
        if self.suppressed or not self.invitations:
            return None
        return round(100 * self.responses / self.invitations, 1)


@dataclass
class Report:
    force: Force
    months: list[datetime.date]
    overall: Row
    tables: list[Table]
    uptake: list[Uptake]
    accountability: list[dict]


def _month_label(month: datetime.date) -> str:
    return date_format(month, "F Y")


def _quarter_of(month: datetime.date) -> tuple[int, int]:
    return month.year, (month.month - 1) // 3 + 1


def period_months(
    months: int, now: datetime.datetime | None = None
) -> list[datetime.date]:
    """The last `months` months, this one included, oldest first."""
    last = month_of(now or timezone.now())
    result = [last]
    while len(result) < months:
        result.insert(0, (result[0] - datetime.timedelta(days=1)).replace(day=1))
    return result


_SUMMED = ["responses", *(key for keys in _QUESTION_KEYS for key in keys[1:])]


# The ways the figures are broken down: one table each, and the uptake's pair.
BREAKDOWNS: tuple[tuple[str, ...], ...] = (
    ("month",),
    ("language",),
    ("offence_group",),
    ("stage_group",),
    ("wave",),
    ("via", "wave"),
)


def _counts(force_id: int, since: datetime.date) -> dict[tuple[str, ...], list[dict]]:
    """The period's counts added up in the database for each of BREAKDOWNS, from
    FeedbackCount (one row per month and group, kept as responses are written
    out), in one query: a UNION ALL of one GROUP BY per breakdown, each keyed by
    text so that the branches line up."""
    period = FeedbackCount.objects.filter(force_id=force_id, month__gte=since)
    sums = {name: Sum(name) for name in _SUMMED}
    branches = [
        period.values(
            breakdown=Value(index),
            first=Cast(by[0], CharField()),
            second=Cast(by[1], CharField())
            if len(by) > 1
            else Value("", output_field=CharField()),
        )
        .annotate(**sums)
        .order_by()
        for index, by in enumerate(BREAKDOWNS)
    ]
    result: dict[tuple[str, ...], list[dict]] = {by: [] for by in BREAKDOWNS}
    for row in branches[0].union(*branches[1:], all=True):
        by = BREAKDOWNS[row.pop("breakdown")]
        first, second = row.pop("first"), row.pop("second")
        keys = dict(zip(by, (first, second), strict=False))
        if "month" in keys:
            keys["month"] = datetime.date.fromisoformat(keys["month"])
        result[by].append({**keys, **row})
    return result


def _table(key, title, first_column, counts, choices, attribute) -> Table:
    rows: dict[str, Row] = {}
    for row in counts:
        value = row[attribute]
        if value not in rows:
            rows[value] = Row(label=str(choices.get(value, value)), key=value)
        rows[value].add(row)
    order = list(choices)
    ordered = sorted(
        rows.values(),
        key=lambda r: (order.index(r.key) if r.key in order else 99, r.label),
    )
    _suppress(ordered)
    return Table(key, title, first_column, ordered)


def feedback_report(*, force: Force, months: int = 12) -> Report:
    """Return a force's figures over the last `months` months: overall, by month,
    quarter, offence group, stage, language and wave; uptake; and the kept-informed
    share beside the Victims' Code on-time rate. Four queries: the counts (adding
    up a few thousand rows), the invitations, and the Code figures (two)."""
    period = period_months(months)
    since = period[0]
    breakdowns = _counts(force.pk, since)
    counts = breakdowns[("month",)]
    overall = Row(label=gettext("All"))
    by_month = {month: Row(label=_month_label(month), key=month) for month in period}
    quarters: dict[tuple[int, int], Row] = {}
    for month in period:
        year, quarter = _quarter_of(month)
        quarters.setdefault(
            (year, quarter),
            Row(
                label=gettext("%(year)s quarter %(quarter)s")
                % {"year": year, "quarter": quarter},
                key=(year, quarter),
            ),
        )
    for row in counts:
        overall.add(row)
        by_month[row["month"]].add(row)
        quarters[_quarter_of(row["month"])].add(row)
    _suppress([overall])
    month_rows = list(by_month.values())
    margins: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, month in enumerate(period):
        margins[_quarter_of(month)].append(index)
    _suppress(month_rows, margins.values())
    quarter_rows = list(quarters.values())
    _suppress(quarter_rows)
    by_language = breakdowns[("language",)]
    languages = {row["language"]: row["language"] for row in by_language}
    tables = [
        Table("month", gettext("By month"), gettext("Month"), month_rows),
        Table("quarter", gettext("By quarter"), gettext("Quarter"), quarter_rows),
        _table(
            "offence_group",
            gettext("By offence group"),
            gettext("Offence group"),
            breakdowns[("offence_group",)],
            dict(OffenceGroup.choices),
            "offence_group",
        ),
        _table(
            "stage_group",
            gettext("By stage or outcome when they answered"),
            gettext("Stage or outcome"),
            breakdowns[("stage_group",)],
            dict(StageGroup.choices),
            "stage_group",
        ),
        _table(
            "language",
            gettext("By language"),
            gettext("Language"),
            by_language,
            languages,
            "language",
        ),
        _table(
            "wave",
            gettext("By wave"),
            gettext("Wave"),
            breakdowns[("wave",)],
            dict(Wave.choices),
            "wave",
        ),
    ]
    return Report(
        force=force,
        months=period,
        overall=overall,
        tables=tables,
        uptake=_uptake(force.pk, since, breakdowns[("via", "wave")]),
        accountability=_accountability(force.pk, period, by_month),
    )


def _uptake(force_id: int, since: datetime.date, counts: list[dict]) -> list[Uptake]:
    """Responses over invitations sent, by channel and wave."""
    start = datetime.datetime.combine(since, datetime.time(), tzinfo=datetime.UTC)
    invitations: dict[tuple[str, str], int] = {
        (row["channel"], row["feedback_wave"]): row["n"]
        for row in Notification.objects.filter(
            force_id=force_id,
            kind=MessageKind.FEEDBACK_INVITATION,
            status__in=[NotificationStatus.SENT, NotificationStatus.DELIVERED],
            created_at__gte=start,
        )
        .values("channel", "feedback_wave")
        .annotate(n=Count("id"))
        .order_by()
    }
    responses: dict[tuple[str, str], int] = defaultdict(int)
    for row in counts:
        if row["via"] != Via.PORTAL:
            responses[(row["via"], row["wave"])] += row["responses"]
    keys = sorted(set(invitations) | set(responses))
    answered = [responses.get(key, 0) for key in keys]
    flags = suppress_cells(answered)
    waves, vias = dict(Wave.choices), dict(Via.choices)
    return [
        Uptake(
            label=f"{vias.get(channel, channel)}, {str(waves.get(wave, wave)).lower()}",
            responses=answered[i],
            invitations=invitations.get((channel, wave), 0),
            suppressed=flags[i],
        )
        for i, (channel, wave) in enumerate(keys)
    ]


def _accountability(force_id, period, by_month: dict[datetime.date, Row]) -> list[dict]:
    """Per month: the share who say they were kept informed, beside the share of
    the force's Victims' Code events told on time."""
    days = (timezone.now().date() - period[0]).days + 1
    on_time = {
        row.key: row for row in code_on_time_by_month(force_id=force_id, days=days)
    }
    return [
        {
            "label": _month_label(month),
            "informed": by_month[month].shares[Question.INFORMED],
            "on_time_percent": on_time[month].on_time_percent
            if month in on_time
            else None,
            "events": on_time[month].events if month in on_time else 0,
        }
        for month in period
    ]


def report_csv_rows(report: Report) -> list[list[str]]:
    """The tables as CSV rows, suppressed, with counts rounded to the nearest 5.
    Never any free text."""
    header = ["table", "group", "responses"]
    for question in QUESTIONS:
        header += [
            f"{question.value}_answered",
            f"{question.value}_positive_percent",
            f"{question.value}_low_95",
            f"{question.value}_high_95",
        ]
    rows = [header]
    tables = [Table("all", gettext("All"), "", [report.overall]), *report.tables]
    for table in tables:
        for row in table.rows:
            line = [
                table.key,
                row.label,
                "suppressed"
                if row.responses_suppressed
                else str(round_count(row.responses)),
            ]
            for share in row.question_shares:
                if share.shown:
                    line += [
                        str(round_count(share.n)),
                        str(share.percent),
                        str(share.low),
                        str(share.high),
                    ]
                else:
                    line += ["suppressed", "", "", ""]
            rows.append(line)
    return rows


_REDACTIONS = [
    (re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+"), "[email address removed]"),
    (
        re.compile(r"\b[A-Z]{1,4}\s*[/-]?\s*\d{3,}\s*[/-]\s*\d{2,4}\b", re.IGNORECASE),
        "[crime reference removed]",
    ),
    (
        re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE),
        "[postcode removed]",
    ),
    (re.compile(r"(?:\+|\b)\d[\d\s().-]{7,}\d\b"), "[phone number removed]"),
]


def redact(text: str) -> str:
    """Remove email addresses, crime references, postcodes and phone numbers."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


@dataclass(frozen=True)
class Comments:
    months: list[tuple[datetime.date, str]]
    month: datetime.date | None
    comments: list[str]


def feedback_comments(*, force: Force, month: str | None, months: int = 12) -> Comments:
    """Return the redacted comments of one month, in a random order, for months
    with at least SUPPRESS_BELOW comments; and which months have enough. Two
    queries."""
    period = period_months(months)
    eligible = [
        row["month"]
        for row in FeedbackCount.objects.filter(force=force, month__gte=period[0])
        .values("month")
        .annotate(n=Sum("comments"))
        .filter(n__gte=SUPPRESS_BELOW)
        .order_by("-month")
    ]
    chosen = next((m for m in eligible if m.isoformat() == month), None)
    chosen = chosen or (eligible[0] if eligible else None)
    comments: list[str] = []
    if chosen is not None:
        comments = [redact(text) for text in _random_comments(force.pk, chosen)]
    return Comments(
        months=[(m, _month_label(m)) for m in eligible], month=chosen, comments=comments
    )


def _random_comments(force_id: int, month: datetime.date) -> list[str]:
    """Return up to FREE_TEXT_SHOWN of the month's comments, chosen at random and
    shuffled. Response ids are random, so the comments that follow a random id in
    id order are a random choice: read through the comments' index (force, month,
    id), without sorting a whole month's comments. Two queries at most."""
    comments = FeedbackResponse.objects.filter(force_id=force_id, month=month).exclude(
        improve=""
    )
    start = uuid.uuid4()
    texts = list(
        comments.filter(id__gte=start)
        .order_by("id")
        .values_list("improve", flat=True)[:FREE_TEXT_SHOWN]
    )
    if len(texts) < FREE_TEXT_SHOWN:  # wrap round to the first ids
        texts += (
            comments.filter(id__lt=start)
            .order_by("id")
            .values_list("improve", flat=True)[: FREE_TEXT_SHOWN - len(texts)]
        )
    secrets.SystemRandom().shuffle(texts)
    return texts


def _published(share: Share) -> dict:
    if not share.shown:
        return {"suppressed": True}
    return {
        "suppressed": False,
        "n": round_count(share.n),
        "percent": share.percent,
        "low": share.low,
        "high": share.high,
    }


def feedback_snapshot_figures(*, force: Force) -> dict:
    """The published figures: the last 12 months' share for each question, and the
    overall question by quarter, suppressed and rounded."""
    report = feedback_report(force=force, months=12)
    quarters = next(table for table in report.tables if table.key == "quarter")
    return {
        "first_month": _month_label(report.months[0]),
        "last_month": _month_label(report.months[-1]),
        "responses": None
        if report.overall.responses_suppressed
        else round_count(report.overall.responses),
        "questions": {
            question.value: _published(report.overall.shares[question.value])
            for question in QUESTIONS
        },
        "quarters": [
            {
                "label": row.label,
                **{
                    question.value: _published(row.shares[question.value])
                    for question in QUESTIONS
                },
            }
            for row in quarters.rows
        ],
    }


def feedback_snapshots_refresh() -> int:
    """Work out and store every force's published figures; return how many."""
    now = timezone.now()
    forces = list(Force.objects.all())
    for force in forces:
        FeedbackSnapshot.objects.update_or_create(
            force=force,
            defaults={
                "computed_at": now,
                "figures": feedback_snapshot_figures(force=force),
            },
        )
    return len(forces)
