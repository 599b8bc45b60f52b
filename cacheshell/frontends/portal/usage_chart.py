"""The License Usage page's chart (beyond Caché): license units in use over time, the key's
capacity as a line, the periods the license server NAKed updates shaded, as inline SVG drawn on
the server (no script, no library).

The series are those of the matplotlib plot (system/usage_history.py); the chart shows the
stretch of history under the instance's current clock, so no line runs backwards in time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

from cacheshell.system.clock import SIMULATED
from cacheshell.system.instance import Instance
from cacheshell.system.usage import ClockSwitch, EventRow, clock_switches, event_rows
from cacheshell.system.usage_history import (
    SERIES_KINDS,
    Epoch,
    Replay,
    Segment,
    clock_epochs,
    ended_now,
    epoch_bounds,
    extend_segment,
    nak_periods,
    replayed_segments,
)

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 40
SHORTEST = 60.0  # seconds: a history shorter than this is drawn over the last minute


@dataclass(frozen=True)
class ChartData:
    points: list[tuple[float, int]]  # (time, units consumed), time never falling
    capacity: int
    naks: list[tuple[float, float]]
    clock: str
    start: float
    end: float


class ChartHistory:
    """The events the chart replays and their replay, kept between two looks at the page: each
    look reads only the events recorded since (the history is only ever appended to) and
    extends the replay with them; it replays the whole history again only when the clock
    switched or time stepped back."""

    def __init__(self) -> None:
        self.events: list[EventRow] = []
        self._switches: list[ClockSwitch] = []
        self._epochs: list[Epoch] = []
        self._segments: list[Segment] = []
        self._replay = Replay()

    def read(self, instance: Instance) -> tuple[list[Epoch], list[Segment]]:
        """The history's clock epochs and their replayed segments, brought up to date."""
        last = self.events[-1].event_id if self.events else 0
        new = event_rows(instance, kinds=SERIES_KINDS, after=last)
        switches = clock_switches(instance)
        self.events.extend(new)
        same_clock = switches == self._switches and self._epochs
        if same_clock and extend_segment(self._epochs, self._segments, self._replay, new):
            return self._epochs, self._segments
        self._switches = switches
        self._epochs = clock_epochs(self.events, switches)
        self._replay = Replay()
        self._segments = replayed_segments(self._epochs, self._replay)
        return self._epochs, self._segments


def chart_data(instance: Instance, history: ChartHistory) -> ChartData:
    """The current clock's stretch of the license use history, read from the instance."""
    now = instance.clock.now()
    epochs, replayed = history.read(instance)
    segments = ended_now(replayed, now, instance.table.consumed())
    points = segments[-1].points
    begin, end = epoch_bounds(epochs[-1:], now)[0]
    begin = min(begin, points[0][0], end - SHORTEST)
    return ChartData(
        points=points,
        capacity=instance.table.limits().capacity,
        naks=nak_periods(epochs[-1].events, begin, end),
        clock=segments[-1].clock,
        start=begin,
        end=end,
    )


def _label(when: float, span: float) -> str:
    stamp = datetime.fromtimestamp(when)
    return stamp.strftime("%m/%d/%Y %H:%M:%S" if span >= 86_400 else "%H:%M:%S")


def _columns(
    points: list[tuple[float, int]], x: Callable[[float], float]
) -> list[tuple[float, list[int]]]:
    """The step line's vertical moves, at most four per pixel column (the value it comes in
    with, the lowest, the highest, the value it leaves with): ten thousand changes draw as
    the same picture in a path of a few thousand commands."""
    columns: list[tuple[float, list[int]]] = []
    column = None
    values: list[int] = []
    for when, units in points[1:]:
        at = x(when)
        if column is not None and round(at) == column:
            values.append(units)
            continue
        values = [units]
        column = round(at)
        columns.append((at, values))
    return [(at, _extent(values)) for at, values in columns]


def _extent(values: list[int]) -> list[int]:
    if len(values) <= 3:
        return values
    return [values[0], min(values), max(values), values[-1]]


def render(data: ChartData) -> Markup:
    """The chart as an <svg> element; its look comes from the page's stylesheet (classes only:
    the portal's Content-Security-Policy allows no inline style)."""
    top = max([data.capacity, *(value for _, value in data.points)]) + 1
    span = max(data.end - data.start, 1e-9)
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(when: float) -> float:
        return LEFT + (min(max(when, data.start), data.end) - data.start) / span * inner_w

    def y(units: float) -> float:
        return TOP + inner_h - units / top * inner_h

    parts = [
        f'<svg id="usage-chart" class="usage-chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="usage-chart-title">',
        '<title id="usage-chart-title">License units in use over time, with the capacity of '
        "the key and the periods the license server refused updates</title>",
    ]
    for first, last in data.naks:
        parts.append(
            f'<rect class="nak" x="{x(first):.1f}" y="{TOP}" '
            f'width="{max(x(last) - x(first), 1):.1f}" height="{inner_h}">'
            f"<title>License server NAK {escape(_label(first, span))} to "
            f"{escape(_label(last, span))}</title></rect>"
        )
    parts.append(
        f'<line class="axis" x1="{LEFT}" y1="{TOP + inner_h}" x2="{LEFT + inner_w}" '
        f'y2="{TOP + inner_h}"/>'
        f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + inner_h}"/>'
    )
    for units in sorted({0, data.capacity, top - 1}):
        parts.append(
            f'<text class="tick" x="{LEFT - 6}" y="{y(units) + 4:.1f}" '
            f'text-anchor="end">{units}</text>'
        )
    cap = y(data.capacity)
    parts.append(
        f'<line class="capacity" x1="{LEFT}" y1="{cap:.1f}" x2="{LEFT + inner_w}" '
        f'y2="{cap:.1f}"><title>Capacity: {data.capacity} license units</title></line>'
    )
    path = [f"M{x(data.points[0][0]):.1f},{y(data.points[0][1]):.1f}"]
    for column, values in _columns(data.points, x):
        path.append(f"H{column:.1f}" + "".join(f"V{y(units):.1f}" for units in values))
    path.append(f"H{x(data.end):.1f}")
    simulated = " simulated" if data.clock == SIMULATED else ""
    parts.append(f'<path class="in-use{simulated}" d="{"".join(path)}"/>')
    baseline = TOP + inner_h + 16
    parts.append(
        f'<text class="tick" x="{LEFT}" y="{baseline}" text-anchor="start">'
        f"{escape(_label(data.start, span))}</text>"
        f'<text class="tick" x="{LEFT + inner_w}" y="{baseline}" text-anchor="end">'
        f"{escape(_label(data.end, span))}</text>"
    )
    clock = "simulated clock" if data.clock == SIMULATED else "instance clock"
    parts.append(
        f'<text class="legend" x="{LEFT}" y="{HEIGHT - 4}">'
        f'<tspan class="in-use-key">&#9473; units in use ({data.points[-1][1]})</tspan>'
        f'<tspan class="capacity-key" dx="16">&#9476; capacity ({data.capacity})</tspan>'
        '<tspan class="nak-key" dx="16">&#9608; license server NAK</tspan>'
        f'<tspan dx="16">time: {clock}</tspan></text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def usage_chart(instance: Instance, history: ChartHistory) -> Markup:
    return render(chart_data(instance, history))
