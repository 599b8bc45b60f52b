"""The license use of an instance over time, replayed from its event history: the units
consumed after each grant and release, split where the instance clock switched between the wall
clock and a simulated one, and the periods the active license server NAKed updates.

The matplotlib plot (frontends/plot.py) and the Management Portal's chart draw these series.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from cacheshell.system.clock import WALL
from cacheshell.system.events import EventKind
from cacheshell.system.usage import ClockSwitch, EventRow

# The events the series below read; the others never change them.
SERIES_KINDS = (
    EventKind.GRANT,
    EventKind.CONNECT,
    EventKind.RELEASE,
    EventKind.RESET,
    EventKind.NAK,
    EventKind.ACK,
    EventKind.DISCONNECTED,
)


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


class Replay:
    """The units consumed, replayed event by event per license ID (_replay)."""

    def __init__(self) -> None:
        self.held: dict[str, int] = {}
        self.consumed = 0

    def take(self, event: EventRow) -> bool:
        """Replay one event; whether it changed the count."""
        change = _replay(self.held, event)
        if change is None:
            return False
        self.consumed += change
        return True


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


def continues(epoch: Epoch, event: EventRow) -> bool:
    """Whether an event belongs to the epoch before it: its time does not step back."""
    latest = epoch.events[-1].time if epoch.events else epoch.start
    return latest is None or event.time >= latest


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
        if not continues(epochs[-1], event):
            epochs.append(Epoch(epochs[-1].clock, None, []))
        epochs[-1].events.append(event)
    epochs.extend(Epoch(switch.clock, switch.time, []) for switch in pending)
    return [epoch for epoch in epochs[:-1] if epoch.events] + [epochs[-1]]


def replayed_segments(epochs: list[Epoch], replay: Replay | None = None) -> list[Segment]:
    """One step line per epoch: it starts at the count carried over from the epoch before
    (at the switch) and follows the replayed count. Within a segment the times never fall.
    `replay` ends holding the state after the last event, so later ones can extend the line
    (extend_segment)."""
    replay = Replay() if replay is None else replay
    segments: list[Segment] = []
    for epoch in epochs:
        points: list[tuple[float, int]] = []
        begin = epoch.start if epoch.start is not None else None
        if begin is None and segments and epoch.events:
            begin = epoch.events[0].time
        if begin is not None:
            points.append((begin, replay.consumed))
        for event in epoch.events:
            if replay.take(event):
                points.append((event.time, replay.consumed))
        segments.append(Segment(epoch.clock, points))
    return segments


def extend_segment(
    epochs: list[Epoch], segments: list[Segment], replay: Replay, events: list[EventRow]
) -> bool:
    """Add events recorded after the replayed ones to the last epoch and its line, when they
    all belong to it (no step back in time); False, changing nothing, when they do not."""
    last = epochs[-1]
    probe = Epoch(last.clock, last.start, last.events[-1:])
    for event in events:
        if not continues(probe, event):
            return False
        probe = Epoch(last.clock, last.start, [event])
    for event in events:
        last.events.append(event)
        if replay.take(event):
            segments[-1].points.append((event.time, replay.consumed))
    return True


def ended_now(segments: list[Segment], now: float, consumed_now: int) -> list[Segment]:
    """The replayed segments (left as they are) with the current one ending at `now` on the
    table's true count; segments without a point dropped."""
    ended = [Segment(segment.clock, list(segment.points)) for segment in segments]
    last = ended[-1]
    if last.points and now < last.points[-1][0]:
        ended.append(Segment(last.clock, [(now, consumed_now)]))
    else:
        last.points.append((now, consumed_now))
    return [segment for segment in ended if segment.points]


def usage_segments(epochs: list[Epoch], now: float, consumed_now: int) -> list[Segment]:
    """The step lines of the epochs, the current one ending at `now` on the table's true
    count (replayed_segments, then ended_now)."""
    return ended_now(replayed_segments(epochs), now, consumed_now)


def epoch_bounds(epochs: list[Epoch], now: float) -> list[tuple[float, float]]:
    """(first, last) time of each epoch on its own clock; the current one lasts until now."""
    bounds = []
    for i, epoch in enumerate(epochs):
        times = [when for when in (epoch.start,) if when is not None]
        times += [event.time for event in epoch.events]
        if i == len(epochs) - 1:
            times.append(now)
        bounds.append((min(times), max(times)) if times else (now, now))
    return bounds


def clipped(points: list[tuple[float, int]], since: float) -> list[tuple[float, int]]:
    """The points from `since` on, starting at `since` with the count then."""
    kept = [(when, value) for when, value in points if when >= since]
    before = [value for when, value in points if when < since]
    if before and (not kept or kept[0][0] > since):
        kept.insert(0, (since, before[-1]))
    return kept


def nak_periods(events: list[EventRow], start: float, end: float) -> list[tuple[float, float]]:
    """(from, to) spans during which the active license server NAKed the instance's updates."""
    spans: list[tuple[float, float]] = []
    opened: float | None = None
    server = (EventKind.NAK, EventKind.ACK, EventKind.DISCONNECTED)
    for event in [event for event in events if event.kind in server]:
        if event.kind == EventKind.NAK and opened is None:
            opened = event.time
        elif event.kind in (EventKind.ACK, EventKind.DISCONNECTED) and opened is not None:
            spans.append((opened, event.time))
            opened = None
    if opened is not None:
        spans.append((opened, end))
    return [(max(a, start), b) for a, b in spans if b >= start]
