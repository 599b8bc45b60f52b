"""Control flow that unwinds Python frames: QUIT, RETURN, CONTINUE, HALT and THROW."""

from __future__ import annotations

from enum import Enum
from typing import Final

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.objects import ObjectInstance, Value


class NoValue(Enum):
    """What a QUIT without an argument returns (a one-member enum, so `is NOVALUE` narrows)."""

    NOVALUE = "NOVALUE"

    def __repr__(self) -> str:
        return "NOVALUE"


NOVALUE: Final = NoValue.NOVALUE


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

    def __init__(self, value: Value | NoValue = NOVALUE) -> None:
        super().__init__()
        self.value = value


class ReturnSignal(QuitSignal):
    """RETURN: leaves the frame even from inside a loop."""


class ContinueSignal(Unwind):
    """CONTINUE: the next iteration of the innermost loop."""


class HaltSignal(Exception):
    """HALT: the process ends."""


class ThrownObject(Exception):
    """A THROW of an exception object that no CATCH has taken yet."""

    def __init__(self, oref: ObjectInstance) -> None:
        super().__init__(oref)
        self.oref = oref
        # Where the THROW ran, for the error shown if nothing catches it.
        self.column: int | None = None
        self.source_line: str | None = None
        self.location = ""
