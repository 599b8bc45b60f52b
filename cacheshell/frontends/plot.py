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
from datetime import datetime
from pathlib import Path
from typing import Any

from cacheshell.system.clock import SIMULATED
from cacheshell.system.events import EventKind
from cacheshell.system.instance import Instance
from cacheshell.system.layout import cacheshell_home, find_instance
from cacheshell.system.usage import EventRow, clock_switches, event_rows
from cacheshell.system.usage_history import (
    Epoch,
    Segment,
    clipped,
    clock_epochs,
    epoch_bounds,
    nak_periods,
    usage_segments,
    usage_series,
)

__all__ = [
    "Epoch",
    "PlotUnavailable",
    "Segment",
    "clock_epochs",
    "mark_license_servers",
    "nak_periods",
    "plot_license_use",
    "usage_segments",
    "usage_series",
    "write_usage_png",
]


class PlotUnavailable(ImportError):
    """matplotlib is not installed."""


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
        segments = [Segment(s.clock, clipped(s.points, since)) for s in segments]
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
    for epoch, (begin, end) in zip(epochs, epoch_bounds(epochs, now), strict=True):
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
