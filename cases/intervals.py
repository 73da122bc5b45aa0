"""How an update interval (Right 6) reads to a victim, in the portal and on their
timeline."""

from django.utils.translation import ngettext


def interval_label(days: int, *, in_sentence: bool = False) -> str:
    """Return an interval as a victim reads it: "Every 4 weeks" as an answer, or
    "every 4 weeks" inside a sentence; in days if it is not whole weeks."""
    if days % 7 == 0:
        weeks = days // 7
        if in_sentence:
            text = ngettext("every week", "every %(weeks)s weeks", weeks)
        else:
            text = ngettext("Every week", "Every %(weeks)s weeks", weeks)
        return text % {"weeks": weeks}
    if in_sentence:
        text = ngettext("every day", "every %(days)s days", days)
    else:
        text = ngettext("Every day", "Every %(days)s days", days)
    return text % {"days": days}
