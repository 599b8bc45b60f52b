"""Telling a user, once, that the instance's clock is simulated.

On a simulated clock a `Hang 30` returns at once (it moves the clock on instead of waiting) and
time stands still between cells: worth one short line when it starts and one when a Hang first
passes under it in a later cell. Each front end shows the lines in its own way; this module
decides when and what.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cacheshell.session import Session


def clock_time(session: Session) -> str:
    """The instance's time as the notices show it: 11/29/2026 05:15:20."""
    return session.now().strftime("%m/%d/%Y %H:%M:%S")


class ClockNotice:
    """What one front end has told its user about each instance's clock."""

    def __init__(self) -> None:
        self._told: set[str] = set()  # instances whose simulated clock the user has been told of
        self._hang_told: set[str] = set()  # ... and that a Hang returns at once under it
        self._hung: set[str] = set()  # a Hang ran under the simulated clock in this cell

    def opening(self, session: Session) -> str:
        """The line a terminal opening on a simulated clock shows in its banner ("" on the wall
        clock); the user has been told."""
        if not session.instance.clock.simulated:
            return ""
        self._told.add(session.layout.name)
        return f"(simulated clock: {clock_time(session)})\n"

    def paused(self, session: Session) -> None:
        """Call before a Hang or pause: under a simulated clock it returns at once."""
        if session.instance.clock.simulated:
            self._hung.add(session.layout.name)

    def after_cell(self, session: Session) -> str | None:
        """The notice to show at the end of a cell (or an input), or None."""
        name = session.layout.name
        hung = name in self._hung
        self._hung.discard(name)
        simulated = session.instance.clock.simulated
        if simulated and name not in self._told:
            self._told.add(name)
            self._hang_told.discard(name)
            if hung:
                self._hang_told.add(name)
            return (
                f"(simulated clock: {clock_time(session)}. Time moves only when code moves it: "
                "AdvanceClock, or a Hang, which returns at once)"
            )
        if simulated and hung and name not in self._hang_told:
            self._hang_told.add(name)
            return (
                f"(simulated clock: {clock_time(session)}. The Hang returned at once and moved "
                "the clock on)"
            )
        if not simulated:
            # Back on the wall clock nothing needs explaining; a new simulation is news again.
            self._told.discard(name)
            self._hang_told.discard(name)
        return None
