"""Made-up responses for the demo data and the benchmark: written straight to the
table (not through the pool), with answers that lean positive and drift by month,
so that the dashboard and the public page have figures to show."""

import datetime
import random
from collections.abc import Iterator

from django.utils import timezone

from feedback.constants import OffenceGroup, StageGroup, Via, Wave
from feedback.models import FeedbackResponse
from feedback.services import month_of

COMMENTS = [
    "Please call back when you say you will.",
    "The officer was kind and explained everything.",
    "I waited weeks to hear anything. Ring me on 07700 900123.",
    "Updates online helped, thank you.",
    "Nobody told me the suspect had been released.",
    "Email me at someone@example.com instead of calling.",
    "Hard to get through on 101.",
    "",
    "",
    "",
]


def _months(count: int) -> list[datetime.date]:
    months = [month_of(timezone.now())]
    while len(months) < count:
        months.insert(0, (months[0] - datetime.timedelta(days=1)).replace(day=1))
    return months


def demo_responses(
    *, force_id: int, count: int, seed: int, months: int = 12
) -> Iterator[FeedbackResponse]:
    rng = random.Random(seed)  # noqa: S311 - made-up data, not a secret
    spread = _months(months)
    groups = OffenceGroup.values
    stages = StageGroup.values
    waves = Wave.values
    vias = Via.values
    for _ in range(count):
        index = rng.randrange(len(spread))
        lean = 0.55 + 0.2 * index / max(1, len(spread) - 1)

        def answer(lean: float = lean) -> int | None:
            if rng.random() < 0.08:
                return None
            return rng.choice((4, 5)) if rng.random() < lean else rng.randint(1, 3)

        yield FeedbackResponse(
            force_id=force_id,
            month=spread[index],
            offence_group=rng.choice(groups),
            stage_group=rng.choice(stages),
            wave=rng.choice(waves),
            language="en-gb",
            via=rng.choice(vias),
            overall=answer(),
            informed=answer(),
            fairness=answer(),
            contact=answer(),
            improve=rng.choice(COMMENTS),
        )
