"""A plot of an instance's license use over time (matplotlib, an optional dependency).

In a notebook:

    from cacheshell.frontends.plot import plot_license_use
    fig = plot_license_use("CACHE")                    # or an Instance; since= epoch seconds
    fig = plot_license_use("CACHE", since=time.time() - 3600)

It draws the units consumed after each grant and release recorded in the instance's `events`
table (a step line) and the capacity (a dashed line), and returns the matplotlib Figure. Without
matplotlib it raises PlotUnavailable, which says to `pip install matplotlib`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from cacheshell.system.events import EventKind
from cacheshell.system.instance import Instance
from cacheshell.system.layout import cacheshell_home, find_instance
from cacheshell.system.usage import EventRow, event_rows


class PlotUnavailable(ImportError):
    """matplotlib is not installed."""


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
        before = held.get(event.license_id, 0)
        if event.kind in (EventKind.GRANT, EventKind.CONNECT):
            after = before + (event.units or 0)
        elif event.kind == EventKind.RELEASE:
            after = 0
        elif event.kind == EventKind.RESET:
            after = 1
        else:
            continue  # denied, per-process, grace: the count does not change
        if after == before:
            continue
        consumed += after - before
        if after:
            held[event.license_id] = after
        else:
            held.pop(event.license_id, None)
        series.append((event.time, consumed))
    return series


def plot_license_use(instance: Instance | str, since: float | None = None, ax: Any = None) -> Any:
    """Plot consumed units and the capacity; returns the Figure (drawn on `ax` when given)."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise PlotUnavailable("plot_license_use needs matplotlib: pip install matplotlib") from None
    inst = _instance(instance)
    now = inst.clock.now()
    series = usage_series(event_rows(inst))
    start = since if since is not None else (series[0][0] if series else now)
    points = [(when, value) for when, value in series if when >= start]
    if since is not None:
        before = [value for when, value in series if when < since]
        points.insert(0, (since, before[-1] if before else 0))
    points.append((now, inst.table.consumed()))
    capacity = inst.table.limits().capacity

    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 3.5))
    else:
        fig = ax.figure
    times = [datetime.fromtimestamp(when) for when, _ in points]
    ax.step(times, [value for _, value in points], where="post", label="units consumed")
    ax.axhline(capacity, color="tab:red", linestyle="--", label=f"capacity ({capacity})")
    mark_license_servers(ax, inst, start, now)
    ax.set_title(f"License use of {inst.name}")
    ax.set_ylabel("license units")
    ax.set_ylim(0, max(capacity, max(value for _, value in points)) + 1)
    ax.legend(loc="upper left")
    fig.autofmt_xdate()
    return fig


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


def mark_license_servers(ax: Any, instance: Instance, start: float, end: float) -> None:
    """Shade the periods the active server NAKed updates, and mark failovers to the next
    server, from the license event history."""
    events = event_rows(instance)
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
