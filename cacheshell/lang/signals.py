"""Control flow that unwinds Python frames: QUIT, RETURN, CONTINUE and HALT."""

from __future__ import annotations

from typing import Any

from cacheshell.lang.errors import ObjectScriptError


class _NoValue:
    def __repr__(self) -> str:
        return "NOVALUE"


NOVALUE: Any = _NoValue()


class Unwind(Exception):
    """A command that leaves a loop or frame. It remembers where it ran, for the <COMMAND>
    error it becomes when used where it is not allowed."""

    def __init__(self) -> None:
        super().__init__()
        self.column: int | None = None
        self.source_line: str | None = None
        self.location = ""

    def misplaced(self) -> ObjectScriptError:
        err = ObjectScriptError("COMMAND", location=self.location)
        err.column, err.source_line = self.column, self.source_line
        return err


class QuitSignal(Unwind):
    """QUIT: leaves the innermost loop, or the routine/Xecute frame when no loop encloses it."""

    def __init__(self, value: Any = NOVALUE) -> None:
        super().__init__()
        self.value = value


class ReturnSignal(QuitSignal):
    """RETURN: leaves the frame even from inside a loop."""


class ContinueSignal(Unwind):
    """CONTINUE: the next iteration of the innermost loop."""


class HaltSignal(Exception):
    """HALT: the process ends."""
