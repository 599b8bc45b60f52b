"""Control flow that unwinds Python frames: QUIT, RETURN, CONTINUE and HALT."""

from __future__ import annotations

from typing import Any


class _NoValue:
    def __repr__(self) -> str:
        return "NOVALUE"


NOVALUE: Any = _NoValue()


class QuitSignal(Exception):
    """QUIT: leaves the innermost loop, or the routine/Xecute frame when no loop encloses it."""

    def __init__(self, value: Any = NOVALUE) -> None:
        super().__init__()
        self.value = value


class ReturnSignal(QuitSignal):
    """RETURN: leaves the frame even from inside a loop."""


class ContinueSignal(Exception):
    """CONTINUE: the next iteration of the innermost loop."""


class HaltSignal(Exception):
    """HALT: the process ends."""
