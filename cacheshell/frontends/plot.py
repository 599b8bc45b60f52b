"""A plot of an instance's license use over time (matplotlib, an optional dependency).

In a notebook:

    from cacheshell.frontends.plot import plot_license_use
    fig = plot_license_use("CACHE")                    # or an Instance; since= epoch seconds
    fig = plot_license_use("CACHE", since=time.time() - 3600)

It draws the units consumed after each grant and release recorded in the instance's `events`
table (a step line) and the capacity (a dashed line), and returns the matplotlib Figure. Without
matplotlib it raises PlotUnavailable, which says to `pip install matplotlib`.

Times are the instance clock's. Under Training.World's simulated clock events carry simulated
times, interleaved in the history with wall-clock ones; each stretch recorded under one clock is
drawn as its own line (simulated ones dashed and labelled so), split where the clock switched
(recorded by the clock), so no line runs backwards. `write_usage_png` (and `cacheshell plot`)
writes the same figure to a PNG file.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from cacheshell.system.clock import SIMULATED, WALL
from cacheshell.system.events import EventKind
from cacheshell.system.instance import Instance
from cacheshell.system.layout import cacheshell_home, find_instance
from cacheshell.system.usage import ClockSwitch, EventRow, clock_switches, event_rows


class PlotUnavailable(ImportError):
    """matplotlib is not installed."""


def _replay(held: dict[str, int], event: EventRow) -> int | None:
    """The change of units consumed an event makes, replayed per license ID (None: none)."""
    before = held.get(event.license_id, 0)
    if event.kind in (EventKind.GRANT, EventKind.CONNECT):
        after = before + (event.units or 0)
    elif event.kind == EventKind.RELEASE:
        after = 0
    elif event.kind == EventKind.RESET:
        after = 1
    else:
        return None  # denied, per-process, grace: the count does not change
    if after == before:
        return None
    if after:
        held[event.license_id] = after
    else:
        held.pop(event.license_id, None)
    return after - before


def usage_series(events: Iterable[EventRow]) -> list[tuple[float, int]]:
    """(time, units consumed) after each event that changed the count, replayed per license ID.

    Grants and connects carry their unit change; a release frees what its ID held; a reset
    (the ID kept for a CSP grace period) leaves it one unit. A disconnect under per-process
    counting that does not remove the ID records no event, so the replay can run high until
    that ID's release; the plot ends on the table's true count.
    """
    held: dict[str, int] = {}
    consumed = 0
    series: list[tuple[float, int]] = []
    for event in events:
        change = _replay(held, event)
        if change is not None:
            consumed += change
            series.append((event.time, consumed))
    return series


class Epoch(NamedTuple):
    """A stretch of the event history recorded under one clock: `start` is what that clock
    read when the instance switched to it (None for the first stretch, or one that only a
    backward step of the times revealed)."""

    clock: str
    start: float | None
    events: list[EventRow]


class Segment(NamedTuple):
    clock: str  # "wall" or "simulated"
    points: list[tuple[float, int]]  # (instance-clock time, units consumed), time never falling


def clock_epochs(events: Iterable[EventRow], switches: Iterable[ClockSwitch]) -> list[Epoch]:
    """Split the history, in event order, where the instance clock switched between the wall
    clock and a simulated one; also where the times step backwards with no switch recorded
    (histories from before switches were). The last epoch is the current clock's, even empty."""
    pending = sorted(switches, key=lambda switch: switch.after_event)
    epochs = [Epoch(WALL, None, [])]  # an instance starts on the wall clock
    for event in events:
        while pending and pending[0].after_event < event.event_id:
            switch = pending.pop(0)
            epochs.append(Epoch(switch.clock, switch.time, []))
        current = epochs[-1]
        latest = current.events[-1].time if current.events else current.start
        if latest is not None and event.time < latest:
            epochs.append(Epoch(current.clock, None, []))
        epochs[-1].events.append(event)
    epochs.extend(Epoch(switch.clock, switch.time, []) for switch in pending)
    return [epoch for epoch in epochs[:-1] if epoch.events] + [epochs[-1]]


def usage_segments(epochs: list[Epoch], now: float, consumed_now: int) -> list[Segment]:
    """One step line per epoch: it starts at the count carried over from the epoch before
    (at the switch), follows the replayed count, and the current one ends at `now` on the
    table's true count. Within a segment the times never fall."""
    held: dict[str, int] = {}
    consumed = 0
    segments: list[Segment] = []
    for epoch in epochs:
        points: list[tuple[float, int]] = []
        begin = epoch.start if epoch.start is not None else None
        if begin is None and segments and epoch.events:
            begin = epoch.events[0].time
        if begin is not None:
            points.append((begin, consumed))
        for event in epoch.events:
            change = _replay(held, event)
            if change is not None:
                consumed += change
                points.append((event.time, consumed))
        segments.append(Segment(epoch.clock, points))
    last = segments[-1]
    if last.points and now < last.points[-1][0]:
        segments.append(Segment(last.clock, [(now, consumed_now)]))
    else:
        last.points.append((now, consumed_now))
    return [segment for segment in segments if segment.points]


def _epoch_bounds(epochs: list[Epoch], now: float) -> list[tuple[float, float]]:
    """(first, last) time of each epoch on its own clock; the current one lasts until now."""
    bounds = []
    for i, epoch in enumerate(epochs):
        times = [when for when in (epoch.start,) if when is not None]
        times += [event.time for event in epoch.events]
        if i == len(epochs) - 1:
            times.append(now)
        bounds.append((min(times), max(times)) if times else (now, now))
    return bounds


def _clipped(points: list[tuple[float, int]], since: float) -> list[tuple[float, int]]:
    """The points from `since` on, starting at `since` with the count then."""
    kept = [(when, value) for when, value in points if when >= since]
    before = [value for when, value in points if when < since]
    if before and (not kept or kept[0][0] > since):
        kept.insert(0, (since, before[-1]))
    return kept


def plot_license_use(instance: Instance | str, since: float | None = None, ax: Any = None) -> Any:
    """Plot consumed units and the capacity; returns the Figure (drawn on `ax` when given).

    Times are the instance clock's. Events recorded under a simulated clock carry its times, so
    each stretch under one clock is its own line (simulated ones dashed, and so labelled), never
    joined across a switch: a line never runs backwards in time.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise PlotUnavailable("plot_license_use needs matplotlib: pip install matplotlib") from None
    inst = _instance(instance)
    now = inst.clock.now()
    events = event_rows(inst)
    epochs = clock_epochs(events, clock_switches(inst))
    segments = usage_segments(epochs, now, inst.table.consumed())
    if since is not None:
        segments = [Segment(s.clock, _clipped(s.points, since)) for s in segments]
        segments = [segment for segment in segments if segment.points]
    capacity = inst.table.limits().capacity

    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 3.5))
    else:
        fig = ax.figure
    labelled: set[str] = set()
    for segment in segments:
        simulated = segment.clock == SIMULATED
        label = None
        if segment.clock not in labelled:
            labelled.add(segment.clock)
            label = "units consumed" + (" (simulated clock)" if simulated else "")
        ax.step(
            [datetime.fromtimestamp(when) for when, _ in segment.points],
            [value for _, value in segment.points],
            where="post",
            label=label,
            color="tab:green" if simulated else "tab:blue",
            linestyle="--" if simulated else "-",
        )
    ax.axhline(capacity, color="tab:red", linestyle="--", label=f"capacity ({capacity})")
    for epoch, (begin, end) in zip(epochs, _epoch_bounds(epochs, now), strict=True):
        if since is None or end >= since:
            mark_license_servers(ax, epoch.events, max(begin, since or begin), end)
    title = f"License use of {inst.name}"
    if SIMULATED in labelled:
        title += " (instance clock; simulated-clock stretches dashed, on their own times)"
    ax.set_title(title, fontsize="medium")
    ax.set_ylabel("license units")
    top = max((value for segment in segments for _, value in segment.points), default=0)
    ax.set_ylim(0, max(capacity, top) + 1)
    ax.legend(loc="upper left")
    fig.autofmt_xdate()
    return fig


def write_usage_png(instance: Instance | str, path: Path | str, since: float | None = None) -> Path:
    """Draw plot_license_use to a PNG file (no display needed); the path written."""
    try:
        import matplotlib
    except ImportError:
        raise PlotUnavailable("plotting needs matplotlib: pip install matplotlib") from None
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")  # a file, not a window
    import matplotlib.pyplot as plt

    fig = plot_license_use(instance, since=since)
    target = Path(path)
    try:
        fig.savefig(target, dpi=100, bbox_inches="tight")
    finally:
        plt.close(fig)
    return target


def nak_periods(events: list[EventRow], start: float, end: float) -> list[tuple[float, float]]:
    """(from, to) spans during which the active license server NAKed the instance's updates."""
    spans: list[tuple[float, float]] = []
    opened: float | None = None
    for event in events:
        if event.kind == EventKind.NAK and opened is None:
            opened = event.time
        elif event.kind in (EventKind.ACK, EventKind.DISCONNECTED) and opened is not None:
            spans.append((opened, event.time))
            opened = None
    if opened is not None:
        spans.append((opened, end))
    return [(max(a, start), b) for a, b in spans if b >= start]


def mark_license_servers(ax: Any, events: list[EventRow], start: float, end: float) -> None:
    """Shade the periods the active server NAKed updates, and mark failovers to the next
    server, from the license event history (of one clock's stretch)."""
    for first, (a, b) in enumerate(nak_periods(events, start, end)):
        ax.axvspan(
            datetime.fromtimestamp(a),
            datetime.fromtimestamp(b),
            color="tab:orange",
            alpha=0.25,
            label=None if first else "license server NAK",
        )
    failovers = [e.time for e in events if e.kind == EventKind.FAILOVER and e.time >= start]
    for first, when in enumerate(failovers):
        ax.axvline(
            datetime.fromtimestamp(when),
            color="tab:purple",
            linestyle=":",
            label=None if first else "failover",
        )


def _instance(instance: Instance | str) -> Instance:
    if isinstance(instance, Instance):
        return instance
    layout = find_instance(cacheshell_home(), instance)
    if layout is None:
        raise ValueError(f"no instance named {instance} in {cacheshell_home()}")
    return Instance(layout)
