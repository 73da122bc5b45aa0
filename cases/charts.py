"""Month-by-month percentage charts, drawn as SVG on the server: geometry only,
for a template to draw, with a data table beside it. Used by the compliance page
and the victim feedback dashboard."""

from dataclasses import dataclass
from typing import Any

CHART_WIDTH, CHART_HEIGHT, CHART_TOP, CHART_LEFT = 640, 240, 20, 44
CHART_PLOT_HEIGHT = CHART_HEIGHT - CHART_TOP - 40


@dataclass(frozen=True)
class ChartPoint:
    label: str
    short_label: str
    percent: float | None
    low: float | None = None
    high: float | None = None


def _y(percent: float) -> float:
    return round(CHART_TOP + CHART_PLOT_HEIGHT * (100 - percent) / 100, 1)


def percent_chart(points: list[ChartPoint]) -> dict:
    """Return the geometry of a chart of one percentage per month: a bar for each,
    and, where an interval is given, a band from its low to its high end."""
    count = max(len(points), 1)
    slot = (CHART_WIDTH - CHART_LEFT - 10) / count
    bars = []
    for index, point in enumerate(points):
        height = CHART_PLOT_HEIGHT * (point.percent or 0) / 100
        bar: dict[str, Any] = {
            "label": point.label,
            "short_label": point.short_label,
            "percent": point.percent,
            "x": round(CHART_LEFT + index * slot + slot * 0.15, 1),
            "width": round(slot * 0.7, 1),
            "y": round(CHART_TOP + CHART_PLOT_HEIGHT - height, 1),
            "height": round(height, 1),
            "label_x": round(CHART_LEFT + index * slot + slot / 2, 1),
            "band": None,
        }
        if point.low is not None and point.high is not None:
            bar["band"] = {
                "x": round(CHART_LEFT + index * slot, 1),
                "width": round(slot, 1),
                "y": _y(point.high),
                "height": round(_y(point.low) - _y(point.high), 1),
                "low": point.low,
                "high": point.high,
            }
        bars.append(bar)
    gridlines = [{"percent": p, "y": _y(p)} for p in (0, 25, 50, 75, 100)]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "right": CHART_WIDTH - 10,
        "axis_y": CHART_TOP + CHART_PLOT_HEIGHT,
        "label_y": CHART_TOP + CHART_PLOT_HEIGHT + 18,
        "bars": bars,
        "gridlines": gridlines,
    }
