"""The chart's replay kept between looks: extending it with the events recorded since gives the
same step lines as replaying the whole history at once, and it declines events that step back
in time (a new epoch), leaving the replay as it was."""

from __future__ import annotations

import pytest

from cacheshell.system.events import EventKind
from cacheshell.system.usage import ClockSwitch, EventRow
from cacheshell.system.usage_history import (
    Replay,
    clock_epochs,
    extend_segment,
    replayed_segments,
)

G, R, X = EventKind.GRANT, EventKind.RELEASE, EventKind.RESET


def history(*steps: tuple[float, EventKind, str]) -> list[EventRow]:
    return [
        EventRow(when, kind, license_id, None, "", 1 if kind == G else None, n)
        for n, (when, kind, license_id) in enumerate(steps, start=1)
    ]


EVENTS = history(
    (1.0, G, "a"), (2.0, G, "b"), (3.0, G, "a"), (4.0, X, "b"), (5.0, R, "a"), (6.0, G, "c"),
    (7.0, R, "b"), (8.0, G, "a"), (9.0, R, "c"), (10.0, R, "a"),
)  # fmt: skip
SWITCH = [ClockSwitch(after_event=3, clock="simulated", time=2.5)]


@pytest.mark.parametrize("switches", [[], SWITCH], ids=["wall clock", "a switch at event 3"])
@pytest.mark.parametrize("cut", range(4, len(EVENTS) + 1))
def test_extending_the_replay_equals_replaying_everything(
    switches: list[ClockSwitch], cut: int
) -> None:
    replay = Replay()
    epochs = clock_epochs(EVENTS[:cut], switches)
    segments = replayed_segments(epochs, replay)
    assert extend_segment(epochs, segments, replay, EVENTS[cut:]) is True
    whole = replayed_segments(clock_epochs(EVENTS, switches))
    assert segments == whole
    assert [e.events for e in epochs] == [e.events for e in clock_epochs(EVENTS, switches)]


def test_an_event_stepping_back_in_time_is_declined_and_nothing_changes() -> None:
    replay = Replay()
    epochs = clock_epochs(EVENTS[:5], [])
    segments = replayed_segments(epochs, replay)
    before = ([list(e.events) for e in epochs], [list(s.points) for s in segments])
    late = history((11.0, G, "d"), (4.5, G, "e"))
    assert extend_segment(epochs, segments, replay, late) is False
    assert ([list(e.events) for e in epochs], [list(s.points) for s in segments]) == before
    assert replay.consumed == 1  # a released at 5.0, b kept one unit by its reset
