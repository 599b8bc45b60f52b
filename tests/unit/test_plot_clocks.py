"""The plot under a simulated clock: events recorded under it carry its times, interleaved with
wall-clock ones; each clock's stretch is its own line and no line runs backwards in time."""

from __future__ import annotations

from datetime import datetime

import matplotlib

matplotlib.use("Agg")

from conftest import Terminal

from cacheshell.frontends.plot import (
    Segment,
    clock_epochs,
    plot_license_use,
    usage_segments,
)
from cacheshell.system.events import EventKind
from cacheshell.system.usage import ClockSwitch, EventRow

W = "##class(Training.World)."


def grant(event_id: int, time: float, lid: str) -> EventRow:
    return EventRow(time, EventKind.GRANT, lid, None, "units +1", 1, event_id)


def release(event_id: int, time: float, lid: str) -> EventRow:
    return EventRow(time, EventKind.RELEASE, lid, None, "process ended", None, event_id)


def test_each_clock_switch_starts_a_line_that_carries_the_count_over() -> None:
    events = [
        grant(1, 1000, "a"),  # wall
        grant(2, 5000, "b"),  # simulated, far ahead
        release(3, 5600, "b"),
        grant(4, 1010, "c"),  # wall again
    ]
    switches = [ClockSwitch(1, "simulated", 4990), ClockSwitch(3, "wall", 1005)]
    segments = usage_segments(clock_epochs(events, switches), now=1020, consumed_now=2)
    assert segments == [
        Segment("wall", [(1000, 1)]),
        Segment("simulated", [(4990, 1), (5000, 2), (5600, 1)]),
        Segment("wall", [(1005, 1), (1010, 2), (1020, 2)]),
    ]


def test_a_backward_step_with_no_switch_recorded_also_splits_the_line() -> None:
    # A history from before switches were recorded: only the times tell.
    events = [grant(1, 1000, "a"), grant(2, 5000, "b"), grant(3, 1010, "c")]
    segments = usage_segments(clock_epochs(events, []), now=1020, consumed_now=3)
    assert segments == [
        Segment("wall", [(1000, 1), (5000, 2)]),
        Segment("wall", [(1010, 2), (1010, 3), (1020, 3)]),
    ]


def test_a_simulated_clock_set_back_in_time_starts_its_own_line() -> None:
    events = [grant(1, 1000, "a"), grant(2, 500, "b")]
    switches = [ClockSwitch(1, "simulated", 400)]
    segments = usage_segments(clock_epochs(events, switches), now=520, consumed_now=2)
    assert segments == [
        Segment("wall", [(1000, 1)]),
        Segment("simulated", [(400, 1), (500, 2), (520, 2)]),
    ]


def _drawn_lines(term: Terminal) -> list[tuple[str, list[datetime]]]:
    figure = plot_license_use(term.session.instance)
    return [(str(line.get_label()), list(line.get_xdata())) for line in figure.axes[0].lines]


def test_every_drawn_line_runs_forward_with_mixed_clock_events(term: Terminal) -> None:
    term.run(
        f'Set a={W}ConnectUser("ann","10.0.0.1") '
        f'Do {W}SimulateClock("60000,0") Set s={W}StartCSP() Do s.View(),s.End() '
        f'Do {W}AdvanceClock(600) Set b={W}ConnectUser("bob","10.0.0.2") '
        f'Do {W}UseWallClock() Set c={W}ConnectUser("cy","10.0.0.3") Do c.End() '
        f"Do {W}AdvanceClock(30) Do b.End() Do {W}UseWallClock()"
    )
    lines = _drawn_lines(term)
    steps = [(label, xs) for label, xs in lines if label.startswith(("units", "_child"))]
    assert len([xs for _, xs in steps if len(xs) > 1]) >= 4  # wall, simulated, wall, ...
    for _label, xs in steps:
        assert xs == sorted(xs)
    assert [label for label, _ in lines][:2] == [
        "units consumed",
        "units consumed (simulated clock)",
    ]
