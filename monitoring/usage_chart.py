"""Server-rendered usage bar chart for the key page: the geometry of one SVG bar per day or hour.

Drawn on the server so it needs no script and no inline style (the CSP allows neither): bar sizes are
SVG attributes, not CSS. Every bar has a minimum visible height when non-zero, and every slot carries
its exact numbers for the hover <title> and the data table beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

WIDTH, HEIGHT = 720, 200
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 26
MIN_BAR = 3  # px: a non-zero value never vanishes into the baseline


@dataclass(frozen=True)
class Bar:
    label: str  # axis label ("" where the axis skips it)
    name: str  # full name of the slot, for the title and the table
    requests: int
    failures: int
    x: float
    width: float
    slot_x: float
    slot_width: float
    label_x: float
    y: float
    height: float
    fail_y: float
    fail_height: float


def _height(value: int, top: int, plot: float) -> float:
    if value <= 0:
        return 0.0
    return max(MIN_BAR, round(value / top * plot, 1))


def bar_chart(rows: list[tuple[str, int, int]], *, hourly: bool) -> dict[str, object]:
    """Geometry for `rows` of (ISO day or hour, requests, failures), oldest first."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_h
    top = max([max(r, f) for _, r, f in rows] + [1])
    slot = plot_w / max(len(rows), 1)
    bar_w = max(4.0, round(slot * 0.7, 1))
    bars = []
    for i, (stamp, requests, failures) in enumerate(rows):
        if hourly:
            moment = datetime.fromisoformat(stamp)
            name = moment.strftime("%Y-%m-%d %H:00 UTC")
            label = moment.strftime("%H:00") if i % 3 == 0 else ""
        else:
            day = date.fromisoformat(stamp)
            name, label = day.isoformat(), day.strftime("%a %d")
        h, fh = _height(requests, top, plot_h), _height(failures, top, plot_h)
        slot_x = LEFT + i * slot
        bars.append(
            Bar(
                label=label,
                name=name,
                requests=requests,
                failures=failures,
                x=round(slot_x + (slot - bar_w) / 2, 1),
                width=bar_w,
                slot_x=round(slot_x, 1),
                slot_width=round(slot, 1),
                label_x=round(slot_x + slot / 2, 1),
                y=round(baseline - h, 1),
                height=h,
                fail_y=round(baseline - fh, 1),
                fail_height=fh,
            )
        )
    return {
        "bars": bars,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "baseline": baseline,
        "label_y": baseline + 17,
        "max": max(r for _, r, _ in rows) if rows else 0,
        "hourly": hourly,
    }
