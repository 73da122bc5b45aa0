"""`{{ days|update_interval }}`: an interval as a victim reads it in a sentence."""

from django import template

from cases.intervals import interval_label

register = template.Library()


@register.filter
def update_interval(days: int | None) -> str:
    return interval_label(days, in_sentence=True) if days else ""
