"""The license-server history the plot marks: NAK periods and failovers, from the event rows."""

from __future__ import annotations

from cacheshell.frontends.plot import nak_periods
from cacheshell.system.usage import EventRow


def row(time: float, kind: str) -> EventRow:
    return EventRow(time, kind, "", None, "")


def test_nak_periods_run_from_a_nak_to_the_next_ack_or_disconnection() -> None:
    events = [
        row(10, "ACK"),
        row(20, "NAK"),
        row(35, "ACK"),
        row(50, "NAK"),
        row(60, "disconnected"),
        row(70, "NAK"),
    ]
    assert nak_periods(events, start=0, end=100) == [(20, 35), (50, 60), (70, 100)]


def test_nak_periods_are_clipped_to_the_plotted_window() -> None:
    events = [row(20, "NAK"), row(35, "ACK"), row(50, "NAK"), row(60, "ACK")]
    assert nak_periods(events, start=30, end=100) == [(30, 35), (50, 60)]
